//! Scan records kept on disk between openings, by the thumbnail cache's rules: a record is reused
//! only while its file (or, for embedded media, its shard) has the same length and modification
//! time. A second opening of a million-sample dataset then reads records instead of decoding.
//!
//! SQLite (bundled), one table; the record is stored as JSON. The table name carries a version so
//! a change to what a record holds or how it is measured starts afresh instead of mixing the two.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};

use super::record::ScanRecord;
use crate::core::data::dataset::Dataset;
use crate::core::data::sample_media::SampleMedia;

/// Bump when [`ScanRecord`] or the measures change meaning.
const TABLE: &str = "scan_records_v1";

/// What identifies one version of one sample's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanKey {
    /// The absolute file path, or `shard#row=N` for embedded media.
    pub id: Vec<u8>,
    /// The file's (or shard's) length.
    pub len: u64,
    /// Its modification time in nanoseconds since 1970.
    pub mtime_ns: i64,
}

impl ScanKey {
    /// The key of sample `i` as it is on disk now; `None` for a text (scanning it costs nothing)
    /// or a file that cannot be looked at (it is scanned, and reported, again).
    pub fn of(dataset: &Dataset, i: usize) -> Option<Self> {
        match dataset.media(i) {
            SampleMedia::File(path) => {
                let meta = std::fs::metadata(&path).ok()?;
                let path = std::path::absolute(&path).unwrap_or(path);
                Some(Self {
                    id: path.as_os_str().as_encoded_bytes().to_vec(),
                    len: meta.len(),
                    mtime_ns: crate::core::util::file_stamp::mtime_ns(&meta),
                })
            }
            embedded @ SampleMedia::Embedded { .. } => {
                let (id, len, mtime_ns) = embedded.cache_key()?;
                Some(Self {
                    id: id.into_bytes(),
                    len,
                    mtime_ns,
                })
            }
            SampleMedia::Text => None,
        }
    }
}

/// Why the cache could not be used (the scan then runs without it).
#[derive(Debug, thiserror::Error)]
#[error("scan cache {path}: {detail}", path = .path.display())]
pub struct ScanCacheError {
    /// The database file.
    pub path: PathBuf,
    /// What went wrong.
    pub detail: String,
}

/// The on-disk record cache.
pub struct ScanCache {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl ScanCache {
    /// Opens (or creates) `dir/scan-records.sqlite3`. A file that is not a usable database is
    /// moved aside as `.corrupt` and a new one started.
    pub fn open(dir: &Path) -> Result<Self, ScanCacheError> {
        let path = dir.join("scan-records.sqlite3");
        let fail = |detail: String| ScanCacheError {
            path: path.clone(),
            detail,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create the folder: {e}")))?;
        let conn = match connect(&path) {
            Ok(c) => c,
            Err(_) if path.exists() => {
                std::fs::rename(&path, path.with_extension("sqlite3.corrupt")).ok();
                connect(&path).map_err(|e| fail(e.to_string()))?
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        Ok(Self {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached record for each key (`None`: not cached, or cached for other content).
    pub fn get_many(&self, keys: &[Option<ScanKey>]) -> Vec<Option<ScanRecord>> {
        let Ok(conn) = self.conn.lock() else {
            return vec![None; keys.len()];
        };
        let Ok(mut stmt) = conn.prepare_cached(&format!(
            "SELECT record FROM {TABLE} WHERE id = ?1 AND len = ?2 AND mtime_ns = ?3"
        )) else {
            return vec![None; keys.len()];
        };
        keys.iter()
            .map(|key| {
                let key = key.as_ref()?;
                let json: String = stmt
                    .query_row(params![key.id, key.len as i64, key.mtime_ns], |row| {
                        row.get(0)
                    })
                    .optional()
                    .ok()??;
                serde_json::from_str(&json).ok()
            })
            .collect()
    }

    /// Keeps records (thumbnails are not kept here), replacing older versions, in one transaction.
    pub fn put_many(&self, items: &[(ScanKey, &ScanRecord)]) -> Result<(), ScanCacheError> {
        let fail = |e: &dyn std::fmt::Display| ScanCacheError {
            path: self.path.clone(),
            detail: e.to_string(),
        };
        let mut conn = self.conn.lock().map_err(|e| fail(&e))?;
        let tx = conn.transaction().map_err(|e| fail(&e))?;
        {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "INSERT OR REPLACE INTO {TABLE} (id, len, mtime_ns, record) VALUES (?1, ?2, ?3, ?4)"
                ))
                .map_err(|e| fail(&e))?;
            for (key, record) in items {
                let mut record = (*record).clone();
                record.thumbnail = None;
                let json = serde_json::to_string(&record).map_err(|e| fail(&e))?;
                stmt.execute(params![key.id, key.len as i64, key.mtime_ns, json])
                    .map_err(|e| fail(&e))?;
            }
        }
        tx.commit().map_err(|e| fail(&e))
    }
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // A cache: losing the last commits in a power cut only means scanning those samples again.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (
             id BLOB PRIMARY KEY,
             len INTEGER NOT NULL,
             mtime_ns INTEGER NOT NULL,
             record TEXT NOT NULL
         ) WITHOUT ROWID;"
    ))?;
    conn.query_row(&format!("SELECT count(*) FROM {TABLE}"), [], |_| Ok(()))?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::media::{MediaKind, ProblemKind};

    #[test]
    fn a_record_comes_back_only_for_the_same_content() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ScanCache::open(dir.path()).unwrap();
        let key = ScanKey {
            id: b"/data/a.jpg".to_vec(),
            len: 10,
            mtime_ns: 5,
        };
        let record = ScanRecord {
            kind: Some(MediaKind::Image),
            problem: Some((ProblemKind::Unsupported, "why".into())),
            size: Some((3, 4)),
            thumbnail: Some(vec![1]),
            ..ScanRecord::default()
        };
        cache.put_many(&[(key.clone(), &record)]).unwrap();
        let changed = ScanKey {
            mtime_ns: 6,
            ..key.clone()
        };
        let got = cache.get_many(&[Some(key), Some(changed), None]);
        let mut expected = record;
        expected.thumbnail = None;
        assert_eq!(got, vec![Some(expected), None, None]);
    }

    #[test]
    fn a_garbage_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("scan-records.sqlite3"),
            b"not a database at all",
        )
        .unwrap();
        let cache = ScanCache::open(dir.path()).unwrap();
        assert!(cache.get_many(&[None]).len() == 1);
        assert!(dir.path().join("scan-records.sqlite3.corrupt").exists());
    }
}
