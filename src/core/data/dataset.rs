//! The in-memory dataset: samples as columns (path, class id, split id, metadata), classes sorted by
//! byte order like torchvision's `ImageFolder`. Built to hold millions of samples for the GUI to browse.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::columns::{Interner, NONE, StrColumn, id_at};
use super::hf_source::{EmbeddedKind, HfSource};
use super::load::hf::embedded::EmbeddedReader;
use super::sample_files::{AddError, SampleFiles, path_hash};
use super::sample_media::SampleMedia;
use crate::core::media::MediaKind;

/// Where a dataset came from, which decides how label edits are written back later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetSource {
    /// `ROOT/[SPLIT/]CLASS/FILE`.
    Folder {
        /// Whether the first folder level names splits.
        has_split_level: bool,
    },
    /// A CSV or JSONL manifest (possibly found as `metadata.csv`/`.jsonl` inside a folder).
    Manifest {
        /// The manifest file itself.
        path: PathBuf,
        /// CSV or JSONL.
        format: TableFormat,
        /// The text column when the samples are texts.
        text_column: Option<String>,
    },
    /// A Hugging Face dataset: Parquet or Arrow shards, media possibly embedded in them.
    HuggingFace(Arc<HfSource>),
}

/// The two tabular formats spotcheck reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// A metadata column kept from a manifest (everything that is not the file, label or split).
#[derive(Debug, Clone)]
pub struct MetadataColumn {
    /// The header name.
    pub name: String,
    /// One value per sample (empty where a JSONL row had no such key).
    pub values: StrColumn,
}

/// A loaded dataset. Sample `i` has path `file(i)`, class `label(i)`, split `split(i)`.
/// Everything but the labels is shared behind `Arc`s, so a relabelled copy costs one label array.
#[derive(Debug, Clone)]
pub struct Dataset {
    root: PathBuf,
    source: DatasetSource,
    files: Arc<SampleFiles>,
    labels: Vec<u32>,
    splits: Arc<Vec<u32>>,
    classes: Vec<String>,
    split_names: Vec<String>,
    metadata: Arc<Vec<MetadataColumn>>,
    source_lines: Arc<Vec<u32>>,
    /// Reads media embedded in Hugging Face shards (`None` for every other source).
    embedded: Option<Arc<EmbeddedReader>>,
}

impl Dataset {
    /// Where sample `i`'s media comes from.
    pub fn media(&self, i: usize) -> SampleMedia {
        if matches!(
            &self.source,
            DatasetSource::Manifest {
                text_column: Some(_),
                ..
            }
        ) {
            return SampleMedia::Text;
        }
        if let DatasetSource::HuggingFace(src) = &self.source {
            if let (Some(reader), Some(_)) = (&self.embedded, &src.media) {
                return SampleMedia::Embedded {
                    reader: reader.clone(),
                    row: self.source_line(i).unwrap_or(i as u64),
                };
            }
            if src.text_column.is_some() {
                return SampleMedia::Text;
            }
        }
        SampleMedia::File(self.disk_path(i))
    }

    /// Whether sample `i` is an image or audio clip (`None`: text, or a file of another kind).
    pub fn media_kind(&self, i: usize) -> Option<MediaKind> {
        if matches!(
            &self.source,
            DatasetSource::Manifest {
                text_column: Some(_),
                ..
            }
        ) {
            return None;
        }
        if let DatasetSource::HuggingFace(src) = &self.source {
            if let Some(m) = &src.media {
                return match m.kind {
                    EmbeddedKind::Audio => Some(MediaKind::Audio),
                    // A struct column with no feature type: images are what Hub datasets embed most.
                    EmbeddedKind::Image | EmbeddedKind::Unknown => Some(MediaKind::Image),
                };
            }
            if src.text_column.is_some() {
                return None;
            }
        }
        MediaKind::of(self.file(i))
    }

    /// The text column's name when the samples are texts.
    pub fn text_column(&self) -> Option<&str> {
        match &self.source {
            DatasetSource::HuggingFace(src) => src.text_column.as_deref(),
            DatasetSource::Manifest { text_column, .. } => text_column.as_deref(),
            DatasetSource::Folder { .. } => None,
        }
    }

    /// The text of sample `i` in a text dataset.
    pub fn text(&self, i: usize) -> Option<&str> {
        let name = self.text_column()?;
        if let DatasetSource::HuggingFace(src) = &self.source
            && let Some(row) = self.source_line(i)
            && src.null_texts.binary_search(&row).is_ok()
        {
            return None;
        }
        self.metadata
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.values.get(i))
    }

    /// The shard file (relative name) and row a Hugging Face sample lives in.
    pub fn location(&self, i: usize) -> Option<(&str, u64)> {
        let DatasetSource::HuggingFace(src) = &self.source else {
            return None;
        };
        let (shard, row) = src.locate(self.source_line(i)?)?;
        Some((src.shards.get(shard)?.name.as_str(), row))
    }

    /// Attaches the reader of embedded media (the Hugging Face loader does).
    pub fn set_embedded_reader(&mut self, reader: Arc<EmbeddedReader>) {
        self.embedded = Some(reader);
    }

    /// The folder sample paths are relative to (the manifest's folder for manifests).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How the dataset is stored on disk.
    pub fn source(&self) -> &DatasetSource {
        &self.source
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The sample paths and their index.
    pub fn files(&self) -> &SampleFiles {
        &self.files
    }

    /// Path of sample `i` relative to the root, with `/` separators: the sample's identity.
    pub fn file(&self, i: usize) -> &str {
        self.files.get(i).unwrap_or_default()
    }

    /// Absolute-or-root-relative path to open sample `i` on disk.
    pub fn disk_path(&self, i: usize) -> PathBuf {
        self.root.join(self.file(i))
    }

    /// Class id of sample `i`, or `None` when it is unlabelled.
    pub fn label(&self, i: usize) -> Option<usize> {
        id_at(&self.labels, i)
    }

    /// Class ids of all samples ([`NONE`] = unlabelled): what the metrics take.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// Split id of sample `i`, or `None` when the dataset has no split for it.
    pub fn split(&self, i: usize) -> Option<usize> {
        id_at(&self.splits, i)
    }

    /// Split ids of all samples ([`NONE`] = no split).
    pub fn split_ids(&self) -> &[u32] {
        &self.splits
    }

    /// Class names in byte order; a class id indexes this list.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Split names in byte order; a split id indexes this list.
    pub fn splits(&self) -> &[String] {
        &self.split_names
    }

    /// Id of the split called `name`.
    pub fn split_id(&self, name: &str) -> Option<usize> {
        self.split_names.iter().position(|s| s == name)
    }

    /// Id of the class called `name`.
    pub fn class_id(&self, name: &str) -> Option<usize> {
        self.classes
            .binary_search_by(|c| c.as_bytes().cmp(name.as_bytes()))
            .ok()
    }

    /// Metadata columns from a manifest (empty for class folders).
    pub fn metadata(&self) -> &[MetadataColumn] {
        &self.metadata
    }

    /// Line of the manifest where sample `i` was read (`None` for class folders); for a Hugging
    /// Face dataset, its global row (rows counted over all shards in name order, from 0).
    pub fn source_line(&self, i: usize) -> Option<u64> {
        self.source_lines.get(i).map(|&l| u64::from(l))
    }

    /// Index of sample `path` (normalised relative path).
    pub fn find(&self, path: &str) -> Option<usize> {
        self.files.find(path).map(|i| i as usize)
    }

    /// Counts of labelled samples per class, over all samples or one split.
    pub fn class_counts(&self, split: Option<usize>) -> Vec<u64> {
        let mut counts = vec![0u64; self.classes.len()];
        for (i, &label) in self.labels.iter().enumerate() {
            if label == NONE {
                continue;
            }
            if let Some(s) = split
                && self.splits.get(i).copied() != Some(s as u32)
            {
                continue;
            }
            if let Some(c) = counts.get_mut(label as usize) {
                *c += 1;
            }
        }
        counts
    }

    /// Gives an unlabelled dataset the class list of its predictions, so predicted classes have names.
    /// Does nothing when the dataset already has classes.
    pub fn adopt_classes(&mut self, mut names: Vec<String>) {
        if !self.classes.is_empty() {
            return;
        }
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        names.dedup();
        self.classes = names;
    }

    /// Adds classes that do not exist yet, keeping byte order. Returns the old -> new class id table
    /// when any was added (predictions joined before need it too).
    pub fn ensure_classes<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Option<Vec<u32>> {
        let mut added: Vec<&str> = names
            .into_iter()
            .filter(|l| self.class_id(l).is_none())
            .collect();
        if added.is_empty() {
            return None;
        }
        added.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        added.dedup();
        let mut names = self.classes.clone();
        names.extend(added.iter().map(|s| s.to_string()));
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let table: Vec<u32> = self
            .classes
            .iter()
            .map(|c| {
                names
                    .binary_search_by(|n| n.as_bytes().cmp(c.as_bytes()))
                    .map_or(NONE, |i| i as u32)
            })
            .collect();
        for l in &mut self.labels {
            if *l != NONE {
                *l = table.get(*l as usize).copied().unwrap_or(NONE);
            }
        }
        self.classes = names;
        Some(table)
    }

    /// Gives samples new labels (label edits; `None` = unlabelled), adding classes that do not exist
    /// yet. Returns the class id table when classes were added, as [`Dataset::ensure_classes`].
    pub fn relabel(&mut self, changes: &[(usize, Option<&str>)]) -> Option<Vec<u32>> {
        let remap = self.ensure_classes(changes.iter().filter_map(|(_, l)| *l));
        for &(i, label) in changes {
            let id = label
                .and_then(|l| self.class_id(l))
                .map_or(NONE, |c| c as u32);
            if let Some(slot) = self.labels.get_mut(i) {
                *slot = id;
            }
        }
        remap
    }

    /// Approximate heap bytes of the whole model (the benchmark and status bar report it).
    pub fn heap_bytes(&self) -> usize {
        self.files.heap_bytes()
            + self.labels.capacity() * 4
            + self.splits.capacity() * 4
            + self.source_lines.capacity() * 4
            + self
                .metadata
                .iter()
                .map(|m| m.values.heap_bytes())
                .sum::<usize>()
    }
}

/// Names sorted by byte order, keeping only those some id in `ids` (or `declared`) uses (a dropped
/// repeat row must not leave its label behind as a class); and the old id -> new id table.
fn used_sorted(names: Interner, ids: &[u32], declared: &[u32]) -> (Vec<String>, Vec<u32>) {
    let (sorted, remap) = names.into_sorted();
    let mut used = vec![false; sorted.len()];
    for &id in ids.iter().chain(declared) {
        if let Some(&s) = remap.get(id as usize) {
            used[s as usize] = true;
        }
    }
    let mut compact = vec![NONE; sorted.len()];
    let mut kept = Vec::with_capacity(sorted.len());
    for (i, name) in sorted.into_iter().enumerate() {
        if used[i] {
            compact[i] = kept.len() as u32;
            kept.push(name);
        }
    }
    let remap = remap
        .iter()
        .map(|&s| compact.get(s as usize).copied().unwrap_or(NONE))
        .collect();
    (kept, remap)
}

/// A manifest row that repeated a path already listed (dropped; the first row is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedSample {
    /// The repeated path.
    pub path: String,
    /// The manifest line of the dropped row.
    pub line: Option<u64>,
}

/// Accumulates samples during a load, then sorts classes and splits and remaps their ids.
#[derive(Debug, Default)]
pub struct DatasetBuilder {
    files: SampleFiles,
    hashes: Vec<u64>,
    labels: Vec<u32>,
    splits: Vec<u32>,
    class_names: Interner,
    /// Classes that exist even with no sample (empty class folders).
    declared_classes: Vec<u32>,
    split_names: Interner,
    metadata: Vec<MetadataColumn>,
    source_lines: Vec<u32>,
}

impl DatasetBuilder {
    /// Room for about `rows` samples.
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            files: SampleFiles::with_capacity(rows),
            hashes: Vec::with_capacity(rows),
            labels: Vec::with_capacity(rows),
            splits: Vec::with_capacity(rows),
            ..Self::default()
        }
    }

    /// Declares a class that may have no samples (an empty class folder).
    pub fn declare_class(&mut self, name: &str) {
        let id = self.class_names.intern(name);
        self.declared_classes.push(id);
    }

    /// Declares a metadata column; returns its index for [`DatasetBuilder::push_metadata`].
    pub fn add_metadata_column(&mut self, name: String) -> usize {
        let mut values = StrColumn::default();
        values.pad_to(self.files.len());
        self.metadata.push(MetadataColumn { name, values });
        self.metadata.len() - 1
    }

    /// Adds a sample and returns its index. Repeated paths are found (and dropped) by
    /// [`DatasetBuilder::finish`], which indexes all paths at once.
    pub fn push(
        &mut self,
        path: &str,
        label: Option<&str>,
        split: Option<&str>,
    ) -> Result<usize, AddError> {
        let idx = self.files.push_unindexed(path)?;
        self.hashes.push(path_hash(path));
        self.labels
            .push(label.map_or(NONE, |l| self.class_names.intern(l)));
        self.splits
            .push(split.map_or(NONE, |s| self.split_names.intern(s)));
        Ok(idx as usize)
    }

    /// Records the manifest line of the sample just pushed.
    pub fn push_line(&mut self, line: u64) {
        self.source_lines
            .push(u32::try_from(line).unwrap_or(u32::MAX));
    }

    /// Sets metadata column `col` of the sample just pushed (columns not set stay empty).
    pub fn push_metadata(&mut self, col: usize, value: &str) -> Result<(), AddError> {
        let rows = self.files.len();
        if let Some(m) = self.metadata.get_mut(col) {
            m.values.pad_to(rows - 1);
            m.values.push(value)?;
        }
        Ok(())
    }

    /// Number of samples so far.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no sample was added yet.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Sorts samples by path (class-folder datasets list files in a stable order). Folder loads have no
    /// metadata or source lines, which this does not reorder.
    pub fn sort_by_path(self) -> Self {
        let mut order: Vec<u32> = (0..self.files.len() as u32).collect();
        order.sort_by(|&a, &b| self.files.get(a as usize).cmp(&self.files.get(b as usize)));
        if order.iter().enumerate().all(|(i, &o)| i as u32 == o) {
            return self;
        }
        self.select(&order)
    }

    /// Keeps the samples `keep` (indices into the current order), in that order.
    fn select(self, keep: &[u32]) -> Self {
        let mut files = SampleFiles::with_capacity(keep.len());
        let pick = |v: &[u32], o: usize| v.get(o).copied().unwrap_or(NONE);
        for &o in keep {
            // Paths fitted before, so they fit again.
            files
                .push_unindexed(self.files.get(o as usize).unwrap_or_default())
                .ok();
        }
        let metadata = self
            .metadata
            .iter()
            .map(|m| {
                let mut values = StrColumn::with_capacity(keep.len(), 8);
                for &o in keep {
                    values
                        .push(m.values.get(o as usize).unwrap_or_default())
                        .ok();
                }
                MetadataColumn {
                    name: m.name.clone(),
                    values,
                }
            })
            .collect();
        Self {
            files,
            hashes: keep
                .iter()
                .map(|&o| self.hashes.get(o as usize).copied().unwrap_or(0))
                .collect(),
            labels: keep
                .iter()
                .map(|&o| pick(&self.labels, o as usize))
                .collect(),
            splits: keep
                .iter()
                .map(|&o| pick(&self.splits, o as usize))
                .collect(),
            source_lines: if self.source_lines.is_empty() {
                Vec::new()
            } else {
                keep.iter()
                    .map(|&o| self.source_lines.get(o as usize).copied().unwrap_or(0))
                    .collect()
            },
            metadata,
            ..self
        }
    }

    /// Finishes the load: paths indexed, repeated paths dropped (the first row of each is kept; the
    /// dropped ones are returned with their manifest lines), classes and splits sorted by byte order.
    pub fn finish(
        mut self,
        root: PathBuf,
        source: DatasetSource,
    ) -> (Dataset, Vec<RepeatedSample>) {
        let repeats = self.files.build_index(&self.hashes);
        let mut dropped = Vec::new();
        if !repeats.is_empty() {
            dropped = repeats
                .iter()
                .map(|r| RepeatedSample {
                    path: self
                        .files
                        .get(r.repeat as usize)
                        .unwrap_or_default()
                        .to_string(),
                    line: self
                        .source_lines
                        .get(r.repeat as usize)
                        .map(|&l| u64::from(l)),
                })
                .collect();
            let drop: std::collections::HashSet<u32> = repeats.iter().map(|r| r.repeat).collect();
            let keep: Vec<u32> = (0..self.files.len() as u32)
                .filter(|i| !drop.contains(i))
                .collect();
            self = self.select(&keep);
            // No repeats are left, so this second index has none to report.
            self.files.build_index(&self.hashes);
        }
        self.hashes = Vec::new();
        (self.into_dataset(root, source), dropped)
    }

    fn into_dataset(self, root: PathBuf, source: DatasetSource) -> Dataset {
        let (classes, class_remap) =
            used_sorted(self.class_names, &self.labels, &self.declared_classes);
        let (split_names, split_remap) = used_sorted(self.split_names, &self.splits, &[]);
        let remap = |ids: Vec<u32>, table: &[u32]| -> Vec<u32> {
            ids.into_iter()
                .map(|id| {
                    if id == NONE {
                        NONE
                    } else {
                        table.get(id as usize).copied().unwrap_or(NONE)
                    }
                })
                .collect()
        };
        let rows = self.files.len();
        let mut files = self.files;
        files.shrink_to_fit();
        let mut metadata = self.metadata;
        for m in &mut metadata {
            m.values.pad_to(rows);
            m.values.shrink_to_fit();
        }
        Dataset {
            root,
            source,
            files: Arc::new(files),
            labels: remap(self.labels, &class_remap),
            splits: Arc::new(remap(self.splits, &split_remap)),
            classes,
            split_names,
            metadata: Arc::new(metadata),
            source_lines: Arc::new(self.source_lines),
            embedded: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_sorts_classes_and_remaps() {
        let mut b = DatasetBuilder::default();
        b.push("x/1.jpg", Some("zebra"), Some("train")).unwrap();
        b.push("x/2.jpg", Some("Ant"), Some("val")).unwrap();
        b.push("x/3.jpg", None, None).unwrap();
        b.declare_class("bee");
        b.push("x/1.jpg", Some("ant"), None).unwrap();
        let (ds, dropped) = b.finish(
            PathBuf::from("/data"),
            DatasetSource::Folder {
                has_split_level: true,
            },
        );
        assert_eq!(
            dropped,
            [RepeatedSample {
                path: "x/1.jpg".into(),
                line: None
            }]
        );
        assert_eq!(ds.len(), 3);
        assert_eq!(ds.classes(), ["Ant", "bee", "zebra"]);
        assert_eq!(ds.splits(), ["train", "val"]);
        assert_eq!(ds.label(0), Some(2));
        assert_eq!(ds.label(1), Some(0));
        assert_eq!(ds.label(2), None);
        assert_eq!(ds.split(1), Some(1));
        assert_eq!(ds.class_counts(None), [1, 0, 1]);
        assert_eq!(ds.class_counts(Some(0)), [0, 0, 1]);
        assert_eq!(ds.class_id("zebra"), Some(2));
        assert_eq!(ds.find("x/2.jpg"), Some(1));
    }

    #[test]
    fn relabel_adds_new_classes_in_byte_order() {
        let mut b = DatasetBuilder::default();
        b.push("a.jpg", Some("cat"), None).unwrap();
        b.push("b.jpg", Some("owl"), None).unwrap();
        let (mut ds, _) = b.finish(
            PathBuf::from("/d"),
            DatasetSource::Folder {
                has_split_level: false,
            },
        );
        assert_eq!(ds.relabel(&[(0, Some("cat"))]), None);
        // "dog" sorts between the two: owl moves from 1 to 2.
        assert_eq!(ds.relabel(&[(0, Some("dog"))]), Some(vec![0, 2]));
        assert_eq!(ds.classes(), ["cat", "dog", "owl"]);
        assert_eq!((ds.label(0), ds.label(1)), (Some(1), Some(2)));
        ds.relabel(&[(1, None)]);
        assert_eq!(ds.label(1), None);
    }
}
