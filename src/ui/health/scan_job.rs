//! The dataset scan behind the Health view, on its own threads: every sample's scan record, in
//! chunks so Cancel takes effect within a chunk, then the `check` aggregate. The grid stays usable:
//! nothing here runs on the UI thread, which only reads the progress counter.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::core::data::dataset::Dataset;
use crate::core::data::warnings::UnusableFile;
use crate::core::scan::byte_budget::{ByteBudget, DEFAULT_BYTE_BUDGET};
use crate::core::scan::check::{CheckReport, check_records};
use crate::core::scan::near_duplicates::DEFAULT_NEAR_THRESHOLD;
use crate::core::scan::record::{ScanOptions, ScanRecord, scan_sample};
use crate::core::scan::scan_cache::{ScanCache, ScanKey};

/// Samples scanned between two looks at the Cancel flag.
const CHUNK: usize = 512;

/// What a finished scan gives the view.
pub struct HealthResult {
    /// Every sample's record, in dataset order.
    pub records: Vec<ScanRecord>,
    /// The records aggregated as `check` reports them.
    pub report: CheckReport,
    /// How long it took.
    pub took: std::time::Duration,
    /// Records read from the on-disk cache instead of scanned.
    pub reused: usize,
}

/// A scan running (or finished) in the background.
pub struct ScanJob {
    /// Samples scanned so far.
    pub done: Arc<AtomicU64>,
    /// Samples in all.
    pub total: u64,
    cancel: Arc<AtomicBool>,
    result: Mutex<Receiver<HealthResult>>,
}

impl ScanJob {
    /// Starts scanning `dataset`, reusing the records cached in `cache_dir`; `waker` is called when the result is ready and now and then
    /// while it runs (so the progress bar moves).
    pub fn start(
        dataset: Arc<Dataset>,
        unusable: Vec<UnusableFile>,
        cache_dir: Option<std::path::PathBuf>,
        waker: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let done = Arc::new(AtomicU64::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let total = dataset.len() as u64;
        let (done2, cancel2) = (Arc::clone(&done), Arc::clone(&cancel));
        std::thread::Builder::new()
            .name("health-scan".into())
            .spawn(move || {
                let started = std::time::Instant::now();
                let budget = ByteBudget::new(DEFAULT_BYTE_BUDGET);
                let options = ScanOptions::default();
                // The cache is a convenience: without it (no cache folder, a read-only home) the
                // scan just runs in full.
                let cache = cache_dir.and_then(|dir| ScanCache::open(&dir).ok());
                let mut records = Vec::with_capacity(dataset.len());
                let mut reused = 0usize;
                for start in (0..dataset.len()).step_by(CHUNK) {
                    if cancel2.load(Ordering::Relaxed) {
                        return;
                    }
                    let end = (start + CHUNK).min(dataset.len());
                    let keys: Vec<Option<ScanKey>> = (start..end)
                        .into_par_iter()
                        .map(|i| cache.as_ref().and_then(|_| ScanKey::of(&dataset, i)))
                        .collect();
                    let cached = match &cache {
                        Some(c) => c.get_many(&keys),
                        None => vec![None; keys.len()],
                    };
                    reused += cached.iter().filter(|c| c.is_some()).count();
                    let chunk: Vec<(ScanRecord, bool)> = cached
                        .into_par_iter()
                        .with_max_len(8)
                        .enumerate()
                        .map(|(k, hit)| {
                            let r = match hit {
                                Some(r) => (r, false),
                                None => (scan_sample(&dataset, start + k, &options, &budget), true),
                            };
                            done2.fetch_add(1, Ordering::Relaxed);
                            r
                        })
                        .collect();
                    if let Some(c) = &cache {
                        let fresh: Vec<(ScanKey, &ScanRecord)> = chunk
                            .iter()
                            .zip(&keys)
                            .filter(|((_, is_new), _)| *is_new)
                            .filter_map(|((r, _), k)| Some((k.clone()?, r)))
                            .collect();
                        // A failed write only means scanning those samples again next time.
                        c.put_many(&fresh).ok();
                    }
                    records.extend(chunk.into_iter().map(|(r, _)| r));
                    waker();
                }
                let report = check_records(&dataset, &unusable, &records, DEFAULT_NEAR_THRESHOLD);
                let result = HealthResult {
                    records,
                    report,
                    took: started.elapsed(),
                    reused,
                };
                if tx.send(result).is_ok() {
                    waker();
                }
            })
            .ok();
        Self {
            done,
            total,
            cancel,
            result: Mutex::new(rx),
        }
    }

    /// Asks the scan to stop (it stops within a chunk; no result comes).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The result, once (`Err(())` when the job ended without one).
    pub fn poll(&self) -> Option<Result<HealthResult, ()>> {
        let rx = self.result.lock().ok()?;
        match rx.try_recv() {
            Ok(r) => Some(Ok(r)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(())),
        }
    }
}

impl Drop for ScanJob {
    fn drop(&mut self) {
        self.cancel();
    }
}
