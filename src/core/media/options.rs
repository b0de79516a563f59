//! How an image is to be decoded: shared by the format decoders and their caller.

use super::file::DEFAULT_MAX_PIXELS;

/// How to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Images with more pixels than this are refused from their header.
    pub max_pixels: u64,
    /// When set, a JPEG may decode at a reduced scale (1/2, 1/4, 1/8) whose longest side still
    /// covers this; other formats decode at full size. The caller resizes to the exact size.
    pub target_size: Option<u32>,
    /// Apply the EXIF orientation (the upright image); off shows the stored pixels, as a loader that
    /// ignores EXIF sees them.
    pub apply_orientation: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            target_size: None,
            apply_orientation: true,
        }
    }
}
