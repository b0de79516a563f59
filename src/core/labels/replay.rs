//! Reading the journal's history back: the label each file has now, which edits are still pending
//! against the files on disk, review marks, and the undo and redo stacks. Pure functions over the
//! rows, so the rules are unit-tested without a database.

use std::collections::BTreeMap;

use crate::core::data::dataset::Dataset;

use super::BatchId;
use super::identity::{Identities, SampleId};
use super::soft::{SoftEntry, SoftLabel};

/// One row of the events table joined with its batch (what [`Replay::from_rows`] reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventRow {
    pub seq: i64,
    pub batch: BatchId,
    pub op: String,
    pub batch_target: Option<BatchId>,
    pub kind: String,
    pub file: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub target: Option<i64>,
    pub moved_to: Option<String>,
}

/// One file's label change inside an action, kept so the action can be undone or redone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The sample.
    pub file: String,
    /// Its label before the action.
    pub from: Option<String>,
    /// Its label after.
    pub to: Option<String>,
}

/// One file's soft-label change inside an action (the journal's JSON text; `None`: no soft label),
/// kept so the action can be undone or redone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftTextChange {
    /// Its soft label before the action.
    pub from: Option<String>,
    /// Its soft label after.
    pub to: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct FileState {
    /// Event seq and label of the newest label event.
    last_label: Option<(i64, Option<String>)>,
    /// The newest label event has been written back to the files.
    closed: bool,
    reviewed: bool,
    /// Event seq and JSON text of the newest soft-label event (`None` text: cleared).
    last_soft: Option<(i64, Option<String>)>,
}

impl FileState {
    /// Folds the state of the same file recorded under another name: the newest label event wins,
    /// and so does the newest soft-label event.
    fn merge(&mut self, other: FileState) {
        let seq = |s: &FileState| s.last_label.as_ref().map(|(q, _)| *q);
        let soft_seq = |s: &FileState| s.last_soft.as_ref().map(|(q, _)| *q);
        let newer_soft = soft_seq(&other) > soft_seq(self);
        if seq(&other) > seq(self) {
            self.last_label = other.last_label;
            self.closed = other.closed;
        }
        if newer_soft {
            self.last_soft = other.last_soft;
        }
        self.reviewed |= other.reviewed;
    }
}

/// A dataset's history, replayed in order.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    ids: Identities,
    files: BTreeMap<SampleId, FileState>,
    batches: BTreeMap<BatchId, Vec<(SampleId, Change)>>,
    soft_batches: BTreeMap<BatchId, Vec<(SampleId, SoftTextChange)>>,
    undo: Vec<BatchId>,
    redo: Vec<BatchId>,
    applied: u64,
    last_batch: BatchId,
}

fn remove_last(stack: &mut Vec<BatchId>, id: BatchId) {
    if let Some(pos) = stack.iter().rposition(|&b| b == id) {
        stack.remove(pos);
    }
}

impl Replay {
    /// Replays `rows` (in `seq` order). An edit pushes its action on the undo stack and clears the
    /// redo stack; an undo moves its target to the redo stack; a redo moves it back. A write-back
    /// that moved a file carries the file's state to its new name.
    pub(crate) fn from_rows(rows: Vec<EventRow>, last_batch: BatchId) -> Self {
        let mut r = Replay {
            last_batch,
            ..Replay::default()
        };
        let mut current_batch = None;
        for row in rows {
            if current_batch != Some(row.batch) {
                current_batch = Some(row.batch);
                match (row.op.as_str(), row.batch_target) {
                    ("edit", _) if row.kind == "label" || row.kind == "soft" => {
                        r.undo.push(row.batch);
                        r.redo.clear();
                    }
                    ("undo", Some(t)) => {
                        remove_last(&mut r.undo, t);
                        r.redo.push(t);
                    }
                    ("redo", Some(t)) => {
                        remove_last(&mut r.redo, t);
                        r.undo.push(t);
                    }
                    _ => {}
                }
            }
            match row.kind.as_str() {
                "label" => {
                    let id = r.ids.id(&row.file);
                    let state = r.files.entry(id).or_default();
                    state.last_label = Some((row.seq, row.to.clone()));
                    state.closed = false;
                    if row.op == "edit" {
                        r.batches.entry(row.batch).or_default().push((
                            id,
                            Change {
                                file: row.file,
                                from: row.from,
                                to: row.to,
                            },
                        ));
                    }
                }
                "applied" => {
                    r.applied += 1;
                    let id = r.ids.id(&row.file);
                    if let Some(state) = r.files.get_mut(&id)
                        && state.last_label.as_ref().map(|(seq, _)| *seq) == row.target
                    {
                        state.closed = true;
                    }
                    if let Some(new) = row.moved_to {
                        let (moved, displaced) = r.ids.moved(&row.file, &new);
                        if let Some(other) = displaced.and_then(|d| r.files.remove(&d))
                            && let Some(state) = r.files.get_mut(&moved)
                        {
                            state.merge(other);
                        }
                    }
                }
                "review" => {
                    let id = r.ids.id(&row.file);
                    r.files.entry(id).or_default().reviewed = row.to.as_deref() == Some("1");
                }
                "soft" => {
                    let id = r.ids.id(&row.file);
                    r.files.entry(id).or_default().last_soft = Some((row.seq, row.to.clone()));
                    if row.op == "edit" {
                        r.soft_batches.entry(row.batch).or_default().push((
                            id,
                            SoftTextChange {
                                from: row.from,
                                to: row.to,
                            },
                        ));
                    }
                }
                _ => {}
            }
        }
        r
    }

    /// The action an undo would revert now.
    pub fn undo_target(&self) -> Option<BatchId> {
        self.undo.last().copied()
    }

    /// The action a redo would restore now.
    pub fn redo_target(&self) -> Option<BatchId> {
        self.redo.last().copied()
    }

    /// The label changes of an edit action, each with the name its file has now (after any moves).
    pub fn batch_changes(&self, batch: BatchId) -> Vec<(&str, &Change)> {
        self.batches.get(&batch).map_or_else(Vec::new, |changes| {
            changes
                .iter()
                .map(|(id, c)| (self.ids.name(*id), c))
                .collect()
        })
    }

    /// The soft-label changes of an edit action (the journal's JSON text), each with the name its
    /// file has now.
    pub fn soft_batch_changes(&self, batch: BatchId) -> Vec<(&str, &SoftTextChange)> {
        self.soft_batches
            .get(&batch)
            .map_or_else(Vec::new, |changes| {
                changes
                    .iter()
                    .map(|(id, c)| (self.ids.name(*id), c))
                    .collect()
            })
    }

    /// The name a file has now, following the write-back moves the journal recorded (exactly: each
    /// name maps to one identity, no chain is walked).
    pub fn resolve<'a>(&'a self, file: &'a str) -> &'a str {
        self.ids.resolve(file)
    }

    fn state_of(&self, file: &str) -> Option<&FileState> {
        self.ids.lookup(file).and_then(|id| self.files.get(&id))
    }

    /// The label the journal last gave `file` (`None`: never edited).
    pub fn current(&self, file: &str) -> Option<Option<String>> {
        self.state_of(file)
            .and_then(|s| s.last_label.as_ref().map(|(_, to)| to.clone()))
    }

    /// The journal's JSON text of `file`'s soft label (`None`: none, or cleared).
    pub fn current_soft_text(&self, file: &str) -> Option<&str> {
        self.state_of(file)
            .and_then(|s| s.last_soft.as_ref())
            .and_then(|(_, text)| text.as_deref())
    }

    /// `file`'s hand soft label (`None`: none, cleared, or unreadable JSON in a hand-edited journal).
    pub fn current_soft(&self, file: &str) -> Option<SoftLabel> {
        self.current_soft_text(file).and_then(SoftLabel::from_json)
    }

    /// The newest label event of `file` while it is not yet written back: (seq, label).
    pub fn open_edit(&self, file: &str) -> Option<(i64, Option<&str>)> {
        let s = self.state_of(file)?;
        match &s.last_label {
            Some((seq, to)) if !s.closed => Some((*seq, to.as_deref())),
            _ => None,
        }
    }

    /// Whether `file` carries a review mark.
    pub fn is_reviewed(&self, file: &str) -> bool {
        self.state_of(file).is_some_and(|s| s.reviewed)
    }

    /// The effective state against `dataset` as it is on disk. An open edit whose file is not a
    /// sample of `dataset` is an orphan: reported, never skipped in silence.
    pub fn state(&self, dataset: &Dataset) -> EditState {
        let mut state = EditState {
            applied: self.applied,
            undo_depth: self.undo.len(),
            redo_depth: self.redo.len(),
            last_batch: self.last_batch,
            ..EditState::default()
        };
        for (&id, fs) in &self.files {
            let file = self.ids.name(id);
            let sample = dataset.find(file);
            if let Some((seq, to)) = &fs.last_label
                && !fs.closed
            {
                match sample {
                    Some(i) => {
                        let disk = dataset
                            .label(i)
                            .and_then(|c| dataset.classes().get(c))
                            .cloned();
                        if disk != *to {
                            state.pending.push(Pending {
                                sample: i,
                                file: file.to_string(),
                                from: disk,
                                to: to.clone(),
                                seq: *seq,
                            });
                        }
                    }
                    None => state.orphaned.push(file.to_string()),
                }
            }
            if fs.reviewed
                && let Some(i) = sample
            {
                state.reviewed.push(i);
            }
            if let Some((_, Some(text))) = &fs.last_soft
                && let Some(label) = SoftLabel::from_json(text)
            {
                match sample {
                    Some(i) => state.soft.push(SoftEntry {
                        sample: i,
                        file: file.to_string(),
                        label,
                    }),
                    None => state.orphaned_soft.push(file.to_string()),
                }
            }
        }
        state.pending.sort_by_key(|p| p.sample);
        state.soft.sort_by_key(|s| s.sample);
        state.orphaned_soft.sort_unstable();
        state.reviewed.sort_unstable();
        state.orphaned.sort_unstable();
        state
    }
}

/// One effective, not yet written-back edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The sample index in the dataset as loaded from disk.
    pub sample: usize,
    /// Its identity.
    pub file: String,
    /// Its label on disk.
    pub from: Option<String>,
    /// Its edited label.
    pub to: Option<String>,
    /// The journal event that set it (what a write-back records as applied).
    pub seq: i64,
}

/// What the journal means for a dataset as it is on disk: what `edits --json` prints, what every
/// reader applies before computing anything, and what the GUI's undo buttons show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditState {
    /// Pending edits, by sample index (the last edit of a file wins; an edit back to the label on disk
    /// cancels it).
    pub pending: Vec<Pending>,
    /// Edits written back so far.
    pub applied: u64,
    /// Samples with a review mark, sorted.
    pub reviewed: Vec<usize>,
    /// Files with pending edits that are not samples of the dataset any more (moved or deleted by
    /// hand): kept in the journal, reported, not applied.
    pub orphaned: Vec<String>,
    /// Hand soft labels, by sample index. Never written into the dataset by `apply` (hard labels
    /// only); `soft-labels` writes them instead of the crowd's.
    pub soft: Vec<SoftEntry>,
    /// Files with a soft label that are not samples of the dataset any more: kept, reported.
    pub orphaned_soft: Vec<String>,
    /// Actions that can be undone.
    pub undo_depth: usize,
    /// Actions that can be redone.
    pub redo_depth: usize,
    /// The newest batch when this state was read.
    pub last_batch: BatchId,
}

impl EditState {
    /// The pending labels, as (sample, label) pairs for [`Dataset::relabel`].
    pub fn labels(&self) -> Vec<(usize, Option<&str>)> {
        self.pending
            .iter()
            .map(|p| (p.sample, p.to.as_deref()))
            .collect()
    }

    /// The hand soft label of `sample`, if it has one.
    pub fn soft_of(&self, sample: usize) -> Option<&SoftLabel> {
        self.soft
            .binary_search_by_key(&sample, |s| s.sample)
            .ok()
            .and_then(|k| self.soft.get(k))
            .map(|s| &s.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        seq: i64,
        batch: BatchId,
        op: &str,
        target: Option<BatchId>,
        file: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> EventRow {
        EventRow {
            seq,
            batch,
            op: op.into(),
            batch_target: target,
            kind: "label".into(),
            file: file.into(),
            from: from.map(Into::into),
            to: to.map(Into::into),
            target: None,
            moved_to: None,
        }
    }

    #[test]
    fn undo_and_redo_stacks_follow_the_history() {
        let rows = vec![
            row(1, 1, "edit", None, "a", Some("cat"), Some("dog")),
            row(2, 2, "edit", None, "b", Some("cat"), Some("dog")),
            row(3, 2, "edit", None, "c", Some("cat"), Some("dog")),
            row(4, 3, "undo", Some(2), "b", Some("dog"), Some("cat")),
            row(5, 3, "undo", Some(2), "c", Some("dog"), Some("cat")),
        ];
        let r = Replay::from_rows(rows.clone(), 3);
        assert_eq!(r.undo_target(), Some(1));
        assert_eq!(r.redo_target(), Some(2));
        assert_eq!(r.batch_changes(2).len(), 2);
        assert_eq!(r.current("b"), Some(Some("cat".into())));
        // A redo puts the action back; a new edit after an undo clears the redo stack.
        let mut redone = rows.clone();
        redone.push(row(6, 4, "redo", Some(2), "b", Some("cat"), Some("dog")));
        let r = Replay::from_rows(redone, 4);
        assert_eq!((r.undo_target(), r.redo_target()), (Some(2), None));
        let mut fresh = rows;
        fresh.push(row(6, 4, "edit", None, "d", Some("cat"), Some("owl")));
        let r = Replay::from_rows(fresh, 4);
        assert_eq!((r.undo_target(), r.redo_target()), (Some(4), None));
    }

    #[test]
    fn applied_closes_only_the_edit_it_wrote() {
        let mut applied = row(3, 3, "apply", None, "a", None, Some("dog"));
        applied.kind = "applied".into();
        applied.target = Some(1);
        let rows = vec![
            row(1, 1, "edit", None, "a", Some("cat"), Some("dog")),
            row(2, 2, "edit", None, "a", Some("dog"), Some("owl")),
            applied,
        ];
        let r = Replay::from_rows(rows, 3);
        // The newer edit (seq 2) came before the write-back of seq 1 was recorded: still open.
        assert_eq!(r.open_edit("a"), Some((2, Some("owl"))));
        assert_eq!(r.applied, 1);
    }
}
