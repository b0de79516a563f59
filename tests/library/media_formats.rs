//! Every encoding the decoder must handle gives the same picture: greyscale, palette, RGBA, 16-bit
//! PNG and TIFF, progressive, greyscale and CMYK JPEG, WebP, GIF, BMP; and every audio format
//! probes to the right facts. Fixtures: tests/data/formats (scripts/make_media_fixtures.py).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use spotcheck::core::media::{DecodeOptions, probe_audio_file, read_image_file};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/formats")
        .join(name)
}

/// (grey level of the dark top-left corner, of the middle of the bottom row) after RGBA conversion.
fn probe_pixels(name: &str) -> (u8, u8, u8) {
    let image = read_image_file(&fixture(name), &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        (image.pixels.width, image.pixels.height),
        (48, 32),
        "{name}"
    );
    assert_eq!(image.stored_size, (48, 32), "{name}");
    let rgba = image.pixels.to_rgba();
    let grey = |x: usize, y: usize| {
        let p = &rgba[(y * 48 + x) * 4..][..3];
        ((u16::from(p[0]) + u16::from(p[1]) + u16::from(p[2])) / 3) as u8
    };
    let alpha = rgba[(20 * 48 + 45) * 4 + 3];
    (grey(3, 3), grey(24, 28), alpha)
}

#[test]
fn every_image_encoding_decodes_to_the_same_picture() {
    let (corner, middle, _) = probe_pixels("rgb.png");
    assert!(corner < 30 && middle > 100, "reference: {corner} {middle}");
    for name in [
        "grey.png",
        "palette.png",
        "rgba.png",
        "grey16.png",
        "grey16.tif",
        "rgb.tif",
        "progressive.jpg",
        "grey.jpg",
        "cmyk.jpg",
        "rgb.webp",
        "palette.gif",
        "rgb.bmp",
    ] {
        let (c, m, alpha) = probe_pixels(name);
        assert!(c < 40, "{name}: dark corner at the top left, got {c}");
        assert!(m.abs_diff(middle) < 25, "{name}: middle {m} vs {middle}");
        let transparent = name == "rgba.png";
        assert_eq!(alpha == 0, transparent, "{name}: alpha {alpha}");
    }
}

#[test]
fn every_audio_format_probes_and_decodes() {
    for name in ["tone.wav", "tone.flac", "tone.ogg", "tone.mp3"] {
        let info = probe_audio_file(&fixture(name), true).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.sample_rate, 16_000, "{name}");
        assert_eq!(info.channels, 1, "{name}");
        let d = info.duration_seconds.unwrap();
        // MP3 and Vorbis add encoder padding.
        assert!((0.24..0.35).contains(&d), "{name}: {d} s");
    }
    let header_only = probe_audio_file(&fixture("tone.wav"), false).unwrap();
    assert_eq!(header_only.duration_seconds, Some(0.25));
    assert_eq!(header_only.codec, "pcm_s16le");
}
