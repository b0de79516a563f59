//! One media file before decoding: which kind it is by name, the limits a read obeys, and why it
//! could not be used. Every other media file speaks these types.

use std::path::Path;

use serde::Serialize;

/// Media file extensions (lower case) that make a file a sample in a class-folder dataset.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff"];
/// Audio extensions (lower case).
pub const AUDIO_EXTENSIONS: &[&str] = &["wav", "flac", "ogg", "mp3"];

/// The default pixel limit: larger images are refused from their header (decompression bombs).
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// Files larger than this are not read into memory whole (images are refused; audio is streamed).
pub const MAX_IN_MEMORY_BYTES: u64 = 256 << 20;

/// What is wrong with a sample's file, as the `check` contract names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// The file does not exist (a manifest names it).
    Missing,
    /// The file has zero bytes.
    Empty,
    /// The bytes cannot be decoded (truncated, corrupt, not the format its name says).
    Unreadable,
    /// Decodable in principle but refused or only partly usable: over the pixel limit, an encoding
    /// the decoders do not handle, metadata that had to be ignored, a content type its name hides.
    Unsupported,
}

impl ProblemKind {
    /// The contract's name for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Empty => "empty",
            Self::Unreadable => "unreadable",
            Self::Unsupported => "unsupported",
        }
    }
}

/// Why a media file could not be used: its kind and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct MediaError {
    /// The contract's problem kind.
    pub kind: ProblemKind,
    /// What is wrong, specific enough to act on.
    pub detail: String,
}

impl MediaError {
    /// A file whose bytes cannot be decoded.
    pub fn unreadable(detail: impl Into<String>) -> Self {
        Self {
            kind: ProblemKind::Unreadable,
            detail: detail.into(),
        }
    }

    /// A file refused by a limit or using something the decoders do not handle.
    pub fn unsupported(detail: impl Into<String>) -> Self {
        Self {
            kind: ProblemKind::Unsupported,
            detail: detail.into(),
        }
    }

    /// A file with zero bytes.
    pub fn empty() -> Self {
        Self {
            kind: ProblemKind::Empty,
            detail: "0 bytes".into(),
        }
    }

    /// A file too large to read into memory whole.
    pub fn too_large(len: u64) -> Self {
        Self::unsupported(format!(
            "the file is {} MiB, over the {} MiB limit for one image",
            len >> 20,
            MAX_IN_MEMORY_BYTES >> 20
        ))
    }

    /// The error for a failed open or read of `path`.
    pub fn from_io(err: &std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::NotFound => Self {
                kind: ProblemKind::Missing,
                detail: "no such file".into(),
            },
            _ => Self::unreadable(format!("cannot read the file: {err}")),
        }
    }
}

/// Whether a sample is an image or an audio clip, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum MediaKind {
    /// One of the image extensions.
    Image,
    /// One of the audio extensions.
    Audio,
}

impl MediaKind {
    /// The kind a file name's extension says (case-insensitive), if it is media at all.
    pub fn of(name: &str) -> Option<Self> {
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())?
            .to_ascii_lowercase();
        if IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            Some(Self::Image)
        } else if AUDIO_EXTENSIONS.contains(&ext.as_str()) {
            Some(Self::Audio)
        } else {
            None
        }
    }
}

/// Reads a whole file for decoding, refusing empty files and files too large to hold in memory.
pub fn read_media_file(path: &Path) -> Result<Vec<u8>, MediaError> {
    let len = std::fs::metadata(path)
        .map_err(|e| MediaError::from_io(&e))?
        .len();
    if len == 0 {
        return Err(MediaError::empty());
    }
    if len > MAX_IN_MEMORY_BYTES {
        return Err(MediaError::too_large(len));
    }
    std::fs::read(path).map_err(|e| MediaError::from_io(&e))
}
