//! `thumbs`: one upright PNG thumbnail per image sample, written in parallel under an output folder
//! that mirrors the dataset's relative paths (`OUT/<sample path>.png`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::core::data::dataset::Dataset;
use crate::core::data::sample_media::SampleMedia;
use crate::core::media::{MediaError, MediaKind, encode_png, make_thumbnail};

/// How to make thumbnails.
#[derive(Debug, Clone, Copy)]
pub struct ThumbsOptions {
    /// Longest side of a thumbnail, in pixels (smaller images are not enlarged).
    pub size: u32,
    /// Images over this many pixels are refused from their header.
    pub max_pixels: u64,
}

/// A sample that got no thumbnail, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbFailure {
    /// The sample's path relative to the dataset root.
    pub file: String,
    /// Why it was skipped.
    pub error: MediaError,
}

/// What a `thumbs` run did.
#[derive(Debug, Clone, Default)]
pub struct ThumbsSummary {
    /// Thumbnails written.
    pub written: u64,
    /// Samples that are audio or text (no thumbnail is made for them).
    pub audio: u64,
    /// Samples that could not be made into a thumbnail, in dataset order.
    pub failures: Vec<ThumbFailure>,
}

/// Where the thumbnail of sample path `file` goes under `out`. Paths that would leave `out` (an
/// absolute path, or `..` in a manifest) are kept inside it: the leading `/` is dropped under
/// `_absolute/`, and each `..` segment becomes `_up`.
pub fn thumbnail_path(out: &Path, file: &str) -> PathBuf {
    let mut path = out.to_path_buf();
    if file.starts_with('/') {
        path.push("_absolute");
    }
    for segment in file.split('/').filter(|s| !s.is_empty() && *s != ".") {
        path.push(if segment == ".." { "_up" } else { segment });
    }
    let mut name = path.into_os_string();
    name.push(".png");
    PathBuf::from(name)
}

/// Writes a thumbnail for every image sample of `dataset` under `out`, in parallel over all cores.
/// `progress` counts samples done. A file that cannot be decoded or written is a failure, never a
/// placeholder image.
pub fn write_thumbnails(
    dataset: &Dataset,
    out: &Path,
    options: &ThumbsOptions,
    progress: Option<&AtomicU64>,
) -> ThumbsSummary {
    #[derive(Default)]
    /// One rayon worker's share of the outcome: thumbnails written, clips skipped, failures.
    struct PartialOutcome {
        written: u64,
        audio: u64,
        failures: Vec<(u32, MediaError)>,
    }
    let outcome = (0..dataset.len())
        .into_par_iter()
        .with_max_len(8)
        .fold(PartialOutcome::default, |mut t, i| {
            let file = dataset.file(i);
            let media = dataset.media(i);
            if dataset.media_kind(i) == Some(MediaKind::Audio) || matches!(media, SampleMedia::Text)
            {
                t.audio += 1;
            } else {
                match write_one(&media, file, &thumbnail_path(out, file), options) {
                    Ok(()) => t.written += 1,
                    Err(e) => t.failures.push((i as u32, e)),
                }
            }
            if let Some(p) = progress {
                p.fetch_add(1, Ordering::Relaxed);
            }
            t
        })
        .reduce(PartialOutcome::default, |mut a, mut b| {
            a.written += b.written;
            a.audio += b.audio;
            a.failures.append(&mut b.failures);
            a
        });
    let mut failures = outcome.failures;
    failures.sort_unstable_by_key(|(i, _)| *i);
    ThumbsSummary {
        written: outcome.written,
        audio: outcome.audio,
        failures: failures
            .into_iter()
            .map(|(i, error)| ThumbFailure {
                file: dataset.file(i as usize).to_string(),
                error,
            })
            .collect(),
    }
}

fn write_one(
    src: &SampleMedia,
    name: &str,
    dst: &Path,
    options: &ThumbsOptions,
) -> Result<(), MediaError> {
    let bytes = src.read()?;
    // Embedded media has no name to go by: its content decides.
    let ext = src
        .file()
        .and_then(|_| Path::new(name).extension())
        .and_then(|e| e.to_str());
    let thumb = make_thumbnail(&bytes, ext, options.size, options.max_pixels)?;
    drop(bytes);
    let png = encode_png(&thumb.pixels)?;
    let write_failed =
        |e: std::io::Error| MediaError::unreadable(format!("cannot write {}: {e}", dst.display()));
    // Written beside and renamed into place: an interrupted run never leaves half a PNG behind.
    let mut tmp = dst.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    // Most thumbnails go into a folder that exists already, so the folder is made only when the
    // write finds it missing (no `mkdir` per file).
    match std::fs::write(&tmp, &png) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent).map_err(write_failed)?;
            }
            std::fs::write(&tmp, &png).map_err(write_failed)?;
        }
        other => other.map_err(write_failed)?,
    }
    std::fs::rename(&tmp, dst).map_err(|e| {
        std::fs::remove_file(&tmp).ok();
        write_failed(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnail_paths_stay_inside_the_output_folder() {
        let out = Path::new("/out");
        assert_eq!(
            thumbnail_path(out, "train/cat/1.jpg"),
            Path::new("/out/train/cat/1.jpg.png")
        );
        assert_eq!(
            thumbnail_path(out, "/data/x.jpg"),
            Path::new("/out/_absolute/data/x.jpg.png")
        );
        assert_eq!(
            thumbnail_path(out, "../other/x.jpg"),
            Path::new("/out/_up/other/x.jpg.png")
        );
    }
}
