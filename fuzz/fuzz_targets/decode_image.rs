//! The image + EXIF path on arbitrary bytes: decode (full and thumbnail scale, orientation
//! applied), EXIF read from a container and from a raw block. Any panic, hang or runaway
//! allocation is a bug; errors are the expected outcome for almost every input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spotcheck::core::media::{
    DecodeOptions, decode_image, encode_png, make_thumbnail, read_orientation,
};

/// Small enough that a fuzzer-made header cannot make one decode slow, large enough for real files.
const MAX_PIXELS: u64 = 4_000_000;

fuzz_target!(|data: &[u8]| {
    let options = DecodeOptions {
        max_pixels: MAX_PIXELS,
        ..DecodeOptions::default()
    };
    if let Ok(image) = decode_image(data, Some("jpg"), &options) {
        // Full scale with orientation applied: the pixels are the upright size, and whole.
        let (w, h) = image.upright_size();
        assert_eq!((image.pixels.width, image.pixels.height), (w, h));
        let expected = w as usize * h as usize * usize::from(image.pixels.channels);
        assert_eq!(image.pixels.data.len(), expected);
    }
    if let Ok(thumb) = make_thumbnail(data, None, 64, MAX_PIXELS) {
        assert!(thumb.pixels.width <= 64 && thumb.pixels.height <= 64);
        let _ = encode_png(&thumb.pixels);
    }
    let _ = read_orientation(data, true);
    let _ = read_orientation(data, false);
});
