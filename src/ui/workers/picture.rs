//! What a decode hands the GUI: pixels for a texture and the facts the tile and inspector show.
//! Its own file so the decoder pool and the thumbnail store, which both speak it, need not import
//! each other.

use std::sync::Arc;

/// Which picture of a sample a decode makes. Images and clips each have two, named for what they
/// show (a clip has no "upright").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Picture {
    /// An image with its EXIF orientation applied: what a person expects to see.
    Upright,
    /// An image's pixels as stored, EXIF ignored: what a loader that ignores EXIF sees.
    AsStored,
    /// An audio clip's waveform (the inspector draws it over the spectrogram).
    Waveform,
    /// An audio clip's mel spectrogram (the tile toggle).
    Spectrogram,
}

impl Picture {
    /// Whether an image decode applies the EXIF orientation.
    pub fn applies_orientation(self) -> bool {
        self != Picture::AsStored
    }
}

/// Upright (or as-stored) RGBA pixels ready for a texture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes, not premultiplied.
    pub rgba: Arc<[u8]>,
    /// The file's full stored size (before orientation and scaling).
    pub stored_size: (u32, u32),
    /// The EXIF Orientation value (1–8) when the file has a valid one.
    pub orientation: Option<u8>,
    /// Why the orientation was ignored, when it was.
    pub orientation_note: Option<String>,
    /// The file's format by content.
    pub format: &'static str,
    /// The file's size in bytes.
    pub file_bytes: u64,
    /// For an audio clip (the pixels are its waveform): what it holds.
    pub audio: Option<AudioFacts>,
}

/// What the tile and the inspector say about a clip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioFacts {
    /// Length in seconds (decoded frames).
    pub duration_seconds: f64,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels in the file.
    pub channels: u32,
}

impl Eq for AudioFacts {}
