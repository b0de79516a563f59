//! Annotations: several judgements per sample (`--annotations FILE`), one row per (sample, annotator,
//! label), read from CSV, JSONL or Parquet and grouped by sample so the crowd analyses
//! ([`crate::core::analysis::crowd`]) walk each sample's judgements as one slice.

mod read;

use std::path::{Path, PathBuf};

use crate::core::data::columns::Interner;
use crate::core::data::dataset::Dataset;
use crate::core::data::error::LoadError;
use crate::core::data::warnings::Warnings;

use super::control::LoadControl;

/// Accepted names of the annotator column, in order of preference.
pub const ANNOTATOR_COLUMNS: &[&str] = &["annotator", "worker", "rater", "user"];

/// Every judgement of a dataset's samples, grouped by sample in dataset order (compressed rows), with
/// annotators and labels as small ids: a million samples with five judgements each fit in 45 MB and
/// every analysis is a pass over flat arrays.
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    path: PathBuf,
    /// `offsets[i]..offsets[i + 1]` are sample i's judgements (`len() + 1` entries).
    offsets: Vec<u32>,
    /// Annotator id of each judgement (index into `annotators`), sorted by annotator within a sample.
    annotator: Vec<u32>,
    /// Dataset class id of each judgement.
    label: Vec<u32>,
    /// Annotator names in byte order.
    annotators: Vec<String>,
}

impl Annotations {
    /// The file the judgements came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of judgements in all.
    pub fn len(&self) -> usize {
        self.label.len()
    }

    /// Whether there are no judgements.
    pub fn is_empty(&self) -> bool {
        self.label.is_empty()
    }

    /// Number of samples the grouping covers (the dataset's length when joined).
    pub fn samples(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Annotator names in byte order; judgement annotator ids index this.
    pub fn annotators(&self) -> &[String] {
        &self.annotators
    }

    /// The range of sample `i`'s judgements in [`Self::annotator_ids`] and [`Self::label_ids`].
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// Number of judgements of sample `i`.
    pub fn count(&self, i: usize) -> usize {
        self.range(i).len()
    }

    /// Annotator ids of every judgement (grouped by sample).
    pub fn annotator_ids(&self) -> &[u32] {
        &self.annotator
    }

    /// Class ids of every judgement (grouped by sample).
    pub fn label_ids(&self) -> &[u32] {
        &self.label
    }

    /// Sample `i`'s judgements as (annotator id, class id).
    pub fn judgements(&self, i: usize) -> impl Iterator<Item = (u32, u32)> + '_ {
        let r = self.range(i);
        self.annotator[r.clone()]
            .iter()
            .copied()
            .zip(self.label[r].iter().copied())
    }

    /// Renumbers class ids after classes were added to the dataset (a label edit naming a new class).
    pub fn remap_classes(&mut self, table: &[u32]) {
        for l in &mut self.label {
            if let Some(&n) = table.get(*l as usize) {
                *l = n;
            }
        }
    }

    /// Approximate heap bytes (status bar, memory budgets).
    pub fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.annotator.capacity() + self.label.capacity()) * 4
            + self
                .annotators
                .iter()
                .map(|a| a.capacity() + 24)
                .sum::<usize>()
    }

    /// Builds the grouping from raw rows; the public way in is [`load_annotations`]. Used by tests and
    /// by callers that already hold judgements in memory.
    pub fn from_rows(
        dataset: &mut Dataset,
        path: &Path,
        rows: &[(usize, &str, &str)],
    ) -> Result<(Self, Option<Vec<u32>>), LoadError> {
        let mut raw = read::RawRows::default();
        for (line, (sample, annotator, label)) in rows.iter().enumerate() {
            raw.sample.push(*sample as u32);
            raw.annotator.push(raw.annotators.intern(annotator));
            raw.label.push(raw.labels.intern(label));
            raw.line.push(line as u32 + 2);
        }
        join(dataset, path, raw)
    }
}

/// Reads `path` and groups its judgements by the samples of `dataset`. Label names that are not
/// classes yet become classes of `dataset` (byte order kept); the returned table maps old class ids to
/// new ones when any was added, for predictions joined before. A row naming a file that is not a
/// sample, with an empty field, or repeating a (file, annotator) pair is an error naming file and line.
pub fn load_annotations(
    dataset: &mut Dataset,
    path: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<(Annotations, Option<Vec<u32>>), LoadError> {
    let raw = read::read_rows(dataset, path, control, warnings)?;
    join(dataset, path, raw)
}

/// Groups raw rows by sample: classes added, annotators put in byte order, repeated pairs refused.
fn join(
    dataset: &mut Dataset,
    path: &Path,
    raw: read::RawRows,
) -> Result<(Annotations, Option<Vec<u32>>), LoadError> {
    let read::RawRows {
        sample,
        annotator,
        label,
        line,
        annotators,
        labels,
        ..
    } = raw;
    let label_names = labels.into_names();
    let remap = dataset.ensure_classes(label_names.iter().map(String::as_str));
    let class_of_label: Vec<u32> = label_names
        .iter()
        .map(|n| dataset.class_id(n).map_or(0, |c| c as u32))
        .collect();
    let (annotator_names, annotator_rank) = sorted(annotators);

    // Counting sort by sample: judgements grouped in dataset order, file order kept within a sample.
    let n = dataset.len();
    if sample.len() >= u32::MAX as usize {
        return Err(LoadError::parse_file(
            path,
            "more than 4 billion judgements are more than spotcheck can hold",
        ));
    }
    let mut offsets = vec![0u32; n + 1];
    for &s in &sample {
        if let Some(slot) = offsets.get_mut(s as usize + 1) {
            *slot += 1;
        }
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let total = sample.len();
    let mut next = offsets.clone();
    let mut out_annotator = vec![0u32; total];
    let mut out_label = vec![0u32; total];
    let mut out_line = vec![0u32; total];
    for j in 0..total {
        let s = sample[j] as usize;
        let Some(at) = next.get_mut(s) else { continue };
        let k = *at as usize;
        *at += 1;
        out_annotator[k] = annotator_rank
            .get(annotator[j] as usize)
            .copied()
            .unwrap_or(0);
        out_label[k] = class_of_label.get(label[j] as usize).copied().unwrap_or(0);
        out_line[k] = line[j];
    }
    drop((sample, annotator, label, line));

    // Within each sample, order by annotator and refuse a pair given twice (the later line is named).
    let mut repeat: Option<(u32, usize)> = None;
    let mut order: Vec<usize> = Vec::new();
    let (mut annot, mut labs) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
        if b - a < 2 {
            continue;
        }
        order.clear();
        order.extend(a..b);
        order.sort_by_key(|&k| (out_annotator[k], out_line[k]));
        for w in order.windows(2) {
            if out_annotator[w[0]] == out_annotator[w[1]] {
                let later = out_line[w[1]];
                if repeat.is_none_or(|(l, _)| later < l) {
                    repeat = Some((later, i));
                }
            }
        }
        annot.clear();
        labs.clear();
        annot.extend(order.iter().map(|&k| out_annotator[k]));
        labs.extend(order.iter().map(|&k| out_label[k]));
        out_annotator[a..b].copy_from_slice(&annot);
        out_label[a..b].copy_from_slice(&labs);
    }
    if let Some((line, sample)) = repeat {
        return Err(LoadError::parse(
            path,
            u64::from(line),
            format!(
                "{} is judged twice by the same annotator (one judgement per file and annotator)",
                dataset.file(sample)
            ),
        ));
    }
    Ok((
        Annotations {
            path: path.to_path_buf(),
            offsets,
            annotator: out_annotator,
            label: out_label,
            annotators: annotator_names,
        },
        remap,
    ))
}

/// Names in byte order and each first-seen id's rank.
fn sorted(interner: Interner) -> (Vec<String>, Vec<u32>) {
    interner.into_sorted()
}

#[cfg(test)]
mod tests;
