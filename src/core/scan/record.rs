//! The scan record: everything spotcheck learns from reading one sample once (its problem, content
//! hash, upright size, EXIF orientation, perceptual hash, brightness, contrast, sharpness, audio
//! facts, optionally a thumbnail). [`scan_bytes`] is pure, so `check`, `scan`, the app and a
//! distributed pipeline all compute the same record; `check` is an aggregate over records.

use std::path::Path;

use xxhash_rust::xxh3::{Xxh3, xxh3_128};

use super::byte_budget::ByteBudget;
use super::quality::{ImageMeasures, MEASURE_SIDE, measure};
use crate::core::data::dataset::Dataset;
use crate::core::data::sample_media::SampleMedia;
use crate::core::media::{
    DEFAULT_MAX_PIXELS, DecodeOptions, ExifOrientation, MAX_IN_MEMORY_BYTES, MediaError, MediaKind,
    ProblemKind, decode_image, encode_png, probe_audio, resize_to_fit,
};

/// How to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Images over this many pixels are refused from their header (decompression bombs).
    pub max_pixels: u64,
    /// Keep an upright PNG thumbnail whose long side is this.
    pub thumbnail_size: Option<u32>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            thumbnail_size: None,
        }
    }
}

/// What one sample is, as read once. Fields that do not apply (audio facts of an image, anything of
/// a file that could not be read) are `None`, as the contract's nulls.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanRecord {
    /// Image or audio; `None` for a text, or a file neither decoded as.
    pub kind: Option<MediaKind>,
    /// The sample's problem (several found in one file are joined into one detail).
    pub problem: Option<(ProblemKind, String)>,
    /// Content length in bytes.
    pub size_bytes: Option<u64>,
    /// XXH3-128 of the content (byte-identical duplicates).
    pub xxh3_128: Option<u128>,
    /// Upright width and height at full size.
    pub size: Option<(u32, u32)>,
    /// EXIF Orientation 1-8, when the image has a usable tag.
    pub orientation: Option<u8>,
    /// Perceptual hash, brightness, contrast and sharpness of the upright image.
    pub measures: Option<ImageMeasures>,
    /// Audio: length in seconds.
    pub duration_s: Option<f64>,
    /// Audio: samples per second.
    pub sample_rate: Option<u32>,
    /// Audio: channels.
    pub channels: Option<u32>,
    /// Upright PNG thumbnail, when asked for.
    pub thumbnail: Option<Vec<u8>>,
}

impl ScanRecord {
    /// The record of a listed file that was not there: only the problem is known.
    pub fn missing(name: &str, detail: String) -> Self {
        Self {
            kind: MediaKind::of(name),
            problem: Some((ProblemKind::Missing, detail)),
            ..Self::default()
        }
    }

    /// The `kind` column's value.
    pub fn kind_name(&self) -> Option<&'static str> {
        self.kind.map(|k| match k {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
        })
    }

    /// The `xxh3_128` column's value: 32 lowercase hex digits.
    pub fn xxh3_hex(&self) -> Option<String> {
        self.xxh3_128.map(|h| format!("{h:032x}"))
    }

    /// The `phash` column's value: 16 lowercase hex digits.
    pub fn phash_hex(&self) -> Option<String> {
        self.measures.map(|m| format!("{:016x}", m.phash))
    }

    /// Whether the image decoded (it then counts in the EXIF census).
    pub fn decoded_image(&self) -> bool {
        self.kind == Some(MediaKind::Image) && self.size.is_some()
    }

    fn fail(&mut self, e: MediaError) {
        self.add_problem(e.kind, e.detail);
    }

    fn add_problem(&mut self, kind: ProblemKind, detail: String) {
        match &mut self.problem {
            Some((_, d)) => {
                d.push_str("; ");
                d.push_str(&detail);
            }
            None => self.problem = Some((kind, detail)),
        }
    }
}

/// Scans one sample's bytes. `name` is its file name or identity (its extension tells audio from
/// image and notices a PNG named `.jpg`); `kind` is what the dataset says it is, if it knows.
pub fn scan_bytes(
    bytes: &[u8],
    name: &str,
    kind: Option<MediaKind>,
    options: &ScanOptions,
) -> ScanRecord {
    let mut record = ScanRecord {
        size_bytes: Some(bytes.len() as u64),
        ..ScanRecord::default()
    };
    // An empty file has the hash of no bytes (the contract's rule), so a scan row always says what
    // was read.
    record.xxh3_128 = Some(xxh3_128(bytes));
    if bytes.is_empty() {
        record.kind = kind.or_else(|| MediaKind::of(name));
        record.fail(MediaError::empty());
        return record;
    }
    let ext = Path::new(name).extension().and_then(|e| e.to_str());
    let kind = kind.or_else(|| MediaKind::of(name));
    match kind {
        Some(MediaKind::Audio) => {
            record.kind = Some(MediaKind::Audio);
            match probe_audio(Box::new(std::io::Cursor::new(bytes.to_vec())), ext, true) {
                Ok(info) => {
                    record.duration_s = info.duration_seconds;
                    record.sample_rate = Some(info.sample_rate);
                    record.channels = Some(info.channels);
                }
                Err(e) => record.fail(e),
            }
        }
        // Images, and files without a media extension (a manifest may list anything): by content.
        _ => scan_image(bytes, ext, kind, options, &mut record),
    }
    record
}

fn scan_image(
    bytes: &[u8],
    ext: Option<&str>,
    kind: Option<MediaKind>,
    options: &ScanOptions,
    record: &mut ScanRecord,
) {
    let decode = DecodeOptions {
        max_pixels: options.max_pixels,
        // A JPEG decodes at the smallest IDCT scale still covering what is measured and kept.
        target_size: Some(MEASURE_SIDE.max(options.thumbnail_size.unwrap_or(0))),
        apply_orientation: true,
    };
    match decode_image(bytes, ext, &decode) {
        Ok(image) => {
            record.kind = Some(MediaKind::Image);
            record.size = Some(image.upright_size());
            match &image.exif {
                ExifOrientation::Tag(o) => record.orientation = Some(o.value()),
                ExifOrientation::Absent => {}
                ExifOrientation::Ignored(reason) => {
                    record.add_problem(ProblemKind::Unsupported, reason.clone());
                }
            }
            if let Some(m) = &image.name_mismatch {
                record.add_problem(ProblemKind::Unsupported, m.clone());
            }
            record.measures = Some(measure(&image.pixels));
            if let Some(size) = options.thumbnail_size {
                match resize_to_fit(image.pixels, size).and_then(|p| encode_png(&p)) {
                    Ok(png) => record.thumbnail = Some(png),
                    Err(e) => record.fail(e),
                }
            }
        }
        Err(e) if kind.is_none() && e.kind == ProblemKind::Unreadable => {
            record.fail(MediaError::unsupported(format!(
                "neither an image nor an audio file by its name, and the content is not an image ({})",
                e.detail
            )));
        }
        Err(e) => {
            record.kind = kind;
            record.fail(e);
        }
    }
}

/// Scans sample `i` of `dataset` wherever it lives (a file, a cell of a Hugging Face shard, a
/// text), holding its bytes under `budget`.
pub fn scan_sample(
    dataset: &Dataset,
    i: usize,
    options: &ScanOptions,
    budget: &ByteBudget,
) -> ScanRecord {
    match dataset.media(i) {
        SampleMedia::File(path) => scan_file(&path, dataset.file(i), options, budget),
        SampleMedia::Text => scan_text(dataset.text(i)),
        embedded @ SampleMedia::Embedded { .. } => match embedded.read() {
            Ok(bytes) => {
                let _claim = budget.claim(bytes.len() as u64);
                scan_bytes(&bytes, "", dataset.media_kind(i), options)
            }
            Err(e) => {
                let mut record = ScanRecord {
                    kind: dataset.media_kind(i),
                    ..ScanRecord::default()
                };
                record.fail(e);
                record
            }
        },
    }
}

/// A text sample: a null text is `missing`, an empty one `empty`; its bytes are hashed for duplicates.
pub fn scan_text(text: Option<&str>) -> ScanRecord {
    let mut record = ScanRecord::default();
    match text {
        None => record.add_problem(ProblemKind::Missing, "the text is null".to_string()),
        Some("") => {
            record.size_bytes = Some(0);
            record.add_problem(ProblemKind::Empty, "the text is empty".to_string());
        }
        Some(t) => {
            record.size_bytes = Some(t.len() as u64);
            record.xxh3_128 = Some(xxh3_128(t.as_bytes()));
        }
    }
    record
}

/// A file sample, read whole when it fits the in-memory limit; a larger one is hashed as a stream
/// (audio is then probed from the file, an image refused).
pub fn scan_file(
    path: &Path,
    name: &str,
    options: &ScanOptions,
    budget: &ByteBudget,
) -> ScanRecord {
    let mut record = ScanRecord::default();
    let kind = MediaKind::of(name);
    let len = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            record.kind = kind;
            record.fail(MediaError::unreadable("this is a folder, not a file"));
            return record;
        }
        Ok(m) => m.len(),
        Err(e) => {
            let mut err = MediaError::from_io(&e);
            if err.kind == ProblemKind::Missing {
                err.detail = format!("no such file: {}", path.display());
            }
            record.kind = kind;
            record.fail(err);
            return record;
        }
    };
    if len > MAX_IN_MEMORY_BYTES {
        record.kind = kind;
        record.size_bytes = Some(len);
        match hash_stream(path) {
            Ok(h) => record.xxh3_128 = Some(h),
            Err(e) => record.fail(e),
        }
        match kind {
            Some(MediaKind::Audio) => match crate::core::media::probe_audio_file(path, true) {
                Ok(info) => {
                    record.duration_s = info.duration_seconds;
                    record.sample_rate = Some(info.sample_rate);
                    record.channels = Some(info.channels);
                }
                Err(e) => record.fail(e),
            },
            _ => record.fail(MediaError::too_large(len)),
        }
        return record;
    }
    // Held until the bytes (and the decode made from them) are dropped at the end of this call.
    let _claim = budget.claim(len);
    match std::fs::read(path) {
        Ok(bytes) => scan_bytes(&bytes, name, None, options),
        Err(e) => {
            record.kind = kind;
            record.fail(MediaError::from_io(&e));
            record
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_sample_is_empty_with_the_hash_of_no_bytes() {
        let r = scan_bytes(b"", "a.jpg", None, &ScanOptions::default());
        assert_eq!(r.problem.as_ref().map(|p| p.0), Some(ProblemKind::Empty));
        // The contract: an `empty` row has size 0 and the xxh3_128 of no bytes; kind by its name.
        assert_eq!(
            r.xxh3_hex().as_deref(),
            Some("99aa06d3014798d86001c324468d497f")
        );
        assert_eq!(r.size_bytes, Some(0));
        assert_eq!(r.kind, Some(MediaKind::Image));
    }

    #[test]
    fn noise_named_jpg_is_unreadable_but_hashed() {
        let r = scan_bytes(b"not a jpeg at all", "a.jpg", None, &ScanOptions::default());
        assert_eq!(r.kind, Some(MediaKind::Image));
        assert_eq!(
            r.problem.as_ref().map(|p| p.0),
            Some(ProblemKind::Unreadable)
        );
        assert_eq!(r.xxh3_128, Some(xxh3_128(b"not a jpeg at all")));
        assert!(r.measures.is_none() && r.size.is_none());
    }

    #[test]
    fn a_png_is_measured_and_thumbnailed() {
        // 40x20 RGB, left half black, right half white.
        let mut data = Vec::new();
        for _y in 0..20 {
            for x in 0..40 {
                let v = if x < 20 { 0 } else { 255 };
                data.extend([v, v, v]);
            }
        }
        let png = encode_png(&crate::core::media::Pixels::new(40, 20, 3, data).unwrap()).unwrap();
        let options = ScanOptions {
            thumbnail_size: Some(10),
            ..ScanOptions::default()
        };
        let r = scan_bytes(&png, "half.png", None, &options);
        assert_eq!(r.problem, None);
        assert_eq!(r.size, Some((40, 20)));
        let m = r.measures.unwrap();
        assert!((m.brightness - 0.5).abs() < 1e-9, "{m:?}");
        assert!((m.contrast - 0.5).abs() < 1e-9, "{m:?}");
        assert!(m.sharpness > 0.0);
        let thumb = r.thumbnail.unwrap();
        let decoded = decode_image(&thumb, Some("png"), &DecodeOptions::default()).unwrap();
        assert_eq!(decoded.upright_size(), (10, 5));
    }
}
