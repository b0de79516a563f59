//! Saliency overlays: one heatmap per sample (a greyscale PNG or a `.npy` float array) under an
//! overlay folder, found by the sample's identity, read strictly, resized to the upright picture and
//! coloured with inferno. egui-free: the GUI reads them on a worker and draws them over the
//! inspector's picture.
//!
//! Where a sample's overlay is: for identity `train/cat/img1.jpg` under `DIR`, the first of
//! `DIR/train/cat/img1.jpg.npy`, `DIR/train/cat/img1.jpg.png` (the extension appended),
//! `DIR/train/cat/img1.npy`, `DIR/train/cat/img1.png` (the extension replaced) that exists: the
//! appended name wins, and `.npy` wins over `.png` under the same name.

mod colour_map;
mod npy;

use std::path::{Path, PathBuf};

pub use colour_map::{INFERNO, colourise, value_range};
pub use npy::read_npy;

use super::{DecodeOptions, decode_image};

/// Overlay files larger than this are refused unread (a 8192 x 8192 float64 map is 512 MiB; the
/// value limit below stops far earlier).
pub const MAX_OVERLAY_BYTES: u64 = 300 << 20;

/// Values (pixels) an overlay may hold: 8192 x 8192.
pub const MAX_OVERLAY_VALUES: u64 = 8192 * 8192;

/// A heatmap: `height` rows of `width` values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// `width * height` values; PNG and `|u1` values are scaled to 0..=1.
    pub values: Vec<f32>,
}

/// Why an overlay cannot be drawn. `file` is the overlay's name under the overlay folder, as the
/// inspector shows it.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    /// The file could not be read.
    #[error("overlay {file}: {source}")]
    Read {
        /// The overlay's name.
        file: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// Larger than [`MAX_OVERLAY_BYTES`].
    #[error("overlay {file}: {bytes} bytes, more than an overlay may have ({MAX_OVERLAY_BYTES})")]
    TooLarge {
        /// The overlay's name.
        file: String,
        /// Its size.
        bytes: u64,
    },
    /// A `.npy` name without the `.npy` magic.
    #[error("overlay {file}: not a .npy file (no \\x93NUMPY at the start)")]
    NotNpy {
        /// The overlay's name.
        file: String,
    },
    /// A `.npy` header that cannot be read.
    #[error("overlay {file}: unreadable .npy header: {why}")]
    Header {
        /// The overlay's name.
        file: String,
        /// What was wrong.
        why: String,
    },
    /// A well-formed `.npy` of the wrong kind (dtype, order, number of dimensions).
    #[error("overlay {file}: not a 2-D float array ({found})")]
    NotTwoDFloat {
        /// The overlay's name.
        file: String,
        /// What it is instead.
        found: String,
    },
    /// The data does not fit the header, or is too large.
    #[error("overlay {file}: {why}")]
    Data {
        /// The overlay's name.
        file: String,
        /// What was wrong.
        why: String,
    },
    /// A `.png` that does not decode.
    #[error("overlay {file}: not a readable PNG ({why})")]
    Png {
        /// The overlay's name.
        file: String,
        /// The decoder's reason.
        why: String,
    },
}

/// The names sample `identity`'s overlay may have under the overlay folder, in precedence order;
/// none for an identity that would leave the folder (`..`, an absolute path).
pub fn overlay_candidates(identity: &str) -> Vec<String> {
    let escapes = identity.starts_with('/')
        || identity
            .split(['/', '\\'])
            .any(|part| part == ".." || part.contains(':'));
    if identity.is_empty() || escapes {
        return Vec::new();
    }
    let mut out = vec![format!("{identity}.npy"), format!("{identity}.png")];
    let (folder, name) = identity.rsplit_once('/').unwrap_or(("", identity));
    if let Some((stem, _)) = name.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) {
        let base = if folder.is_empty() {
            stem.to_string()
        } else {
            format!("{folder}/{stem}")
        };
        out.push(format!("{base}.npy"));
        out.push(format!("{base}.png"));
    }
    out
}

/// The overlay of sample `identity` under `dir`: its path and its name (the first candidate that
/// is a file), or `None`.
pub fn find_overlay(dir: &Path, identity: &str) -> Option<(PathBuf, String)> {
    overlay_candidates(identity).into_iter().find_map(|name| {
        let path = dir.join(&name);
        path.is_file().then_some((path, name))
    })
}

/// Reads the overlay at `path` (a `.npy` by its extension, else a PNG or any image the decoder
/// knows, taken as grey); `file` names it in errors.
pub fn read_overlay(path: &Path, file: &str) -> Result<Heatmap, OverlayError> {
    let read_err = |source| OverlayError::Read {
        file: file.to_string(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(read_err)?.len();
    if bytes > MAX_OVERLAY_BYTES {
        return Err(OverlayError::TooLarge {
            file: file.to_string(),
            bytes,
        });
    }
    let data = std::fs::read(path).map_err(read_err)?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        return read_npy(&data, file);
    }
    let options = DecodeOptions {
        max_pixels: MAX_OVERLAY_VALUES,
        target_size: None,
        apply_orientation: false,
    };
    let decoded = decode_image(&data, Some("png"), &options).map_err(|e| OverlayError::Png {
        file: file.to_string(),
        why: e.to_string(),
    })?;
    let p = decoded.pixels;
    let channels = usize::from(p.channels.max(1));
    let values = p
        .data
        .chunks_exact(channels)
        .map(|px| match px {
            [r, g, b, ..] => {
                (0.299 * f32::from(*r) + 0.587 * f32::from(*g) + 0.114 * f32::from(*b)) / 255.0
            }
            [grey, ..] => f32::from(*grey) / 255.0,
            [] => 0.0,
        })
        .collect();
    Ok(Heatmap {
        width: p.width,
        height: p.height,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_put_the_appended_extension_first_then_the_replaced_one() {
        assert_eq!(
            overlay_candidates("train/cat/img1.jpg"),
            vec![
                "train/cat/img1.jpg.npy",
                "train/cat/img1.jpg.png",
                "train/cat/img1.npy",
                "train/cat/img1.png"
            ]
        );
        assert_eq!(overlay_candidates("a.jpg")[2], "a.npy");
        assert_eq!(
            overlay_candidates("val/17"),
            vec!["val/17.npy", "val/17.png"]
        );
        assert!(overlay_candidates("../etc/passwd").is_empty());
        assert!(overlay_candidates("/abs.jpg").is_empty());
    }

    #[test]
    fn find_takes_the_first_candidate_that_exists() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("train/cat")).unwrap();
        assert_eq!(find_overlay(dir.path(), "train/cat/img1.jpg"), None);
        std::fs::write(dir.path().join("train/cat/img1.png"), b"x").unwrap();
        let found = find_overlay(dir.path(), "train/cat/img1.jpg").unwrap();
        assert_eq!(found.1, "train/cat/img1.png");
        std::fs::write(dir.path().join("train/cat/img1.jpg.png"), b"x").unwrap();
        let found = find_overlay(dir.path(), "train/cat/img1.jpg").unwrap();
        assert_eq!(found.1, "train/cat/img1.jpg.png");
    }

    #[test]
    fn a_grey_png_reads_as_values_in_zero_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.png");
        image::GrayImage::from_raw(2, 1, vec![0, 255])
            .unwrap()
            .save(&path)
            .unwrap();
        let map = read_overlay(&path, "m.png").unwrap();
        assert_eq!((map.width, map.height, map.values), (2, 1, vec![0.0, 1.0]));
        std::fs::write(&path, b"not a png").unwrap();
        let e = read_overlay(&path, "m.png").unwrap_err().to_string();
        assert!(e.starts_with("overlay m.png: not a readable PNG"), "{e}");
    }
}
