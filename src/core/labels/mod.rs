//! The label journal: every relabel, undo, redo, review mark and write-back, appended to one SQLite
//! file that the GUI and the CLI share. SQLite (WAL with `synchronous=FULL` on a local disk, a
//! rollback journal with `synchronous=EXTRA` on network and FUSE file systems, one transaction per
//! edit) gives what a hand-written log would have to get right: an edit acknowledged by a commit
//! survives a SIGKILL or a power cut, and two processes writing at once both keep their edits.
//! Readers open it read-only, so a read-only copy of a dataset still shows its edits. The history is
//! only ever appended to: an undo is a new edit, so nothing a user did is rewritten.

mod apply;
mod identity;
mod lock;
pub mod mounts;
mod moves;
mod replace;
mod replay;
mod rewrite;
mod shards;
mod soft;
mod store;
pub mod write_back;

pub use apply::{apply, apply_plan, recover_interrupted_moves};
pub use lock::ApplyLock;
pub use replay::{EditState, Pending, Replay};
pub use soft::{SUM_TOLERANCE, SoftChange, SoftEntry, SoftLabel, short as short_probability};
pub use store::{AppliedEdit, BatchId, LabelChange, LabelJournal, MoveIntent, Origin, Reverted};

use std::path::{Path, PathBuf};

use crate::core::data::dataset::{Dataset, DatasetSource};
use crate::core::data::error::LoadError;
use crate::core::data::load::{self, LoadControl, Predictions};
use crate::core::data::warnings::{MAX_EXAMPLES, Warning, WarningKind, Warnings};

/// Name of the folder, in the dataset's root, that holds the journal.
pub const STATE_FOLDER: &str = ".spotcheck";
/// File name of the journal inside the state folder.
pub const JOURNAL_FILE: &str = "labels.sqlite3";

/// Why the journal could not be read or written. Always names the journal file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JournalError {
    /// The state folder or the database file could not be created or opened.
    #[error("{path}: cannot open the label journal: {reason}", path = .path.display())]
    Open { path: PathBuf, reason: String },
    /// A query failed (a corrupt file, a full disk, a lock held for too long).
    #[error("{path}: label journal: {reason}", path = .path.display())]
    Database { path: PathBuf, reason: String },
    /// The file was written by a newer spotcheck with a schema this one does not know.
    #[error("{path}: the label journal was written by a newer spotcheck (schema {found}, this one knows {known})", path = .path.display())]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// The request itself cannot be met (a label that cannot be a class name, a file not in the dataset).
    #[error("{0}")]
    Request(String),
}

/// Why a dataset could not be opened with its edits: the dataset (or predictions) itself, or its
/// journal. Kept apart from [`LoadError`] so the data layer knows nothing of the journal.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OpenError {
    /// The dataset or predictions could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The dataset's label journal could not be read.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Where one dataset's journal lives and the key its rows carry, so several datasets (two manifests in
/// one folder, or many datasets under one `--state-dir`) can share a file without mixing their edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLocation {
    /// The SQLite file.
    pub db_path: PathBuf,
    /// Which dataset the rows belong to: the manifest's file name (or `.` for a class-folder tree)
    /// inside the dataset's own state folder, so the dataset can be moved; the absolute path of the
    /// manifest or folder under a shared `--state-dir`.
    pub dataset_key: String,
}

impl JournalLocation {
    /// The journal of `dataset`: `ROOT/.spotcheck/labels.sqlite3`, or `STATE_DIR/labels.sqlite3` when
    /// the dataset is read-only and the user names another place.
    pub fn for_dataset(dataset: &Dataset, state_dir: Option<&Path>) -> Self {
        let (source_path, local_key) = match dataset.source() {
            DatasetSource::Folder { .. } => (dataset.root().to_path_buf(), ".".to_string()),
            DatasetSource::Manifest { path, .. } => (
                path.clone(),
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| ".".into()),
            ),
            // One journal per opened path: a folder of shards is ".", a lone shard its file name.
            DatasetSource::HuggingFace(src) if src.given.is_file() => (
                src.given.clone(),
                src.given
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| ".".into()),
            ),
            DatasetSource::HuggingFace(_) => (dataset.root().to_path_buf(), ".".to_string()),
        };
        match state_dir {
            Some(dir) => {
                let abs = std::fs::canonicalize(&source_path)
                    .or_else(|_| std::path::absolute(&source_path))
                    .unwrap_or(source_path);
                JournalLocation {
                    db_path: dir.join(JOURNAL_FILE),
                    dataset_key: abs.to_string_lossy().into_owned(),
                }
            }
            None => JournalLocation {
                db_path: dataset.root().join(STATE_FOLDER).join(JOURNAL_FILE),
                dataset_key: local_key,
            },
        }
    }
}

/// Checks that `label` can be a class name in `dataset`'s own format: never empty or padded with
/// spaces, no control characters, and for a class-folder tree a single, visible folder name.
pub fn validate_label(dataset: &Dataset, label: &str) -> Result<(), JournalError> {
    let bad = |why: &str| Err(JournalError::Request(format!("label {label:?}: {why}")));
    if label.is_empty() {
        return bad("a label cannot be empty");
    }
    if label.trim() != label {
        return bad("a label cannot start or end with spaces");
    }
    if label.chars().any(char::is_control) {
        return bad("a label cannot hold control characters (tabs, line breaks)");
    }
    if matches!(dataset.source(), DatasetSource::Folder { .. }) {
        if label.contains('/') || label.contains('\\') {
            return bad("a class folder name cannot hold / or \\");
        }
        if label.starts_with('.') {
            return bad("a class folder name cannot start with a dot (hidden folders are skipped)");
        }
    }
    Ok(())
}

/// Whether readers see the journal's pending edits (reading only: writing edits into the files is
/// [`apply`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EditMode {
    /// The dataset as it is on disk (`--no-edits`).
    Ignore,
    /// Labels read with the pending edits, from the journal in the dataset's state folder.
    #[default]
    WithEdits,
    /// Labels read with the pending edits, from a journal kept under this folder (`--state-dir`).
    WithEditsFrom(PathBuf),
}

impl EditMode {
    /// The mode for the command-line flags `--no-edits` and `--state-dir`.
    pub fn from_flags(no_edits: bool, state_dir: Option<PathBuf>) -> Self {
        match (no_edits, state_dir) {
            (true, _) => EditMode::Ignore,
            (false, Some(dir)) => EditMode::WithEditsFrom(dir),
            (false, None) => EditMode::WithEdits,
        }
    }

    /// The `--state-dir` folder, if one was given.
    pub fn state_dir(&self) -> Option<&Path> {
        match self {
            EditMode::WithEditsFrom(dir) => Some(dir),
            _ => None,
        }
    }
}

/// A dataset opened with its journal: where the journal is and what it said at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The journal's file and dataset key.
    pub location: JournalLocation,
    /// Pending edits (against the files on disk), review marks, undo depth.
    pub state: EditState,
}

/// Opens a dataset and its predictions like [`load::open`], with the journal's pending edits applied
/// to the labels before the predictions are joined (so an edit to a new class has its column).
/// Orphaned edits become a warning naming the journal.
pub fn open_edited(
    dataset_path: &Path,
    predictions_path: Option<&Path>,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
    mode: &EditMode,
) -> Result<(Dataset, Option<Predictions>, Option<Edited>), OpenError> {
    let mut edited = None;
    let (dataset, predictions) = load::open_with::<OpenError>(
        dataset_path,
        predictions_path,
        control,
        warnings,
        |dataset, warnings| {
            if *mode == EditMode::Ignore {
                return Ok(());
            }
            let read = read_edits(dataset, mode.state_dir(), warnings)?;
            let _ = dataset.relabel(&read.state.labels());
            edited = Some(read);
            Ok(())
        },
    )?;
    Ok((dataset, predictions, edited))
}

/// Opens a dataset with its pending label edits (unless `mode` ignores them) and joins several
/// predictions files to it, in order (`compare`): the first is parsed alongside the dataset, the
/// others are joined to the loaded dataset one after the other.
pub fn open_edited_with_models(
    dataset_path: &Path,
    predictions: &[PathBuf],
    warnings: &mut Warnings,
    mode: &EditMode,
) -> Result<(Dataset, Vec<Predictions>), OpenError> {
    let (first, rest) = match predictions.split_first() {
        Some((f, r)) => (Some(f.as_path()), r),
        None => (None, &[][..]),
    };
    let (mut dataset, loaded, _) = open_edited(dataset_path, first, None, warnings, mode)?;
    let mut models: Vec<Predictions> = loaded.into_iter().collect();
    for path in rest {
        models.push(load::load_predictions(&mut dataset, path, None, warnings)?);
    }
    Ok((dataset, models))
}

/// Reads `dataset`'s journal (nothing is created when it has none) against its labels on disk;
/// orphaned edits become a warning naming the journal.
pub fn read_edits(
    dataset: &Dataset,
    state_dir: Option<&Path>,
    warnings: &mut Warnings,
) -> Result<Edited, JournalError> {
    let location = JournalLocation::for_dataset(dataset, state_dir);
    let state = match LabelJournal::open_existing(&location)? {
        Some(journal) => journal.replay()?.state(dataset),
        None => EditState::default(),
    };
    report_orphans(&location, &state, warnings);
    Ok(Edited { location, state })
}

/// Adds a warning when pending edits (or hand soft labels) name files that are no longer samples.
pub fn report_orphans(location: &JournalLocation, state: &EditState, warnings: &mut Warnings) {
    if !state.orphaned_soft.is_empty() {
        let n = state.orphaned_soft.len();
        warnings.push(Warning {
            kind: WarningKind::OrphanedEdit,
            file: Some(location.db_path.clone()),
            line: None,
            message: format!(
                "{n} soft label(s) set by hand name files that are not samples of this dataset any more (moved or deleted?); they are kept in the journal and not used"
            ),
            count: n as u64,
            examples: state
                .orphaned_soft
                .iter()
                .take(MAX_EXAMPLES)
                .cloned()
                .collect(),
        });
    }
    if state.orphaned.is_empty() {
        return;
    }
    let n = state.orphaned.len();
    warnings.push(Warning {
        kind: WarningKind::OrphanedEdit,
        file: Some(location.db_path.clone()),
        line: None,
        message: format!(
            "{n} pending label edit(s) name files that are not samples of this dataset any more (moved or deleted?); they are kept in the journal and not applied"
        ),
        count: n as u64,
        examples: state.orphaned.iter().take(MAX_EXAMPLES).cloned().collect(),
    });
}

/// For an editor (the GUI): the dataset with its labels as on disk but already holding every class
/// the pending edits name, its predictions joined to those classes, and the journal's state. The
/// edited labels are then one [`Dataset::relabel`] of a cheap clone, after every edit.
pub fn open_for_editing(
    dataset_path: &Path,
    predictions_path: Option<&Path>,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
    state_dir: Option<&Path>,
) -> Result<(Dataset, Option<Predictions>, Edited), OpenError> {
    let mut edited = None;
    let (dataset, predictions) = load::open_with::<OpenError>(
        dataset_path,
        predictions_path,
        control,
        warnings,
        |dataset, warnings| {
            let read = read_edits(dataset, state_dir, warnings)?;
            let _ =
                dataset.ensure_classes(read.state.pending.iter().filter_map(|p| p.to.as_deref()));
            edited = Some(read);
            Ok(())
        },
    )?;
    let edited = edited.ok_or_else(|| {
        OpenError::Load(LoadError::Request(
            "the label journal was not read (the load stopped early)".into(),
        ))
    })?;
    Ok((dataset, predictions, edited))
}
