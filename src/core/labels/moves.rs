//! Moving files between class folders so that a crash at any moment leaves each file in exactly one
//! class folder, or in two with the journal saying which move to finish. The order: the journal
//! records the intended moves (one fsync'd transaction), then per file: hard link at the new name
//! (never over an existing file), fsync the new folder, unlink the old name, fsync the old folder;
//! then the journal records the moves done. A new class folder is created with its parent fsynced.
//! [`recover`] finishes or abandons the moves of a write-back that was cut off.

use std::path::Path;

use super::replace::{io_reason, sync_dir};
use super::replay::Pending;
use super::store::{AppliedEdit, MoveIntent};
use super::{JournalError, LabelJournal, Origin};

/// The points between the steps of one move (where a test cuts the power).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MoveStep {
    /// The move intents are in the journal; nothing moved yet.
    Intended,
    /// The new name exists (hard link), not yet fsynced.
    Linked,
    /// The new name is durable; the old one still exists.
    NewFolderSynced,
    /// The old name is gone, not yet fsynced.
    Unlinked,
    /// Both folders durable; the journal does not know yet.
    Moved,
}

#[cfg(test)]
thread_local! {
    /// Test hook: the step after which the "power is cut" (the write-back stops dead).
    pub(crate) static CRASH_AFTER: std::cell::Cell<Option<MoveStep>> =
        const { std::cell::Cell::new(None) };
}

/// Why one move did not happen.
enum MoveError {
    /// It cannot be done; the edit stays pending with this reason.
    Failed(String),
    /// A test cut the power here.
    #[cfg(test)]
    Crashed,
}

fn reached(_step: MoveStep) -> Result<(), MoveError> {
    #[cfg(test)]
    if CRASH_AFTER.with(std::cell::Cell::get) == Some(_step) {
        return Err(MoveError::Crashed);
    }
    Ok(())
}

/// Creates `dir` and any missing parents, each creation made durable by an fsync of its parent.
fn create_dir_synced(dir: &Path) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.as_os_str().is_empty() || d.is_dir() {
            break;
        }
        missing.push(d);
        at = d.parent();
    }
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
        if let Some(parent) = d.parent().filter(|p| !p.as_os_str().is_empty())
            && !sync_dir(parent)
        {
            return Err(std::io::Error::other(format!(
                "fsync of {} failed: the new folder might not survive a power cut",
                parent.display()
            )));
        }
    }
    Ok(())
}

fn move_one(root: &Path, from: &str, to: &str) -> Result<(), MoveError> {
    let src = root.join(from);
    let dst = root.join(to);
    let failed = MoveError::Failed;
    let dst_dir = dst.parent().unwrap_or(root);
    let src_dir = src.parent().unwrap_or(root);
    create_dir_synced(dst_dir)
        .map_err(|e| failed(io_reason("create the class folder", dst_dir, &e)))?;
    // A hard link fails when the target exists, so a clash can never overwrite a file.
    match std::fs::hard_link(&src, &dst) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(failed(format!(
                "{to} already exists: the move would overwrite it"
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !src.exists() => {
            return Err(failed(format!("{from}: no such file")));
        }
        Err(e)
            if e.kind() == std::io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(30) =>
        {
            return Err(failed(io_reason("write in", dst_dir, &e)));
        }
        // A file system without hard links: check, then rename (atomic; only a race could clobber).
        Err(_) => {
            if dst.exists() {
                return Err(failed(format!(
                    "{to} already exists: the move would overwrite it"
                )));
            }
            std::fs::rename(&src, &dst).map_err(|e| failed(io_reason("move", &src, &e)))?;
            sync_dir(dst_dir);
            sync_dir(src_dir);
            return Ok(());
        }
    }
    reached(MoveStep::Linked)?;
    if !sync_dir(dst_dir) {
        let _ = std::fs::remove_file(&dst);
        return Err(failed(format!(
            "cannot make the new name {to} durable (fsync of its folder failed); not moved"
        )));
    }
    reached(MoveStep::NewFolderSynced)?;
    if let Err(e) = std::fs::remove_file(&src) {
        let _ = std::fs::remove_file(&dst);
        sync_dir(dst_dir);
        return Err(failed(io_reason("remove", &src, &e)));
    }
    reached(MoveStep::Unlinked)?;
    sync_dir(src_dir);
    reached(MoveStep::Moved)
}

/// Moves each `(edit, new name)` file, with the journal's intents around the moves; what moved goes
/// to `applied`, what could not to `kept`. A journal error before the first move changes nothing.
pub(crate) fn move_files(
    journal: &mut LabelJournal,
    root: &Path,
    todo: &[(Pending, String)],
    origin: Origin,
    applied: &mut Vec<AppliedEdit>,
    kept: &mut Vec<(Pending, String)>,
) -> Result<(), JournalError> {
    if todo.is_empty() {
        return Ok(());
    }
    let intents: Vec<MoveIntent> = todo
        .iter()
        .map(|(p, to)| MoveIntent {
            file: p.file.clone(),
            to: to.clone(),
            label: p.to.clone(),
            seq: p.seq,
        })
        .collect();
    let batch = journal.record_move_intents(&intents, origin)?;
    if let Err(_crash) = reached(MoveStep::Intended) {
        return Err(JournalError::Request("simulated power cut".into()));
    }
    let mut done = Vec::new();
    for (p, to) in todo {
        match move_one(root, &p.file, to) {
            Ok(()) => done.push(AppliedEdit {
                file: p.file.clone(),
                to: p.to.clone(),
                seq: p.seq,
                moved_to: Some(to.clone()),
            }),
            Err(MoveError::Failed(why)) => kept.push((p.clone(), why)),
            #[cfg(test)]
            Err(MoveError::Crashed) => {
                return Err(JournalError::Request("simulated power cut".into()));
            }
        }
    }
    journal.record_moves_done(batch, &done, false, origin)?;
    applied.extend(done);
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    false
}

/// Finishes the moves of write-backs that were cut off (the caller holds the write-back lock): a file
/// at both names (the same file: the link was made, the unlink not) loses its old name; a file only
/// at its new name was moved; anything else was not moved and its edit stays pending. The journal
/// then records the finished moves as applied. Returns them.
pub(crate) fn recover(
    journal: &mut LabelJournal,
    root: &Path,
    origin: Origin,
) -> Result<Vec<AppliedEdit>, JournalError> {
    let mut recovered = Vec::new();
    for (batch, intents) in journal.open_intents()? {
        let mut done = Vec::new();
        for m in intents {
            let src = root.join(&m.file);
            let dst = root.join(&m.to);
            let moved = match (
                std::fs::symlink_metadata(&src),
                std::fs::symlink_metadata(&dst),
            ) {
                (Ok(a), Ok(b)) if same_file(&a, &b) => {
                    let ok = std::fs::remove_file(&src).is_ok();
                    if let Some(dir) = src.parent() {
                        sync_dir(dir);
                    }
                    ok
                }
                (Err(e), Ok(_)) => e.kind() == std::io::ErrorKind::NotFound,
                _ => false,
            };
            if moved {
                done.push(AppliedEdit {
                    file: m.file,
                    to: m.label,
                    seq: m.seq,
                    moved_to: Some(m.to),
                });
            }
        }
        journal.record_moves_done(batch, &done, true, origin)?;
        recovered.extend(done);
    }
    Ok(recovered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::data::load;
    use crate::core::data::warnings::Warnings;
    use crate::core::labels::{
        JournalLocation, LabelChange, apply, read_edits, recover_interrupted_moves,
    };

    fn files_under(root: &Path) -> Vec<String> {
        let mut out: Vec<String> = walkdir::WalkDir::new(root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                e.path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .filter(|p| !p.starts_with(".spotcheck"))
            .collect();
        out.sort();
        out
    }

    fn edit(file: &str, disk: &str, to: &str) -> LabelChange {
        LabelChange {
            file: file.into(),
            disk: Some(disk.into()),
            to: Some(to.into()),
        }
    }

    #[test]
    fn a_power_cut_between_any_two_steps_leaves_each_file_in_one_class_folder() {
        for step in [
            MoveStep::Intended,
            MoveStep::Linked,
            MoveStep::NewFolderSynced,
            MoveStep::Unlinked,
            MoveStep::Moved,
        ] {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("ds");
            for f in ["train/cat/0.jpg", "train/cat/2.jpg", "train/dog/1.jpg"] {
                std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
                std::fs::write(root.join(f), f).unwrap();
            }
            let dataset = load::open_dataset(&root, None, &mut Warnings::default()).unwrap();
            let location = JournalLocation::for_dataset(&dataset, None);
            let mut journal = LabelJournal::open(&location).unwrap();
            journal
                .record(
                    &[
                        edit("train/cat/0.jpg", "cat", "fox"),
                        edit("train/cat/2.jpg", "cat", "dog"),
                    ],
                    Origin::Cli,
                )
                .unwrap();
            let state = read_edits(&dataset, None, &mut Warnings::default())
                .unwrap()
                .state;
            CRASH_AFTER.with(|c| c.set(Some(step)));
            let cut = apply(&mut journal, &dataset, &state, Origin::Cli);
            CRASH_AFTER.with(|c| c.set(None));
            assert!(cut.is_err(), "{step:?}: the power was cut");
            drop(journal);
            // The next start: an interrupted move is finished before anything reads the folders.
            recover_interrupted_moves(&location, &root, Origin::Cli).unwrap();
            assert_eq!(
                files_under(&root).len(),
                3,
                "{step:?}: {:?}",
                files_under(&root)
            );
            let dataset = load::open_dataset(&root, None, &mut Warnings::default()).unwrap();
            let state = read_edits(&dataset, None, &mut Warnings::default())
                .unwrap()
                .state;
            let mut journal = LabelJournal::open(&location).unwrap();
            let report = apply(&mut journal, &dataset, &state, Origin::Cli).unwrap();
            assert!(report.kept.is_empty(), "{step:?}: {:?}", report.kept);
            assert_eq!(
                files_under(&root),
                ["train/dog/1.jpg", "train/dog/2.jpg", "train/fox/0.jpg"],
                "{step:?}"
            );
            let dataset = load::open_dataset(&root, None, &mut Warnings::default()).unwrap();
            let state = read_edits(&dataset, None, &mut Warnings::default())
                .unwrap()
                .state;
            assert!(
                state.pending.is_empty() && state.orphaned.is_empty(),
                "{step:?}: {state:?}"
            );
            assert_eq!(state.applied, 2, "{step:?}");
        }
    }
}
