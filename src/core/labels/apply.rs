//! Applying a write-back plan: under the write-back lock, finish any write-back that was cut off,
//! check each planned edit against the journal as it is now (exactly the previewed edits are written,
//! none that changed since), write the files, and record what reached them.

use std::path::Path;

use crate::core::data::dataset::{Dataset, DatasetSource};

use super::lock::ApplyLock;
use super::moves::{move_files, recover};
use super::replay::{EditState, Pending, Replay};
use super::store::AppliedEdit;
use super::write_back::{PlannedWrite, WriteReport, plan, rewrite_manifest};
use super::{JournalError, JournalLocation, LabelJournal, Origin};

/// Why a planned edit is no longer the one to write, or `None` when it still is: its file's newest
/// edit must still be the planned event, not yet written back, under the same name.
fn changed_since_plan(replay: &Replay, p: &Pending) -> Option<String> {
    let now = replay.resolve(&p.file);
    if now != p.file {
        return Some(format!(
            "moved to {now} by another write-back since the plan"
        ));
    }
    match replay.open_edit(&p.file) {
        Some((seq, _)) if seq == p.seq => None,
        Some(_) => Some("edited again (or undone) since the plan: not written; apply again to write its label now".into()),
        None => Some("already written back (or undone) since the plan".into()),
    }
}

/// Writes exactly the edits of `planned` (a [`plan`] shown to the user) into `dataset`'s files and
/// records in the journal which ones made it. Edits the plan said cannot be written, or that failed,
/// stay pending with the reason; edits changed in the journal since the plan are skipped (they stay
/// in the journal as they are now). Holds the write-back lock throughout.
pub fn apply_plan(
    journal: &mut LabelJournal,
    dataset: &Dataset,
    planned: &[(Pending, PlannedWrite)],
    origin: Origin,
) -> Result<WriteReport, JournalError> {
    let _lock = ApplyLock::acquire(journal.location())?;
    let mut report = WriteReport {
        recovered: recover(journal, dataset.root(), origin)?,
        ..WriteReport::default()
    };
    let replay = journal.replay()?;
    let mut moves = Vec::new();
    let mut rows = Vec::new();
    for (p, w) in planned {
        if let Some(why) = changed_since_plan(&replay, p) {
            report.skipped.push((p.clone(), why));
            continue;
        }
        match w {
            PlannedWrite::Impossible(why) => report.kept.push((p.clone(), why.clone())),
            PlannedWrite::Move { to, .. } => moves.push((p.clone(), to.clone())),
            PlannedWrite::Row { .. } => rows.push(p.clone()),
        }
    }
    // Manifests and shards are rewritten by row; both answer with the same outcome.
    let rewritten = match dataset.source() {
        DatasetSource::Folder { .. } => {
            move_files(
                journal,
                dataset.root(),
                &moves,
                origin,
                &mut report.applied,
                &mut report.kept,
            )?;
            None
        }
        DatasetSource::Manifest { path, format, .. } => {
            for (p, _) in moves {
                report
                    .kept
                    .push((p, "a manifest row cannot be moved".to_string()));
            }
            (!rows.is_empty()).then(|| rewrite_manifest(path, *format, dataset.root(), &rows))
        }
        DatasetSource::HuggingFace(src) => {
            (!rows.is_empty()).then(|| super::shards::rewrite_shards(src, dataset, &rows))
        }
    };
    match rewritten {
        Some(Ok(out)) => {
            if !out.applied.is_empty() {
                journal.record_applied(&out.applied, origin)?;
            }
            report.applied = out.applied;
            report.kept.extend(out.kept);
            report.backup = out.backup;
        }
        Some(Err(why)) => report
            .kept
            .extend(rows.into_iter().map(|p| (p, why.clone()))),
        None => {}
    }
    Ok(report)
}

/// Plans and writes every pending edit of `state` (a script's `apply`: what it read is what it
/// writes, checked against the journal under the lock like a previewed plan).
pub fn apply(
    journal: &mut LabelJournal,
    dataset: &Dataset,
    state: &EditState,
    origin: Origin,
) -> Result<WriteReport, JournalError> {
    apply_plan(journal, dataset, &plan(dataset, &state.pending), origin)
}

/// Finishes the class-folder moves of a write-back that was cut off (a crash between linking a file
/// into its new class folder and unlinking the old name leaves it in both), so the next load sees
/// each file once. Nothing is opened or created when the dataset has no journal or nothing to finish.
pub fn recover_interrupted_moves(
    location: &JournalLocation,
    root: &Path,
    origin: Origin,
) -> Result<Vec<AppliedEdit>, JournalError> {
    // Looking is read-only (a read-only copy of a dataset never gets written to); finishing a move
    // needs the journal opened for writing.
    let Some(reader) = LabelJournal::open_existing(location)? else {
        return Ok(Vec::new());
    };
    if reader.open_intents()?.is_empty() {
        return Ok(Vec::new());
    }
    drop(reader);
    let mut journal = LabelJournal::open(location)?;
    let _lock = ApplyLock::acquire(location)?;
    recover(&mut journal, root, origin)
}
