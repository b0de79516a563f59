//! `check`: every sample scanned in parallel (its [`ScanRecord`]), then the records aggregated:
//! problems with their reason, the EXIF orientation census, byte-identical duplicates and
//! near-duplicates (with their splits and labels).
//!
//! Images are decoded in full (every JPEG scan entropy-decoded, which is where truncated or corrupt
//! data shows; JPEGs at the smallest IDCT scale still 256 px on the long side, what the quality
//! measures need), audio files are decoded packet by packet, and every file is hashed. Memory stays
//! bounded: the file bytes held at once across all worker threads stay within a [`ByteBudget`],
//! each decode under the pixel limit.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use super::byte_budget::{ByteBudget, DEFAULT_BYTE_BUDGET};
use super::near_duplicates::{DEFAULT_NEAR_THRESHOLD, max_distance, near_duplicate_components};
use super::record::{ScanOptions, ScanRecord, scan_sample};
use crate::core::data::dataset::Dataset;
use crate::core::data::sample_media::SampleMedia;
use crate::core::data::warnings::UnusableFile;
use crate::core::media::{DEFAULT_MAX_PIXELS, ProblemKind};

/// How to check.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Images over this many pixels are reported as refused (decompression bombs).
    pub max_pixels: u64,
    /// File bytes held in memory at once across all threads (see [`ByteBudget`]).
    pub memory_budget: u64,
    /// pHashes at most this many bits apart are near-duplicates.
    pub near_threshold: u32,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            memory_budget: DEFAULT_BYTE_BUDGET,
            near_threshold: DEFAULT_NEAR_THRESHOLD,
        }
    }
}

/// One problem with one file, as the contract prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The sample's path relative to the dataset root.
    pub file: String,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// Why, in a sentence.
    pub detail: String,
}

/// Images by EXIF Orientation tag; `none` is no tag (or one that had to be ignored). Serialised as
/// the contract's `{"none": n, "1": n, ..., "8": n}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrientationCensus {
    /// Images with no usable Orientation tag.
    pub none: u64,
    /// `tagged[v - 1]`: images whose Orientation tag is `v` (1–8).
    pub tagged: [u64; 8],
}

impl OrientationCensus {
    /// The slot of an orientation value: `tagged` for 1–8, `none` for anything else.
    fn slot(&mut self, value: Option<u8>) -> &mut u64 {
        match value.and_then(|v| usize::from(v).checked_sub(1)) {
            Some(i) if i < self.tagged.len() => &mut self.tagged[i],
            _ => &mut self.none,
        }
    }

    fn add(&mut self, value: Option<u8>) {
        *self.slot(value) += 1;
    }

    /// Count for an orientation value (1–8), or of images without one (`None`, or a value outside 1–8).
    pub fn count(&self, value: Option<u8>) -> u64 {
        match value.and_then(|v| usize::from(v).checked_sub(1)) {
            Some(i) => self.tagged.get(i).copied().unwrap_or(self.none),
            None => self.none,
        }
    }

    /// Images counted, tagged or not.
    pub fn total(&self) -> u64 {
        self.none + self.tagged.iter().sum::<u64>()
    }

    /// Images a loader that ignores EXIF shows rotated or mirrored (tags 2–8).
    pub fn not_upright_as_stored(&self) -> u64 {
        self.tagged[1..].iter().sum()
    }
}

impl Serialize for OrientationCensus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(1 + self.tagged.len()))?;
        m.serialize_entry("none", &self.none)?;
        for (i, n) in self.tagged.iter().enumerate() {
            m.serialize_entry(&(i + 1).to_string(), n)?;
        }
        m.end()
    }
}

/// Files with byte-identical content; `splits` and `labels` run parallel to `files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateGroup {
    /// Sample paths, in dataset order.
    pub files: Vec<String>,
    /// Each file's split ("" when the dataset has none).
    pub splits: Vec<String>,
    /// Each file's label ("" when unlabelled).
    pub labels: Vec<String>,
}

impl DuplicateGroup {
    /// Whether the copies sit in more than one split (leakage between train and test).
    pub fn spans_splits(&self) -> bool {
        self.splits.iter().any(|s| *s != self.splits[0])
    }

    /// Whether the copies carry different labels (at least one label is wrong).
    pub fn has_conflicting_labels(&self) -> bool {
        self.labels.iter().any(|l| *l != self.labels[0])
    }
}

/// What `spotcheck check --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Samples in the dataset.
    pub num_samples: usize,
    /// Every problem found, in dataset order (files the loader could not use come first).
    pub problems: Vec<Problem>,
    /// Images by EXIF Orientation tag.
    pub exif_orientation: OrientationCensus,
    /// Groups of byte-identical files.
    pub duplicates: Vec<DuplicateGroup>,
    /// Duplicate groups that span more than one split.
    pub cross_split_duplicates: usize,
    /// Duplicate groups whose labels differ.
    pub conflicting_label_duplicates: usize,
    /// Groups of images with close perceptual hashes (not made only of byte copies).
    pub near_duplicates: Vec<NearDuplicateGroup>,
    /// Near-duplicate groups that span more than one split.
    pub cross_split_near_duplicates: usize,
    /// Near-duplicate groups whose labels differ.
    pub conflicting_label_near_duplicates: usize,
}

/// Files whose perceptual hashes are close (resized, recompressed, re-encoded, lightly cropped or
/// EXIF-rotated copies); `splits` and `labels` run parallel to `files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NearDuplicateGroup {
    /// Sample paths, in dataset order (byte copies included).
    pub files: Vec<String>,
    /// Each file's split ("" when the dataset has none).
    pub splits: Vec<String>,
    /// Each file's label ("" when unlabelled).
    pub labels: Vec<String>,
    /// The largest pHash distance between two members (may exceed the threshold: groups chain).
    pub max_distance: u32,
    /// Member sample indexes, parallel to `files` (for the app; not in the JSON).
    #[serde(skip)]
    pub members: Vec<u32>,
}

impl NearDuplicateGroup {
    /// Whether the group spans more than one split (leakage between train and test).
    pub fn spans_splits(&self) -> bool {
        self.splits.iter().any(|s| *s != self.splits[0])
    }

    /// Whether the members carry different labels.
    pub fn has_conflicting_labels(&self) -> bool {
        self.labels.iter().any(|l| *l != self.labels[0])
    }
}

/// Checks every sample of `dataset`; `unusable` are the files its loader found but could not use.
/// `progress` counts samples done (for a progress bar).
pub fn check_dataset(
    dataset: &Dataset,
    unusable: &[UnusableFile],
    options: &CheckOptions,
    progress: Option<&AtomicU64>,
) -> CheckReport {
    let budget = ByteBudget::new(options.memory_budget);
    check_dataset_within(dataset, unusable, options, progress, &budget)
}

/// [`check_dataset`] with the caller's [`ByteBudget`] (tests read its peak afterwards).
pub fn check_dataset_within(
    dataset: &Dataset,
    unusable: &[UnusableFile],
    options: &CheckOptions,
    progress: Option<&AtomicU64>,
    budget: &ByteBudget,
) -> CheckReport {
    let scan = ScanOptions {
        max_pixels: options.max_pixels,
        thumbnail_size: None,
    };
    let records = scan_dataset(dataset, &scan, progress, budget);
    check_records(dataset, unusable, &records, options.near_threshold)
}

/// Every sample's scan record, in dataset order, in parallel. `progress` counts samples done.
pub fn scan_dataset(
    dataset: &Dataset,
    options: &ScanOptions,
    progress: Option<&AtomicU64>,
    budget: &ByteBudget,
) -> Vec<ScanRecord> {
    (0..dataset.len())
        .into_par_iter()
        .with_max_len(16)
        .map(|i| {
            let record = scan_sample(dataset, i, options, budget);
            if let Some(p) = progress {
                p.fetch_add(1, Ordering::Relaxed);
            }
            record
        })
        .collect()
}

/// The `check` report from records already made (the app scans in the background, then asks).
/// Byte-identical groups are confirmed byte for byte against the files.
pub fn check_records(
    dataset: &Dataset,
    unusable: &[UnusableFile],
    records: &[ScanRecord],
    near_threshold: u32,
) -> CheckReport {
    let names = |i: usize| sample_names(dataset, i);
    let unusable = unusable
        .iter()
        .map(|u| Problem {
            file: u.path.clone(),
            kind: u.kind,
            detail: u.detail.clone(),
        })
        .collect();
    build_report(
        unusable,
        records,
        &names,
        &|members| confirm_identical(dataset, members),
        near_threshold,
    )
}

/// How the report names sample `i` of `dataset`.
pub fn sample_names(dataset: &Dataset, i: usize) -> SampleNames {
    let name = |id: Option<usize>, names: &[String]| {
        id.and_then(|k| names.get(k)).cloned().unwrap_or_default()
    };
    SampleNames {
        file: dataset.file(i).to_string(),
        split: name(dataset.split(i), dataset.splits()),
        label: name(dataset.label(i), dataset.classes()),
    }
}

/// How the report names a sample.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleNames {
    /// Its identity (path relative to the dataset root).
    pub file: String,
    /// Its split, "" when none.
    pub split: String,
    /// Its label, "" when unlabelled.
    pub label: String,
}

/// Aggregates scan records into the `check` document. `confirm` splits a set of samples with equal
/// content hashes into groups of truly equal bytes (identity when no media can be read).
pub fn build_report(
    mut problems: Vec<Problem>,
    records: &[ScanRecord],
    names: &dyn Fn(usize) -> SampleNames,
    confirm: &dyn Fn(Vec<u32>) -> Vec<Vec<u32>>,
    near_threshold: u32,
) -> CheckReport {
    let mut census = OrientationCensus::default();
    for (i, r) in records.iter().enumerate() {
        if let Some((kind, detail)) = &r.problem {
            problems.push(Problem {
                file: names(i).file,
                kind: *kind,
                detail: detail.clone(),
            });
        }
        if r.decoded_image() {
            census.add(r.orientation);
        }
    }
    let duplicates: Vec<DuplicateGroup> = duplicate_groups(records, confirm)
        .into_iter()
        .map(|members| {
            let named: Vec<SampleNames> = members.iter().map(|&i| names(i as usize)).collect();
            DuplicateGroup {
                files: named.iter().map(|n| n.file.clone()).collect(),
                splits: named.iter().map(|n| n.split.clone()).collect(),
                labels: named.iter().map(|n| n.label.clone()).collect(),
            }
        })
        .collect();
    let near_duplicates = near_duplicate_groups(records, names, near_threshold);
    CheckReport {
        num_samples: records.len(),
        problems,
        exif_orientation: census,
        cross_split_duplicates: duplicates.iter().filter(|g| g.spans_splits()).count(),
        conflicting_label_duplicates: duplicates
            .iter()
            .filter(|g| g.has_conflicting_labels())
            .count(),
        duplicates,
        cross_split_near_duplicates: near_duplicates.iter().filter(|g| g.spans_splits()).count(),
        conflicting_label_near_duplicates: near_duplicates
            .iter()
            .filter(|g| g.has_conflicting_labels())
            .count(),
        near_duplicates,
    }
}

/// Images whose pHashes chain within `threshold` bits, minus the groups that are only byte copies.
fn near_duplicate_groups(
    records: &[ScanRecord],
    names: &dyn Fn(usize) -> SampleNames,
    threshold: u32,
) -> Vec<NearDuplicateGroup> {
    let (items, hashes): (Vec<u32>, Vec<u64>) = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.decoded_image())
        .filter_map(|(i, r)| r.measures.map(|m| (i as u32, m.phash)))
        .unzip();
    near_duplicate_components(&hashes, threshold)
        .into_iter()
        .filter(|component| {
            let content = |k: &usize| records[items[*k] as usize].xxh3_128;
            component
                .iter()
                .any(|k| content(k) != content(&component[0]))
        })
        .map(|component| {
            let members: Vec<u32> = component.iter().map(|&k| items[k]).collect();
            let group_hashes: Vec<u64> = component.iter().map(|&k| hashes[k]).collect();
            let named: Vec<SampleNames> = members.iter().map(|&i| names(i as usize)).collect();
            NearDuplicateGroup {
                files: named.iter().map(|n| n.file.clone()).collect(),
                splits: named.iter().map(|n| n.split.clone()).collect(),
                labels: named.iter().map(|n| n.label.clone()).collect(),
                max_distance: max_distance(&group_hashes),
                members,
            }
        })
        .collect()
}

/// Groups samples by content hash and length, then has `confirm` check each group byte for byte
/// (a 128-bit hash clash is astronomically unlikely, but "byte-identical" is a promise).
fn duplicate_groups(
    records: &[ScanRecord],
    confirm: &dyn Fn(Vec<u32>) -> Vec<Vec<u32>>,
) -> Vec<Vec<u32>> {
    let mut by_hash: Vec<((u128, u64), u32)> = records
        .iter()
        .enumerate()
        // Empty files are reported as `empty`, not as copies of each other.
        .filter(|(_, r)| r.size_bytes != Some(0))
        .filter_map(|(i, r)| Some(((r.xxh3_128?, r.size_bytes?), i as u32)))
        .collect();
    by_hash.sort_unstable();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for run in by_hash.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        groups.extend(confirm(run.iter().map(|&(_, i)| i).collect()));
    }
    groups.sort_unstable_by_key(|g| g.first().copied());
    groups
}

/// Splits samples with equal hashes into groups of truly equal bytes (sorted by sample index). Files
/// are compared as streams against each group's first file, so memory stays at two read buffers
/// however large or many the copies (reading them whole held every copy at once).
fn confirm_identical(dataset: &Dataset, mut members: Vec<u32>) -> Vec<Vec<u32>> {
    members.sort_unstable();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for i in members {
        let Some(content) = Content::of(dataset, i as usize) else {
            continue;
        };
        let mut placed = false;
        for g in &mut groups {
            let Some(first) = Content::of(dataset, g[0] as usize) else {
                continue;
            };
            match first.same_as(&content) {
                Ok(true) => {
                    g.push(i);
                    placed = true;
                    break;
                }
                Ok(false) => {}
                // Unreadable now: it cannot be confirmed as a copy of anything.
                Err(_) => {
                    placed = true;
                    break;
                }
            }
        }
        if !placed {
            groups.push(vec![i]);
        }
    }
    groups.into_iter().filter(|g| g.len() > 1).collect()
}

/// A sample's content for the byte-for-byte confirmation: a file is streamed, embedded media and
/// texts are small enough to hold.
enum Content {
    File(std::path::PathBuf),
    Bytes(Vec<u8>),
}

impl Content {
    /// `None` when the sample cannot be read now (it is then nobody's copy).
    fn of(dataset: &Dataset, i: usize) -> Option<Self> {
        match dataset.media(i) {
            SampleMedia::File(p) => std::fs::File::open(&p).is_ok().then_some(Self::File(p)),
            SampleMedia::Text => dataset.text(i).map(|t| Self::Bytes(t.as_bytes().to_vec())),
            embedded => embedded.read().ok().map(Self::Bytes),
        }
    }

    fn same_as(&self, other: &Self) -> std::io::Result<bool> {
        match (self, other) {
            (Self::File(a), Self::File(b)) => same_bytes(a, b),
            (Self::Bytes(a), Self::Bytes(b)) => Ok(a == b),
            (Self::File(f), Self::Bytes(b)) | (Self::Bytes(b), Self::File(f)) => {
                Ok(std::fs::read(f)? == *b)
            }
        }
    }
}

/// Whether two files hold the same bytes, read side by side in 1 MiB blocks.
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    const BLOCK: usize = 1 << 20;
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut ba, mut bb) = (vec![0u8; BLOCK], vec![0u8; BLOCK]);
    loop {
        let na = read_full(&mut fa, &mut ba)?;
        let nb = read_full(&mut fb, &mut bb)?;
        if na != nb || ba.get(..na) != bb.get(..nb) {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read as _;
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_census_counts_by_tag_and_serialises_as_the_contract_says() {
        let mut census = OrientationCensus::default();
        for v in [Some(1), Some(6), Some(6), Some(8), None, Some(0), Some(9)] {
            census.add(v);
        }
        assert_eq!(census.count(Some(6)), 2);
        assert_eq!(census.count(None), 3);
        assert_eq!(census.count(Some(9)), 3);
        assert_eq!(census.total(), 7);
        assert_eq!(census.not_upright_as_stored(), 3);
        assert_eq!(
            serde_json::to_string(&census).unwrap(),
            r#"{"none":3,"1":1,"2":0,"3":0,"4":0,"5":0,"6":2,"7":0,"8":1}"#
        );
    }
}
