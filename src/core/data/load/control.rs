//! What a running load shares with its caller (progress, cancel) and small helpers every loader
//! uses.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::core::data::error::LoadError;

/// Lets a caller on another thread watch progress and cancel a load (the GUI's progress bar and
/// Cancel button). Cheap to clone; all clones share the same counters.
#[derive(Debug, Clone, Default)]
pub struct LoadControl {
    cancel: Arc<AtomicBool>,
    /// Bytes read (manifests, predictions) or files found (folders) so far.
    pub progress: Arc<AtomicU64>,
    /// Total bytes to read, when known in advance (0 = unknown).
    pub total: Arc<AtomicU64>,
}

impl LoadControl {
    /// Asks the load to stop; it returns [`LoadError::Cancelled`] soon after.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    pub(crate) fn check(control: Option<&LoadControl>) -> Result<(), LoadError> {
        match control {
            Some(c) if c.is_cancelled() => Err(LoadError::Cancelled),
            _ => Ok(()),
        }
    }
}

/// A file's length, or 0 when it cannot be read (progress only).
pub(crate) fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Prints how long a phase took since `since` when `SPOTCHECK_TIMING` is set (for benchmarking).
pub fn timing(phase: &str, since: std::time::Instant) {
    if std::env::var_os("SPOTCHECK_TIMING").is_some() {
        eprintln!(
            "timing: {phase} done at {:.3} s",
            since.elapsed().as_secs_f64()
        );
    }
}
