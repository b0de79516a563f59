//! One write-back at a time: an exclusive lock on a file beside the journal, held from the check of
//! the plan against the journal to the record of what was written. Edits (`record`) do not take it, so
//! a key press never waits for a write-back; the journal's own transactions keep those safe.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use super::{JournalError, JournalLocation};

/// Held while a write-back (or the repair of an interrupted one) changes the dataset's files;
/// released when dropped (and by the OS when the process dies).
#[derive(Debug)]
pub struct ApplyLock {
    _file: File,
}

impl ApplyLock {
    /// The lock file of a journal: `labels.sqlite3.apply-lock` beside it.
    pub fn path(location: &JournalLocation) -> PathBuf {
        let mut name = location
            .db_path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".apply-lock");
        location.db_path.with_file_name(name)
    }

    /// Waits for and takes the lock.
    pub fn acquire(location: &JournalLocation) -> Result<Self, JournalError> {
        let path = Self::path(location);
        let err = |e: std::io::Error| JournalError::Open {
            path: path.clone(),
            reason: format!("cannot take the write-back lock: {e}"),
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(err)?;
        file.lock().map_err(err)?;
        Ok(ApplyLock { _file: file })
    }
}
