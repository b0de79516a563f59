//! Writing pending edits back into the dataset's own format: what a write-back will do ([`plan`],
//! the GUI's preview and `apply --dry-run`), and the manifest half of doing it. A class-folder tree
//! gets its files moved into their new class folders (see `moves`); a manifest is rewritten beside the
//! original and renamed over it, every byte but the edited label fields kept, the original kept as a
//! backup (see `rewrite` and `replace`). Whatever cannot be written stays pending, with the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::core::data::dataset::{Dataset, DatasetSource, TableFormat};

use super::replace::{read_manifest, replace_checked};
use super::replay::Pending;
use super::rewrite::{rewrite_csv, rewrite_jsonl};
use super::store::AppliedEdit;

/// What writing one edit back will do (the GUI's preview and `apply --dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedWrite {
    /// Move the file from one class folder to another (paths relative to the root).
    Move {
        /// The file now.
        from: String,
        /// Where it goes.
        to: String,
    },
    /// Change the label field of the manifest row on this line.
    Row {
        /// The row's line in the manifest.
        line: Option<u64>,
    },
    /// It cannot be written back, and why.
    Impossible(String),
}

/// The result of a write-back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Edits now in the files, for the journal.
    pub applied: Vec<AppliedEdit>,
    /// Edits left pending, each with the reason.
    pub kept: Vec<(Pending, String)>,
    /// Planned edits not written because the journal changed since the plan (edited again, undone,
    /// or written by another write-back), each with the reason.
    pub skipped: Vec<(Pending, String)>,
    /// Moves of an earlier write-back that was cut off, finished first.
    pub recovered: Vec<AppliedEdit>,
    /// The copy of the manifest as it was before the rewrite.
    pub backup: Option<PathBuf>,
}

/// The path of `p.file` after a move to its new class folder, or why there is none.
fn moved_path(dataset: &Dataset, p: &Pending) -> Result<String, String> {
    let DatasetSource::Folder { has_split_level } = dataset.source() else {
        return Err("not a class-folder dataset".into());
    };
    let Some(to) = p.to.as_deref() else {
        return Err("a class-folder dataset cannot hold an unlabelled file (every file is in a class folder)".into());
    };
    let mut parts: Vec<&str> = p.file.split('/').collect();
    let class_at = usize::from(*has_split_level);
    if parts.len() < class_at + 2 {
        return Err(format!("{} is not inside a class folder", p.file));
    }
    parts[class_at] = to;
    Ok(parts.join("/"))
}

/// What [`write_back`] would do with each pending edit, without touching anything.
pub fn plan(dataset: &Dataset, pending: &[Pending]) -> Vec<(Pending, PlannedWrite)> {
    pending
        .iter()
        .map(|p| {
            let planned = match dataset.source() {
                DatasetSource::Folder { .. } => match moved_path(dataset, p) {
                    Ok(to) if dataset.root().join(&to).exists() => PlannedWrite::Impossible(
                        format!("{to} already exists: the move would overwrite it"),
                    ),
                    Ok(to) => PlannedWrite::Move {
                        from: p.file.clone(),
                        to,
                    },
                    Err(why) => PlannedWrite::Impossible(why),
                },
                DatasetSource::Manifest { .. } | DatasetSource::HuggingFace(_) => {
                    PlannedWrite::Row {
                        line: dataset.source_line(p.sample),
                    }
                }
            };
            (p.clone(), planned)
        })
        .collect()
}

/// What rewriting a manifest did: the edits now in it, those left pending (with the reason), and the
/// backup of the original when it was rewritten.
#[derive(Debug, Default)]
pub(crate) struct ManifestOutcome {
    pub applied: Vec<AppliedEdit>,
    pub kept: Vec<(Pending, String)>,
    pub backup: Option<PathBuf>,
}

/// Rewrites the label fields of `pending` in the manifest at `path` (a symlink is written through to
/// its target). Rows that no longer hold the label an edit started from are left alone; a manifest
/// changed between its read and the rename is not written at all.
pub(crate) fn rewrite_manifest(
    path: &Path,
    format: TableFormat,
    root: &Path,
    pending: &[Pending],
) -> Result<ManifestOutcome, String> {
    let read = read_manifest(path)?;
    let abs_root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let wanted: BTreeMap<&str, &Pending> = pending.iter().map(|p| (p.file.as_str(), p)).collect();
    let rewritten = match format {
        TableFormat::Csv => rewrite_csv(&read.bytes, path, &abs_root, &wanted),
        TableFormat::Jsonl => rewrite_jsonl(&read.bytes, &abs_root, &wanted),
    }
    .map_err(|why| format!("{}: {why}", path.display()))?;
    let mut out = ManifestOutcome::default();
    for p in pending {
        if rewritten.written.contains(&p.file) {
            out.applied.push(AppliedEdit {
                file: p.file.clone(),
                to: p.to.clone(),
                seq: p.seq,
                moved_to: None,
            });
        } else {
            let why = rewritten
                .refused
                .get(&p.file)
                .cloned()
                .unwrap_or_else(|| "no row names this file any more".to_string());
            out.kept
                .push((p.clone(), format!("{}: {why}", path.display())));
        }
    }
    if out.applied.is_empty() {
        return Ok(out);
    }
    out.backup = Some(replace_checked(&read, &rewritten.bytes)?);
    Ok(out)
}
