//! The persistent thumbnail cache: tiles decoded once are read back from an SQLite file on the next
//! opening of a dataset, so a second look at the same photos is instant (a 256 px PNG decodes in
//! well under a millisecond; the photo behind it can take 100 ms).
//!
//! An entry is keyed by the file's path, the decode size and whether EXIF was applied, and is only
//! used while the file's length and modification time are the ones it was made from: an edited or
//! replaced photo is decoded again. Decoder threads read through their own connections (WAL lets
//! them read while one writer thread commits in batches). The file is bounded in bytes: when over
//! budget, the entries used longest ago go first. It is a cache: a corrupt file is replaced, and a
//! cache that cannot be opened only costs speed (the caller says so and goes on without it).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::core::media::{Pixels, encode_png};
use crate::ui::workers::picture::Thumbnail;

/// The largest decode size worth keeping on disk (grid tiles; the inspector's large decodes are
/// one at a time and would fill the cache quickly).
pub const MAX_STORED_SIZE: u32 = 512;

/// Default bound on the cache file.
pub const DEFAULT_BUDGET_BYTES: u64 = 2 << 30;

/// Why the cache could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("thumbnail cache {path}: {source}", path = .path.display())]
pub struct StoreError {
    /// The database file.
    pub path: PathBuf,
    /// What SQLite said.
    #[source]
    pub source: rusqlite::Error,
}

/// Which thumbnail of which version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreKey {
    /// The file as the dataset names it (absolute when the dataset path is).
    pub path: PathBuf,
    /// Longest side of the thumbnail.
    pub size: u32,
    /// EXIF orientation applied.
    pub upright: bool,
    /// The file's length when the thumbnail was made.
    pub file_len: u64,
    /// The file's modification time, in nanoseconds since 1970.
    pub mtime_ns: i64,
}

impl StoreKey {
    /// The key for `path` as it is on disk now, or the I/O error (say, the file was deleted).
    pub fn for_file(path: &Path, size: u32, upright: bool) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        let mtime_ns = crate::core::util::file_stamp::mtime_ns(&meta);
        Ok(Self {
            path: absolute(path),
            size,
            upright,
            file_len: meta.len(),
            mtime_ns,
        })
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_encoded_bytes().to_vec()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

enum WriteOp {
    Put(Box<(StoreKey, Thumbnail, Vec<u8>)>),
    Touch(i64),
    Flush(Sender<()>),
}

/// The cache: hand out [`StoreReader`]s to decoder threads, [`ThumbnailStore::put`] new tiles.
pub struct ThumbnailStore {
    path: PathBuf,
    writer: Sender<WriteOp>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS thumbnails (
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL,
    size INTEGER NOT NULL,
    upright INTEGER NOT NULL,
    file_len INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    stored_width INTEGER NOT NULL,
    stored_height INTEGER NOT NULL,
    orientation INTEGER,
    orientation_note TEXT,
    format TEXT NOT NULL,
    png BLOB NOT NULL,
    used INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS thumbnails_key ON thumbnails (path, size, upright);
CREATE INDEX IF NOT EXISTS thumbnails_used ON thumbnails (used);
";

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // A cache: losing the last commits in a power cut only means decoding those tiles again.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    conn.execute_batch(SCHEMA)?;
    // Reading a table proves the file is a database (a garbage file opens without error).
    conn.query_row("SELECT count(*) FROM thumbnails", [], |_| Ok(()))?;
    Ok(conn)
}

impl ThumbnailStore {
    /// Where the cache lives: `$SPOTCHECK_CACHE_DIR`, else `$XDG_CACHE_HOME/spotcheck`, else
    /// `~/.cache/spotcheck`. `None` when `SPOTCHECK_CACHE_DIR` is `off` or no home is known.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("SPOTCHECK_CACHE_DIR") {
            return (dir != "off" && !dir.is_empty()).then(|| PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join("spotcheck"));
        }
        std::env::var_os("HOME")
            .filter(|d| !d.is_empty())
            .map(|home| PathBuf::from(home).join(".cache").join("spotcheck"))
    }

    /// Opens (or creates) `dir/thumbnails.sqlite3`, bounded to about `budget_bytes`. A file that
    /// is not a usable database is moved aside as `.corrupt` and a new one started.
    pub fn open(dir: &Path, budget_bytes: u64) -> Result<Arc<Self>, StoreError> {
        let path = dir.join("thumbnails.sqlite3");
        let err = |source| StoreError {
            path: path.clone(),
            source,
        };
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Err(err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(format!("cannot create the folder: {e}")),
            )));
        }
        let conn = match open_connection(&path) {
            Ok(conn) => conn,
            Err(first) if path.exists() => {
                let aside = path.with_extension("sqlite3.corrupt");
                eprintln!("warning: {}; starting a new cache", err(first));
                std::fs::rename(&path, &aside).ok();
                for suffix in ["-wal", "-shm"] {
                    let mut side = path.clone().into_os_string();
                    side.push(suffix);
                    std::fs::remove_file(PathBuf::from(side)).ok();
                }
                open_connection(&path).map_err(err)?
            }
            Err(e) => return Err(err(e)),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("thumbnail-cache-writer".into())
            .spawn(move || write_loop(&conn, &rx, budget_bytes))
            .map_err(|e| {
                err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                    Some(format!("cannot start the writer thread: {e}")),
                ))
            })?;
        Ok(Arc::new(Self { path, writer: tx }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A reader for one thread.
    pub fn reader(&self) -> Result<StoreReader, StoreError> {
        let conn = open_connection(&self.path).map_err(|source| StoreError {
            path: self.path.clone(),
            source,
        })?;
        Ok(StoreReader {
            conn,
            writer: self.writer.clone(),
        })
    }

    /// Keeps `thumb` for `key` (sizes above [`MAX_STORED_SIZE`] are not kept). The PNG is
    /// encoded on the calling thread; the write happens on the writer thread, in a batch.
    pub fn put(&self, key: &StoreKey, thumb: &Thumbnail) {
        if key.size > MAX_STORED_SIZE {
            return;
        }
        let Some(pixels) = Pixels::new(thumb.width, thumb.height, 4, thumb.rgba.to_vec()) else {
            return;
        };
        let Ok(png) = encode_png(&pixels) else { return };
        self.writer
            .send(WriteOp::Put(Box::new((key.clone(), thumb.clone(), png))))
            .ok();
    }

    /// Waits until every `put` so far is committed (tests, and before exit).
    pub fn flush(&self) {
        let (tx, rx) = std::sync::mpsc::channel();
        if self.writer.send(WriteOp::Flush(tx)).is_ok() {
            rx.recv_timeout(Duration::from_secs(30)).ok();
        }
    }
}

fn write_loop(conn: &Connection, rx: &Receiver<WriteOp>, budget_bytes: u64) {
    let mut total = conn
        .query_row(
            "SELECT coalesce(sum(length(png)), 0) FROM thumbnails",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_or(0, |n| u64::try_from(n).unwrap_or(0));
    total = evict(conn, total, budget_bytes);
    while let Ok(first) = rx.recv() {
        // Everything already queued goes into one transaction.
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
            if batch.len() >= 512 {
                break;
            }
        }
        let mut flushed = Vec::new();
        match write_batch(conn, batch, &mut flushed) {
            Ok(added) => total = total.saturating_add(added),
            Err(e) => eprintln!("warning: thumbnail cache: {e}"),
        }
        total = evict(conn, total, budget_bytes);
        for done in flushed {
            done.send(()).ok();
        }
    }
}

fn write_batch(
    conn: &Connection,
    batch: Vec<WriteOp>,
    flushed: &mut Vec<Sender<()>>,
) -> rusqlite::Result<u64> {
    let tx = conn.unchecked_transaction()?;
    let mut added = 0u64;
    let now = now_secs();
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO thumbnails (path, size, upright, file_len, mtime_ns, width, height, \
             stored_width, stored_height, orientation, orientation_note, format, png, used) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        let mut touch = tx.prepare_cached("UPDATE thumbnails SET used = ?1 WHERE id = ?2")?;
        for op in batch {
            match op {
                WriteOp::Put(entry) => {
                    let (key, thumb, png) = *entry;
                    added += png.len() as u64;
                    put.execute(params![
                        path_bytes(&key.path),
                        key.size,
                        key.upright,
                        i64::try_from(key.file_len).unwrap_or(i64::MAX),
                        key.mtime_ns,
                        thumb.width,
                        thumb.height,
                        thumb.stored_size.0,
                        thumb.stored_size.1,
                        thumb.orientation,
                        thumb.orientation_note,
                        thumb.format,
                        png,
                        now,
                    ])?;
                }
                WriteOp::Touch(id) => {
                    touch.execute(params![now, id])?;
                }
                WriteOp::Flush(done) => flushed.push(done),
            }
        }
    }
    tx.commit()?;
    Ok(added)
}

/// Deletes the least recently used entries until the file holds at most 80% of the budget.
fn evict(conn: &Connection, total: u64, budget_bytes: u64) -> u64 {
    if total <= budget_bytes {
        return total;
    }
    let target = budget_bytes / 5 * 4;
    let mut total = total;
    let Ok(mut oldest) =
        conn.prepare("SELECT id, length(png) FROM thumbnails ORDER BY used, id LIMIT 1024")
    else {
        return total;
    };
    while total > target {
        let Ok(rows) = oldest
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        else {
            return total;
        };
        if rows.is_empty() {
            return 0;
        }
        let Ok(tx) = conn.unchecked_transaction() else {
            return total;
        };
        for (id, len) in rows {
            if total <= target {
                break;
            }
            if tx
                .execute("DELETE FROM thumbnails WHERE id = ?1", [id])
                .is_ok()
            {
                total = total.saturating_sub(u64::try_from(len).unwrap_or(0));
            }
        }
        if tx.commit().is_err() {
            return total;
        }
    }
    total
}

/// One thread's view of the cache.
pub struct StoreReader {
    conn: Connection,
    writer: Sender<WriteOp>,
}

impl StoreReader {
    /// The thumbnail for `key`, if one made from the same version of the file is kept.
    pub fn get(&self, key: &StoreKey) -> Option<Thumbnail> {
        if key.size > MAX_STORED_SIZE {
            return None;
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, file_len, mtime_ns, width, height, stored_width, stored_height, \
                 orientation, orientation_note, format, png \
                 FROM thumbnails WHERE path = ?1 AND size = ?2 AND upright = ?3",
            )
            .ok()?;
        let row = stmt
            .query_row(params![path_bytes(&key.path), key.size, key.upright], |r| {
                Ok(StoredRow {
                    id: r.get(0)?,
                    file_len: r.get(1)?,
                    mtime_ns: r.get(2)?,
                    width: r.get(3)?,
                    height: r.get(4)?,
                    stored_size: (r.get(5)?, r.get(6)?),
                    orientation: r.get(7)?,
                    orientation_note: r.get(8)?,
                    format: r.get(9)?,
                    png: r.get(10)?,
                })
            })
            .optional()
            .ok()??;
        if u64::try_from(row.file_len).ok() != Some(key.file_len) || row.mtime_ns != key.mtime_ns {
            return None;
        }
        let rgba = decode_rgba(&row.png, row.width, row.height)?;
        self.writer.send(WriteOp::Touch(row.id)).ok();
        Some(Thumbnail {
            width: row.width,
            height: row.height,
            rgba: rgba.into(),
            stored_size: row.stored_size,
            orientation: row.orientation,
            orientation_note: row.orientation_note,
            format: static_format(&row.format),
            file_bytes: key.file_len,
            audio: None,
        })
    }
}

struct StoredRow {
    id: i64,
    file_len: i64,
    mtime_ns: i64,
    width: u32,
    height: u32,
    stored_size: (u32, u32),
    orientation: Option<u8>,
    orientation_note: Option<String>,
    format: String,
    png: Vec<u8>,
}

/// RGBA pixels of a cached PNG, checked against the size recorded beside it.
fn decode_rgba(png_bytes: &[u8], width: u32, height: u32) -> Option<Vec<u8>> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    if (info.width, info.height) != (width, height) || info.bit_depth != png::BitDepth::Eight {
        return None;
    }
    buf.truncate(info.buffer_size());
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return None,
    };
    Some(Pixels::new(width, height, channels, buf)?.to_rgba())
}

/// The decoders' format names are static strings; map a stored one back.
fn static_format(name: &str) -> &'static str {
    const NAMES: [&str; 11] = [
        "JPEG",
        "PNG",
        "GIF",
        "WebP",
        "BMP",
        "TIFF",
        "AVIF",
        "ICO",
        "QOI",
        "OpenEXR",
        "Radiance HDR",
    ];
    NAMES
        .iter()
        .find(|n| **n == name)
        .copied()
        .unwrap_or("an image format")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::media::DEFAULT_MAX_PIXELS;
    use crate::ui::workers::decode_pool::{DecodeRequest, decode_request};

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exif-orientation-examples")
    }

    #[test]
    fn a_kept_thumbnail_comes_back_identical_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("p.jpg");
        std::fs::copy(fixture().join("Landscape_6.jpg"), &photo).unwrap();
        let store = ThumbnailStore::open(&dir.path().join("cache"), 1 << 30).unwrap();
        let reader = store.reader().unwrap();
        let request = DecodeRequest {
            sample: 0,
            media: crate::core::data::sample_media::SampleMedia::File(photo.clone()),
            size: 64,
            picture: super::super::decode_pool::Picture::Upright,
            epoch: 0,
        };
        let key = StoreKey::for_file(&photo, 64, true).unwrap();
        assert!(reader.get(&key).is_none());
        let thumb = decode_request(&request, DEFAULT_MAX_PIXELS).unwrap();
        store.put(&key, &thumb);
        store.flush();
        assert_eq!(reader.get(&key).as_ref(), Some(&thumb));
        // The other orientation setting is a different entry.
        let stored = StoreKey::for_file(&photo, 64, false).unwrap();
        assert!(reader.get(&stored).is_none());
        // A new process (a new store on the same folder) sees it too.
        drop(reader);
        drop(store);
        let store = ThumbnailStore::open(&dir.path().join("cache"), 1 << 30).unwrap();
        assert_eq!(store.reader().unwrap().get(&key).as_ref(), Some(&thumb));
        // Rewriting the file (new length) makes the entry stale.
        std::fs::copy(fixture().join("Portrait_8.jpg"), &photo).unwrap();
        let changed = StoreKey::for_file(&photo, 64, true).unwrap();
        assert_ne!(changed, key);
        assert!(store.reader().unwrap().get(&changed).is_none());
    }

    #[test]
    fn a_corrupt_cache_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("thumbnails.sqlite3"),
            b"not a database at all",
        )
        .unwrap();
        let store = ThumbnailStore::open(dir.path(), 1 << 30).unwrap();
        assert!(store.reader().is_ok());
        assert!(dir.path().join("thumbnails.sqlite3.corrupt").exists());
    }

    #[test]
    fn the_cache_stays_within_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let photo = fixture().join("Landscape_1.jpg");
        let thumb = decode_request(
            &DecodeRequest {
                sample: 0,
                media: crate::core::data::sample_media::SampleMedia::File(photo.clone()),
                size: 128,
                picture: super::super::decode_pool::Picture::Upright,
                epoch: 0,
            },
            DEFAULT_MAX_PIXELS,
        )
        .unwrap();
        let one = {
            let pixels = Pixels::new(thumb.width, thumb.height, 4, thumb.rgba.to_vec()).unwrap();
            encode_png(&pixels).unwrap().len() as u64
        };
        let budget = one * 10;
        let store = ThumbnailStore::open(dir.path(), budget).unwrap();
        let key = |n: u32| StoreKey {
            path: PathBuf::from(format!("/photos/{n}.jpg")),
            size: 128,
            upright: true,
            file_len: 1,
            mtime_ns: 1,
        };
        for n in 0..30 {
            store.put(&key(n), &thumb);
            store.flush();
        }
        let reader = store.reader().unwrap();
        let kept = (0..30).filter(|&n| reader.get(&key(n)).is_some()).count();
        assert!((1..=10).contains(&kept), "{kept} kept");
        assert!(reader.get(&key(29)).is_some(), "the newest is kept");
        assert!(reader.get(&key(0)).is_none(), "the oldest went first");
    }
}
