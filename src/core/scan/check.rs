//! `check`: every sample's file opened and decoded in parallel, problems listed with their reason,
//! the EXIF orientation census, and byte-identical duplicates (with their splits and labels).
//!
//! Images are decoded in full (every JPEG scan entropy-decoded, which is where truncated or corrupt
//! data shows; JPEGs at the 1/8 IDCT scale since the pixels themselves are not needed), audio files
//! are decoded packet by packet, and every file is hashed. Memory stays bounded: the file bytes held
//! at once across all worker threads stay within a [`ByteBudget`], each decode under the pixel limit.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

use super::byte_budget::{ByteBudget, DEFAULT_BYTE_BUDGET};
use crate::core::data::dataset::Dataset;
use crate::core::data::sample_media::SampleMedia;
use crate::core::data::warnings::UnusableFile;
use crate::core::media::{
    DEFAULT_MAX_PIXELS, DecodeOptions, ExifOrientation, MAX_IN_MEMORY_BYTES, MediaError, MediaKind,
    ProblemKind, decode_image, probe_audio,
};

/// How to check.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Images over this many pixels are reported as refused (decompression bombs).
    pub max_pixels: u64,
    /// File bytes held in memory at once across all threads (see [`ByteBudget`]).
    pub memory_budget: u64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            memory_budget: DEFAULT_BYTE_BUDGET,
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
}

/// What checking one sample found.
#[derive(Default)]
struct SampleFinding {
    problems: Vec<(ProblemKind, String)>,
    /// `Some(orientation or None)` for images that decoded.
    orientation: Option<Option<u8>>,
    /// Content hash and length, when the file could be read.
    hash: Option<(u128, u64)>,
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
    let findings: Vec<SampleFinding> = (0..dataset.len())
        .into_par_iter()
        .with_max_len(16)
        .map(|i| {
            let finding = check_sample(dataset, i, options, budget);
            if let Some(p) = progress {
                p.fetch_add(1, Ordering::Relaxed);
            }
            finding
        })
        .collect();

    let mut problems: Vec<Problem> = unusable
        .iter()
        .map(|u| Problem {
            file: u.path.clone(),
            kind: u.kind,
            detail: u.detail.clone(),
        })
        .collect();
    let mut census = OrientationCensus::default();
    for (i, f) in findings.iter().enumerate() {
        problems.extend(f.problems.iter().map(|(kind, detail)| Problem {
            file: dataset.file(i).to_string(),
            kind: *kind,
            detail: detail.clone(),
        }));
        if let Some(o) = f.orientation {
            census.add(o);
        }
    }
    let duplicates = duplicate_groups(dataset, &findings);
    CheckReport {
        num_samples: dataset.len(),
        problems,
        exif_orientation: census,
        cross_split_duplicates: duplicates.iter().filter(|g| g.spans_splits()).count(),
        conflicting_label_duplicates: duplicates
            .iter()
            .filter(|g| g.has_conflicting_labels())
            .count(),
        duplicates,
    }
}

/// Checks one sample wherever it lives: a file, a cell of a Hugging Face shard, or a text.
fn check_sample(
    dataset: &Dataset,
    i: usize,
    options: &CheckOptions,
    budget: &ByteBudget,
) -> SampleFinding {
    match dataset.media(i) {
        SampleMedia::File(path) => check_file(&path, dataset.file(i), options, budget),
        SampleMedia::Text => check_text(dataset.text(i)),
        embedded @ SampleMedia::Embedded { .. } => {
            let mut finding = SampleFinding::default();
            match embedded.read() {
                Ok(bytes) => {
                    let _claim = budget.claim(bytes.len() as u64);
                    check_bytes(bytes, None, dataset.media_kind(i), options, &mut finding);
                }
                Err(e) => finding.problems.push((e.kind, e.detail)),
            }
            finding
        }
    }
}

/// A text sample: a null text is `missing`, an empty one `empty`; its bytes are hashed for duplicates.
fn check_text(text: Option<&str>) -> SampleFinding {
    let mut finding = SampleFinding::default();
    match text {
        None => finding
            .problems
            .push((ProblemKind::Missing, "the text is null".to_string())),
        Some("") => finding
            .problems
            .push((ProblemKind::Empty, "the text is empty".to_string())),
        Some(t) => finding.hash = Some((xxh3_128(t.as_bytes()), t.len() as u64)),
    }
    finding
}

fn check_file(
    path: &Path,
    name: &str,
    options: &CheckOptions,
    budget: &ByteBudget,
) -> SampleFinding {
    let mut finding = SampleFinding::default();
    let fail =
        |finding: &mut SampleFinding, e: MediaError| finding.problems.push((e.kind, e.detail));
    let len = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            fail(
                &mut finding,
                MediaError::unreadable("this is a folder, not a file"),
            );
            return finding;
        }
        Ok(m) => m.len(),
        Err(e) => {
            let mut err = MediaError::from_io(&e);
            if err.kind == ProblemKind::Missing {
                err.detail = format!("no such file: {}", path.display());
            }
            fail(&mut finding, err);
            return finding;
        }
    };
    if len == 0 {
        fail(&mut finding, MediaError::empty());
        return finding;
    }
    let ext = Path::new(name).extension().and_then(|e| e.to_str());
    let kind = MediaKind::of(name);
    if len > MAX_IN_MEMORY_BYTES {
        // Too large to hold: hash as a stream; audio is decoded from the file, images refused.
        match hash_stream(path) {
            Ok(h) => finding.hash = Some((h, len)),
            Err(e) => fail(&mut finding, e),
        }
        match kind {
            Some(MediaKind::Audio) => {
                if let Err(e) = crate::core::media::probe_audio_file(path, true) {
                    fail(&mut finding, e);
                }
            }
            _ => fail(&mut finding, MediaError::too_large(len)),
        }
        return finding;
    }
    // Held until the bytes (and the decode made from them) are dropped at the end of this call.
    let _claim = budget.claim(len);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            fail(&mut finding, MediaError::from_io(&e));
            return finding;
        }
    };
    check_bytes(bytes, ext, kind, options, &mut finding);
    finding
}

/// Hashes and decodes one sample's bytes (`ext` from its name, when it has one).
fn check_bytes(
    bytes: Vec<u8>,
    ext: Option<&str>,
    kind: Option<MediaKind>,
    options: &CheckOptions,
    finding: &mut SampleFinding,
) {
    let fail =
        |finding: &mut SampleFinding, e: MediaError| finding.problems.push((e.kind, e.detail));
    finding.hash = Some((xxh3_128(&bytes), bytes.len() as u64));
    match kind {
        Some(MediaKind::Audio) => {
            if let Err(e) = probe_audio(Box::new(std::io::Cursor::new(bytes)), ext, true) {
                fail(finding, e);
            }
        }
        // Images, and files without a media extension (a manifest may list anything): by content.
        _ => {
            let decode = DecodeOptions {
                max_pixels: options.max_pixels,
                // The smallest JPEG scale: every scan is still decoded, the full-size IDCT is not.
                target_size: Some(1),
                apply_orientation: false,
            };
            match decode_image(&bytes, ext, &decode) {
                Ok(image) => {
                    let value = match &image.exif {
                        ExifOrientation::Tag(o) => Some(o.value()),
                        ExifOrientation::Absent => None,
                        ExifOrientation::Ignored(reason) => {
                            finding
                                .problems
                                .push((ProblemKind::Unsupported, reason.clone()));
                            None
                        }
                    };
                    finding.orientation = Some(value);
                    if let Some(m) = image.name_mismatch {
                        finding.problems.push((ProblemKind::Unsupported, m));
                    }
                }
                Err(e) if kind.is_none() && e.kind == ProblemKind::Unreadable => fail(
                    finding,
                    MediaError::unsupported(format!(
                        "neither an image nor an audio file by its name, and the content is not an image ({})",
                        e.detail
                    )),
                ),
                Err(e) => fail(finding, e),
            }
        }
    }
}

fn hash_stream(path: &Path) -> Result<u128, MediaError> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path).map_err(|e| MediaError::from_io(&e))?;
    let mut hasher = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| MediaError::from_io(&e))?;
        if n == 0 {
            return Ok(hasher.digest128());
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
}

/// Groups samples by content hash, then confirms each group byte for byte (a 128-bit hash clash is
/// astronomically unlikely, but "byte-identical" is a promise).
fn duplicate_groups(dataset: &Dataset, findings: &[SampleFinding]) -> Vec<DuplicateGroup> {
    let mut by_hash: Vec<((u128, u64), u32)> = findings
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.hash.map(|h| (h, i as u32)))
        .collect();
    by_hash.sort_unstable();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for run in by_hash.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        let members: Vec<u32> = run.iter().map(|&(_, i)| i).collect();
        groups.extend(confirm_identical(dataset, members));
    }
    groups.sort_unstable_by_key(|g| g.first().copied());
    groups
        .into_iter()
        .map(|members| {
            let name = |id: Option<usize>, names: &[String]| {
                id.and_then(|k| names.get(k)).cloned().unwrap_or_default()
            };
            DuplicateGroup {
                files: members
                    .iter()
                    .map(|&i| dataset.file(i as usize).to_string())
                    .collect(),
                splits: members
                    .iter()
                    .map(|&i| name(dataset.split(i as usize), dataset.splits()))
                    .collect(),
                labels: members
                    .iter()
                    .map(|&i| name(dataset.label(i as usize), dataset.classes()))
                    .collect(),
            }
        })
        .collect()
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
