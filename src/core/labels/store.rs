//! The SQLite file behind [`LabelJournal`]: two append-only tables (batches, and the events in each),
//! written one transaction per user action.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior, params};

use super::mounts::{JournalMode, MODE_VARIABLE, choose_mode, mount_of_path};
use super::replay::{EventRow, Replay};
use super::soft::{SoftChange, SoftLabel};
use super::{JournalError, JournalLocation};

/// Identifies one user action (a relabel of one or many samples, an undo, a review mark, an apply).
pub type BatchId = i64;

/// Which program wrote a batch (shown in the history; it changes nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The desktop app.
    Gui,
    /// A `spotcheck` command.
    Cli,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Gui => "gui",
            Origin::Cli => "cli",
        }
    }
}

/// One sample's new label. `disk` is its label in the dataset's files, used as the "from" of the edit
/// when the journal has no earlier edit of it; `None` labels mean unlabelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelChange {
    /// The sample's identity (path relative to the root).
    pub file: String,
    /// Its label on disk.
    pub disk: Option<String>,
    /// The label it gets.
    pub to: Option<String>,
}

/// A write-back of one edit: which edit (its event `seq`) reached the files, and where a class-folder
/// move put the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedEdit {
    /// The sample as it was named when edited.
    pub file: String,
    /// The label written.
    pub to: Option<String>,
    /// The event that was written back.
    pub seq: i64,
    /// The file's new identity after a class-folder move.
    pub moved_to: Option<String>,
}

/// Bumped when the tables change shape; a file from a newer version is refused, never rewritten.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset TEXT NOT NULL,
    op TEXT NOT NULL,
    target INTEGER,
    origin TEXT NOT NULL,
    time_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    batch INTEGER NOT NULL REFERENCES batches(id),
    dataset TEXT NOT NULL,
    kind TEXT NOT NULL,
    file TEXT NOT NULL,
    from_label TEXT,
    to_label TEXT,
    target INTEGER,
    moved_to TEXT
);
CREATE INDEX IF NOT EXISTS events_by_file ON events (dataset, file, seq);
CREATE INDEX IF NOT EXISTS batches_by_dataset ON batches (dataset, id);
";

/// The journal of one dataset, open for reading and appending.
pub struct LabelJournal {
    conn: Connection,
    location: JournalLocation,
    note: Option<String>,
}

impl std::fmt::Debug for LabelJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelJournal")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

const SIDE_WAL: &str = "-wal";
const SIDE_SHM: &str = "-shm";
const SIDE_JOURNAL: &str = "-journal";

/// How a reader connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// `SQLITE_OPEN_READ_ONLY`: sees a writer's WAL, never writes the file.
    ReadOnly,
    /// `immutable=1`: no locks and no `-shm`, for a folder nobody can write in.
    Immutable,
    /// Read-write without any pragma: only to roll back a hot rollback journal.
    Recovering,
}

/// `labels.sqlite3-wal` beside `labels.sqlite3`.
fn side_file(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `file:` URI of `path` with `immutable=1`, every byte that URIs reserve percent-encoded.
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for &b in absolute.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Creates `folder` and any missing parents, then fsyncs the parent of each folder it created, so a
/// power cut right after the first edit cannot take the new `.spotcheck` folder (and the journal in
/// it) away. Errors name the folder that failed.
fn create_folder_durably(folder: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    let missing: Vec<&Path> = folder
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .collect();
    std::fs::create_dir_all(folder).map_err(|e| (folder.to_path_buf(), e))?;
    for dir in missing {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| (parent.to_path_buf(), e))?;
    }
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Runs `step` again while SQLite answers "busy" or "locked", for up to the journal's busy wait
/// (60 s), pausing a little longer each time.
fn retry_while_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut pause = Duration::from_millis(2);
    loop {
        match step() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

impl LabelJournal {
    /// Opens the journal for writing, creating its folder and file on first use. On a network or FUSE
    /// file system it uses a rollback journal instead of WAL (see [`LabelJournal::note`]).
    pub fn open(location: &JournalLocation) -> Result<Self, JournalError> {
        let open_err = |reason: String| JournalError::Open {
            path: location.db_path.clone(),
            reason,
        };
        let folder = location
            .db_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_folder_durably(folder).map_err(|(dir, e)| {
            open_err(format!(
                "cannot create the folder {}: {e}{}",
                dir.display(),
                if e.kind() == std::io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(30)
                {
                    " (a read-only dataset: keep the journal elsewhere with --state-dir DIR)"
                } else {
                    ""
                }
            ))
        })?;
        let forced = std::env::var(MODE_VARIABLE).ok();
        let choice = choose_mode(forced.as_deref(), mount_of_path(folder).as_ref(), folder)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&location.db_path, flags)
            .map_err(|e| open_err(e.to_string()))?;
        let journal = LabelJournal {
            conn,
            location: location.clone(),
            note: choice.note.clone(),
        };
        journal.configure(choice.mode).map_err(|e| match e {
            JournalError::Database { reason, .. } => {
                open_err(format!("{reason} (is it a spotcheck label journal?)"))
            }
            other => other,
        })?;
        Ok(journal)
    }

    /// Opens the journal for reading if it exists; `None` when this dataset was never edited. Nothing
    /// is created and nothing written: the connection is read-only, so a read-only copy of a dataset
    /// (a read-only mount, an unwritable folder) still shows its edits. In an unwritable folder with
    /// no `-wal`/`-shm` beside the file (no writer can be at work there), SQLite is told the file is
    /// immutable, since it could not create its shared-memory index there.
    pub fn open_existing(location: &JournalLocation) -> Result<Option<Self>, JournalError> {
        let path = &location.db_path;
        if !path.exists() {
            return Ok(None);
        }
        let side_files = [SIDE_WAL, SIDE_SHM, SIDE_JOURNAL]
            .iter()
            .any(|suffix| side_file(path, suffix).exists());
        let read_only_mount = path
            .parent()
            .and_then(mount_of_path)
            .is_some_and(|m| m.read_only);
        if read_only_mount && !side_files {
            return Self::connect_reader(location, Reader::Immutable);
        }
        match Self::connect_reader(location, Reader::ReadOnly) {
            // An unwritable folder (chattr +i, another user's copy) without WAL files: SQLite could
            // not create its index there, and no writer can have one either.
            Err(_) if !side_files => Self::connect_reader(location, Reader::Immutable),
            // A rollback journal left by a power cut or a kill ("hot"): only a connection that may
            // write can roll it back; a read-only one is refused. It writes nothing else.
            Err(_) if side_file(path, SIDE_JOURNAL).exists() => {
                Self::connect_reader(location, Reader::Recovering)
            }
            other => other,
        }
    }

    /// A connection for reading, checked: `None` when the file holds no journal tables yet (created,
    /// then the process stopped before the first commit).
    fn connect_reader(
        location: &JournalLocation,
        how: Reader,
    ) -> Result<Option<Self>, JournalError> {
        let path = &location.db_path;
        let open_err = |e: rusqlite::Error| JournalError::Open {
            path: path.clone(),
            reason: format!("{e} (is it a spotcheck label journal?)"),
        };
        let read_only = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match how {
            Reader::ReadOnly => Connection::open_with_flags(path, read_only),
            Reader::Immutable => Connection::open_with_flags(
                immutable_uri(path),
                read_only | OpenFlags::SQLITE_OPEN_URI,
            ),
            Reader::Recovering => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            ),
        }
        .map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(60))
            .map_err(open_err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_err)?;
        if version > SCHEMA_VERSION {
            return Err(JournalError::NewerSchema {
                path: path.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let has_tables: bool = conn
            .query_row(
                "SELECT count(*) = 2 FROM sqlite_master WHERE type = 'table' AND name IN ('batches', 'events')",
                [],
                |r| r.get(0),
            )
            .map_err(open_err)?;
        if !has_tables {
            return Ok(None);
        }
        Ok(Some(LabelJournal {
            conn,
            location: location.clone(),
            note: None,
        }))
    }

    /// Why this journal does not use SQLite's write-ahead log (a network or FUSE file system, or
    /// `SPOTCHECK_JOURNAL_MODE=delete`); `None` on a local disk.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    fn configure(&self, mode: JournalMode) -> Result<(), JournalError> {
        let conn = &self.conn;
        let db = |e: rusqlite::Error| self.db_error(e);
        // Another process may hold the write lock for the length of one transaction (an apply of a
        // large manifest takes seconds): wait rather than fail.
        conn.busy_timeout(Duration::from_secs(60)).map_err(db)?;
        // WAL + FULL: a commit is on disk (the WAL fsynced) before the edit is acknowledged. A
        // rollback journal needs EXTRA: the commit is the journal's unlink, which only the folder's
        // fsync makes durable (with FULL a power cut can bring the journal back and roll back).
        let (journal_mode, synchronous) = match mode {
            JournalMode::Wal => ("wal", "FULL"),
            JournalMode::Delete => ("delete", "EXTRA"),
        };
        // Two processes opening a new journal at once: switching it to WAL and creating its tables
        // take locks that SQLite's busy handler does not always wait for ("database is locked" at
        // once), so these first steps are retried for as long as the busy wait would have waited.
        let got: String = retry_while_busy(|| {
            conn.pragma_update_and_check(None, "journal_mode", journal_mode, |r| r.get(0))
        })
        .map_err(db)?;
        if !got.eq_ignore_ascii_case(journal_mode) {
            return Err(JournalError::Open {
                path: self.location.db_path.clone(),
                reason: format!(
                    "cannot switch the journal to {journal_mode} mode (it stays {got}; is another spotcheck using it?)"
                ),
            });
        }
        retry_while_busy(|| conn.pragma_update(None, "synchronous", synchronous)).map_err(db)?;
        let version: i64 =
            retry_while_busy(|| conn.query_row("PRAGMA user_version", [], |r| r.get(0)))
                .map_err(db)?;
        if version > SCHEMA_VERSION {
            return Err(JournalError::NewerSchema {
                path: self.location.db_path.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        retry_while_busy(|| conn.execute_batch(SCHEMA)).map_err(db)?;
        if version < SCHEMA_VERSION {
            retry_while_busy(|| conn.pragma_update(None, "user_version", SCHEMA_VERSION))
                .map_err(db)?;
        }
        // A garbage file opens without error; reading a table proves it is a database.
        conn.query_row("SELECT count(*) FROM batches", [], |_| Ok(()))
            .map_err(db)?;
        Ok(())
    }

    fn db_error(&self, e: rusqlite::Error) -> JournalError {
        JournalError::Database {
            path: self.location.db_path.clone(),
            reason: e.to_string(),
        }
    }

    /// Where this journal is.
    pub fn location(&self) -> &JournalLocation {
        &self.location
    }

    /// The newest batch id of this dataset (0 when none): a cheap way to notice another process's edits.
    pub fn last_batch(&self) -> Result<BatchId, JournalError> {
        self.conn
            .query_row(
                "SELECT coalesce(max(id), 0) FROM batches WHERE dataset = ?1",
                [&self.location.dataset_key],
                |r| r.get(0),
            )
            .map_err(|e| self.db_error(e))
    }

    /// Runs SQLite's integrity check (after a crash, to prove the file is whole).
    pub fn check_integrity(&self) -> Result<(), JournalError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.db_error(e))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(JournalError::Database {
                path: self.location.db_path.clone(),
                reason: format!("integrity check: {result}"),
            })
        }
    }

    /// Every label this dataset's journal recorded, oldest first (unlabelled as empty): the whole
    /// history, for tests and audits.
    pub fn recorded_labels(&self) -> Result<Vec<String>, JournalError> {
        let read = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare(
                "SELECT coalesce(to_label, '') FROM events WHERE dataset = ?1 AND kind = 'label' ORDER BY seq",
            )?;
            let rows = stmt.query_map([&self.location.dataset_key], |r| r.get(0))?;
            rows.collect()
        };
        read().map_err(|e| self.db_error(e))
    }

    /// Reads this dataset's whole history.
    pub fn replay(&self) -> Result<Replay, JournalError> {
        read_replay(&self.conn, &self.location.dataset_key).map_err(|e| self.db_error(e))
    }

    /// Records new labels as one undoable action. Samples already carrying their new label are left
    /// out; `None` when nothing changes. Returns once the transaction is on disk.
    pub fn record(
        &mut self,
        changes: &[LabelChange],
        origin: Origin,
    ) -> Result<Option<BatchId>, JournalError> {
        self.write(|tx, key| {
            // Read inside the write transaction: a write-back that moved the file and committed
            // before this one is seen, so the edit is recorded under the file's name now.
            let replay = read_replay(tx, key)?;
            let mut rows = Vec::with_capacity(changes.len());
            for c in changes {
                let file = replay.resolve(&c.file);
                let from = replay.current(file).unwrap_or_else(|| c.disk.clone());
                if from != c.to {
                    rows.push((file, from, c.to.clone()));
                }
            }
            if rows.is_empty() {
                return Ok(None);
            }
            let batch = insert_batch(tx, key, "edit", None, origin)?;
            insert_label_events(tx, key, batch, &rows)?;
            Ok(Some(batch))
        })
    }

    /// Records hand soft labels (or clears them, `to: None`) as one undoable action, like
    /// [`LabelJournal::record`]: one transaction, on disk before it returns; samples whose soft label
    /// would not change are left out, and `None` means nothing changed. The distribution is stored
    /// as compact JSON in `to_label` (the previous one in `from_label`, for undo), kind `soft`.
    pub fn record_soft(
        &mut self,
        changes: &[SoftChange],
        origin: Origin,
    ) -> Result<Option<BatchId>, JournalError> {
        self.write(|tx, key| {
            let replay = read_replay(tx, key)?;
            let mut rows = Vec::with_capacity(changes.len());
            for c in changes {
                let file = replay.resolve(&c.file);
                let from = replay.current_soft_text(file).map(str::to_string);
                let to = c.to.as_ref().map(SoftLabel::to_json);
                if from != to {
                    rows.push((file, from, to));
                }
            }
            if rows.is_empty() {
                return Ok(None);
            }
            let batch = insert_batch(tx, key, "edit", None, origin)?;
            insert_events(tx, key, batch, "soft", &rows)?;
            Ok(Some(batch))
        })
    }

    /// Undoes the newest action not yet undone (of any process) by recording the opposite edit.
    /// Returns the labels it set, or `None` when there is nothing to undo.
    pub fn undo(&mut self, origin: Origin) -> Result<Option<Reverted>, JournalError> {
        self.revert(origin, true)
    }

    /// Redoes the newest undone action, when no new edit came after the undo.
    pub fn redo(&mut self, origin: Origin) -> Result<Option<Reverted>, JournalError> {
        self.revert(origin, false)
    }

    fn revert(&mut self, origin: Origin, undo: bool) -> Result<Option<Reverted>, JournalError> {
        self.write(|tx, key| {
            let replay = read_replay(tx, key)?;
            let target = if undo {
                replay.undo_target()
            } else {
                replay.redo_target()
            };
            let Some(target) = target else {
                return Ok(None);
            };
            let mut rows = Vec::new();
            for (file, change) in replay.batch_changes(target) {
                let file = file.to_string();
                let current = replay.current(&file).unwrap_or_else(|| change.to.clone());
                let to = if undo {
                    change.from.clone()
                } else {
                    change.to.clone()
                };
                rows.push((file, current, to));
            }
            // A soft-label action is reverted the same way: the opposite event, from the soft label
            // the file has now.
            let mut soft_rows = Vec::new();
            for (file, change) in replay.soft_batch_changes(target) {
                let current = replay.current_soft_text(file).map(str::to_string);
                let to = if undo {
                    change.from.clone()
                } else {
                    change.to.clone()
                };
                soft_rows.push((file.to_string(), current, to));
            }
            let op = if undo { "undo" } else { "redo" };
            let batch = insert_batch(tx, key, op, Some(target), origin)?;
            let borrowed: Vec<(&str, Option<String>, Option<String>)> = rows
                .iter()
                .map(|(f, a, b)| (f.as_str(), a.clone(), b.clone()))
                .collect();
            insert_label_events(tx, key, batch, &borrowed)?;
            let soft_borrowed: Vec<(&str, Option<String>, Option<String>)> = soft_rows
                .iter()
                .map(|(f, a, b)| (f.as_str(), a.clone(), b.clone()))
                .collect();
            insert_events(tx, key, batch, "soft", &soft_borrowed)?;
            Ok(Some(Reverted {
                batch,
                target,
                labels: rows.into_iter().map(|(f, _, to)| (f, to)).collect(),
                soft: soft_rows
                    .into_iter()
                    .map(|(f, _, to)| (f, to.as_deref().and_then(SoftLabel::from_json)))
                    .collect(),
            }))
        })
    }

    /// Marks samples as reviewed (or not): proof that someone looked. Not part of undo.
    pub fn set_reviewed(
        &mut self,
        files: &[String],
        reviewed: bool,
        origin: Origin,
    ) -> Result<BatchId, JournalError> {
        self.write(|tx, key| {
            let batch = insert_batch(tx, key, "review", None, origin)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO events (batch, dataset, kind, file, to_label) VALUES (?1, ?2, 'review', ?3, ?4)",
                )?;
                for f in files {
                    stmt.execute(params![batch, key, f, if reviewed { "1" } else { "0" }])?;
                }
            }
            Ok(batch)
        })
    }

    /// Records that edits reached the dataset's files (after the files were written). A moved file's
    /// review mark follows it to its new name.
    pub fn record_applied(
        &mut self,
        applied: &[AppliedEdit],
        origin: Origin,
    ) -> Result<BatchId, JournalError> {
        self.record_outcome("apply", None, applied, origin)
    }

    /// Records, before any file moves, the moves a write-back is about to make (one transaction for
    /// all): after a crash in the middle, [`LabelJournal::open_intents`] says which files to look at.
    pub fn record_move_intents(
        &mut self,
        moves: &[MoveIntent],
        origin: Origin,
    ) -> Result<BatchId, JournalError> {
        self.write(|tx, key| {
            let batch = insert_batch(tx, key, "move-intent", None, origin)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO events (batch, dataset, kind, file, to_label, target, moved_to) VALUES (?1, ?2, 'intent', ?3, ?4, ?5, ?6)",
                )?;
                for m in moves {
                    stmt.execute(params![batch, key, m.file, m.label, m.seq, m.to])?;
                }
            }
            Ok(batch)
        })
    }

    /// Records the moves of an intent batch that reached the files (`op` "apply" after a write-back,
    /// "recover" after a crash was repaired); the intents are resolved either way.
    pub fn record_moves_done(
        &mut self,
        intents: BatchId,
        applied: &[AppliedEdit],
        recovered: bool,
        origin: Origin,
    ) -> Result<BatchId, JournalError> {
        let op = if recovered { "recover" } else { "apply" };
        self.record_outcome(op, Some(intents), applied, origin)
    }

    /// Move intents no write-back or recovery resolved: the trace of a write-back that was cut off.
    pub fn open_intents(&self) -> Result<Vec<(BatchId, Vec<MoveIntent>)>, JournalError> {
        let read = || -> rusqlite::Result<Vec<(BatchId, Vec<MoveIntent>)>> {
            let mut stmt = self.conn.prepare(
                "SELECT e.batch, e.file, e.moved_to, e.target, e.to_label FROM events e
                 WHERE e.dataset = ?1 AND e.kind = 'intent' AND NOT EXISTS (
                     SELECT 1 FROM batches r WHERE r.dataset = ?1 AND r.op IN ('apply', 'recover') AND r.target = e.batch)
                 ORDER BY e.seq",
            )?;
            let rows = stmt.query_map([&self.location.dataset_key], |r| {
                Ok((
                    r.get::<_, BatchId>(0)?,
                    MoveIntent {
                        file: r.get(1)?,
                        to: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        label: r.get(4)?,
                        seq: r.get::<_, Option<i64>>(3)?.unwrap_or_default(),
                    },
                ))
            })?;
            let mut out: Vec<(BatchId, Vec<MoveIntent>)> = Vec::new();
            for row in rows {
                let (batch, intent) = row?;
                match out.last_mut() {
                    Some((b, list)) if *b == batch => list.push(intent),
                    _ => out.push((batch, vec![intent])),
                }
            }
            Ok(out)
        };
        read().map_err(|e| self.db_error(e))
    }

    /// The newest event of this dataset (0 when none).
    pub fn last_seq(&self) -> Result<i64, JournalError> {
        self.conn
            .query_row(
                "SELECT coalesce(max(seq), 0) FROM events WHERE dataset = ?1",
                [&self.location.dataset_key],
                |r| r.get(0),
            )
            .map_err(|e| self.db_error(e))
    }

    /// Runs `body` in one IMMEDIATE transaction (the write lock is taken up front, so a concurrent
    /// writer waits in the busy handler instead of failing at commit) and commits it; a body that
    /// wrote nothing commits nothing.
    fn write<T>(
        &mut self,
        body: impl FnOnce(&Transaction<'_>, &str) -> rusqlite::Result<T>,
    ) -> Result<T, JournalError> {
        let key = self.location.dataset_key.clone();
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = body(&tx, &key)?;
            tx.commit()?;
            Ok(value)
        })();
        result.map_err(|e: rusqlite::Error| self.db_error(e))
    }

    fn record_outcome(
        &mut self,
        op: &str,
        intents: Option<BatchId>,
        applied: &[AppliedEdit],
        origin: Origin,
    ) -> Result<BatchId, JournalError> {
        self.write(|tx, key| {
            let replay = read_replay(tx, key)?;
            let batch = insert_batch(tx, key, op, intents, origin)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO events (batch, dataset, kind, file, to_label, target, moved_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for a in applied {
                    stmt.execute(params![
                        batch, key, "applied", a.file, a.to, a.seq, a.moved_to
                    ])?;
                    if let Some(new) = &a.moved_to
                        && replay.is_reviewed(&a.file)
                    {
                        stmt.execute(params![
                            batch,
                            key,
                            "review",
                            new,
                            "1",
                            Option::<i64>::None,
                            Option::<String>::None
                        ])?;
                    }
                }
            }
            Ok(batch)
        })
    }
}

/// A file move a write-back is about to make, recorded before the first byte moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveIntent {
    /// The file's name now (relative to the root).
    pub file: String,
    /// Its name after the move.
    pub to: String,
    /// The label the move gives it.
    pub label: Option<String>,
    /// The edit (event seq) the move writes back.
    pub seq: i64,
}

/// What an undo or redo did: the labels it set, per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reverted {
    /// The new batch.
    pub batch: BatchId,
    /// The batch it undid or redid.
    pub target: BatchId,
    /// Each file and the label it has now.
    pub labels: Vec<(String, Option<String>)>,
    /// Each file whose soft label it changed, and the soft label it has now (`None`: none).
    pub soft: Vec<(String, Option<SoftLabel>)>,
}

fn read_replay(conn: &Connection, key: &str) -> rusqlite::Result<Replay> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.seq, e.batch, b.op, b.target, e.kind, e.file, e.from_label, e.to_label, e.target, e.moved_to
         FROM events e JOIN batches b ON b.id = e.batch
         WHERE e.dataset = ?1 ORDER BY e.seq",
    )?;
    let rows = stmt.query_map([key], |r| {
        Ok(EventRow {
            seq: r.get(0)?,
            batch: r.get(1)?,
            op: r.get(2)?,
            batch_target: r.get(3)?,
            kind: r.get(4)?,
            file: r.get(5)?,
            from: r.get(6)?,
            to: r.get(7)?,
            target: r.get(8)?,
            moved_to: r.get(9)?,
        })
    })?;
    let rows: Vec<EventRow> = rows.collect::<rusqlite::Result<_>>()?;
    // Batches without events (none are written, but an older file might hold one) still count.
    let last_batch: i64 = conn.query_row(
        "SELECT coalesce(max(id), 0) FROM batches WHERE dataset = ?1",
        [key],
        |r| r.get(0),
    )?;
    Ok(Replay::from_rows(rows, last_batch))
}

fn insert_batch(
    conn: &Connection,
    key: &str,
    op: &str,
    target: Option<BatchId>,
    origin: Origin,
) -> rusqlite::Result<BatchId> {
    conn.prepare_cached(
        "INSERT INTO batches (dataset, op, target, origin, time_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![key, op, target, origin.as_str(), now_ms()])?;
    Ok(conn.last_insert_rowid())
}

fn insert_label_events(
    conn: &Connection,
    key: &str,
    batch: BatchId,
    rows: &[(&str, Option<String>, Option<String>)],
) -> rusqlite::Result<()> {
    insert_events(conn, key, batch, "label", rows)
}

/// Inserts (file, from, to) events of `kind` ("label": class names; "soft": a soft label's JSON).
fn insert_events(
    conn: &Connection,
    key: &str,
    batch: BatchId,
    kind: &str,
    rows: &[(&str, Option<String>, Option<String>)],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (batch, dataset, kind, file, from_label, to_label) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (file, from, to) in rows {
        stmt.execute(params![batch, key, kind, file, from, to])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(dir: &Path) -> LabelJournal {
        LabelJournal::open(&JournalLocation {
            db_path: dir.join("labels.sqlite3"),
            dataset_key: ".".into(),
        })
        .unwrap()
    }

    fn soft(pairs: &[(&str, f64)]) -> SoftLabel {
        SoftLabel::new(pairs.iter().map(|(c, p)| (c.to_string(), *p))).unwrap()
    }

    fn set(file: &str, to: Option<SoftLabel>) -> Vec<SoftChange> {
        vec![SoftChange {
            file: file.into(),
            to,
        }]
    }

    #[test]
    fn soft_labels_record_replay_undo_and_redo_like_relabels() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = journal(dir.path());
        let first = soft(&[("cat", 0.6), ("dog", 0.4)]);
        let second = soft(&[("cat", 0.2), ("owl", 0.8)]);
        assert!(
            j.record_soft(&set("a", Some(first.clone())), Origin::Cli)
                .unwrap()
                .is_some()
        );
        // The same distribution again changes nothing and records nothing.
        assert_eq!(
            j.record_soft(&set("a", Some(first.clone())), Origin::Cli)
                .unwrap(),
            None
        );
        let soft_batch = j
            .record_soft(&set("a", Some(second.clone())), Origin::Cli)
            .unwrap();
        let label_batch = j
            .record(
                &[LabelChange {
                    file: "b".into(),
                    disk: Some("cat".into()),
                    to: Some("dog".into()),
                }],
                Origin::Cli,
            )
            .unwrap();
        assert_eq!(j.replay().unwrap().current_soft("a"), Some(second.clone()));
        // The newest action (the relabel) is undone first, then the soft label.
        let undone = j.undo(Origin::Cli).unwrap().unwrap();
        assert_eq!(
            (undone.target, undone.soft.len()),
            (label_batch.unwrap(), 0)
        );
        let undone = j.undo(Origin::Cli).unwrap().unwrap();
        assert_eq!(undone.target, soft_batch.unwrap());
        assert_eq!(undone.soft, vec![("a".to_string(), Some(first.clone()))]);
        assert_eq!(j.replay().unwrap().current_soft("a"), Some(first.clone()));
        j.redo(Origin::Cli).unwrap().unwrap();
        assert_eq!(j.replay().unwrap().current_soft("a"), Some(second.clone()));
        // Clearing is an event with no distribution; undoing it brings the label back.
        assert!(
            j.record_soft(&set("a", None), Origin::Cli)
                .unwrap()
                .is_some()
        );
        assert_eq!(j.replay().unwrap().current_soft("a"), None);
        assert_eq!(j.record_soft(&set("a", None), Origin::Cli).unwrap(), None);
        j.undo(Origin::Cli).unwrap().unwrap();
        assert_eq!(j.replay().unwrap().current_soft("a"), Some(second.clone()));
        // Reopened (a restart), the history reads the same; nothing was rewritten.
        drop(j);
        let j = journal(dir.path());
        let replay = j.replay().unwrap();
        assert_eq!(replay.current_soft("a"), Some(second));
        let stored: Vec<(Option<String>, Option<String>)> = j
            .conn
            .prepare("SELECT from_label, to_label FROM events WHERE kind = 'soft' ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(stored.len(), 6, "{stored:?}");
        assert_eq!(stored[0], (None, Some(r#"{"cat":0.6,"dog":0.4}"#.into())));
    }

    #[test]
    fn a_journal_written_before_soft_labels_opens_and_takes_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = journal(dir.path());
        j.record(
            &[LabelChange {
                file: "a".into(),
                disk: Some("cat".into()),
                to: Some("dog".into()),
            }],
            Origin::Cli,
        )
        .unwrap();
        drop(j);
        let mut j = journal(dir.path());
        j.record_soft(&set("a", Some(soft(&[("dog", 1.0)]))), Origin::Gui)
            .unwrap()
            .unwrap();
        let replay = j.replay().unwrap();
        assert_eq!(replay.current("a"), Some(Some("dog".into())));
        assert_eq!(replay.current_soft("a"), Some(soft(&[("dog", 1.0)])));
        assert_eq!(
            j.recorded_labels().unwrap(),
            ["dog"],
            "soft events are not labels"
        );
    }
}
