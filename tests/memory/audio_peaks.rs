//! Grid tiles of clips come from peaks folded while decoding: the same peaks as the full decode, and
//! a long clip's tile never holds its samples (before, a tile decoded up to 30 minutes into memory).
//! This binary holds only these tests, so the process's peak memory (VmHWM) measures the tile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use spotcheck::core::media::{
    DEFAULT_MAX_PIXELS, MAX_VIEW_SECONDS, decode_mono, waveform_peaks, waveform_peaks_streamed,
};
use spotcheck::ui::workers::decode_pool::{DecodeRequest, Picture, decode_request};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/formats")
        .join(name)
}

#[test]
fn streamed_peaks_equal_the_peaks_of_the_full_decode() {
    for name in ["tone.wav", "tone.flac", "tone.ogg", "tone.mp3"] {
        let clip = decode_mono(&fixture(name), MAX_VIEW_SECONDS).unwrap();
        // 4,000 samples: fewer columns than samples, uneven slices, and more columns than samples.
        for columns in [1, 7, 256, 5_000] {
            let full = waveform_peaks(&clip.samples, columns);
            let streamed =
                waveform_peaks_streamed(&fixture(name), MAX_VIEW_SECONDS, columns).unwrap();
            assert_eq!(streamed.facts.decoded, clip.samples.len(), "{name}");
            assert_eq!(streamed.peaks.len(), columns);
            if name.ends_with(".wav") || name.ends_with(".flac") {
                assert_eq!(streamed.peaks, full, "{name}, {columns} columns");
            } else {
                // Lossy headers may not give the length: bucketed peaks, close to the full ones.
                let worst = streamed
                    .peaks
                    .iter()
                    .zip(&full)
                    .map(|(a, b)| (a.0 - b.0).abs().max((a.1 - b.1).abs()))
                    .fold(0.0f32, f32::max);
                assert!(worst < 0.35, "{name}, {columns} columns: off by {worst}");
            }
        }
    }
}

/// A mono 16-bit WAV of `seconds` of a 50 Hz square-ish tone at `rate`.
fn long_wav(path: &Path, rate: u32, seconds: u32) {
    use std::io::Write as _;
    let n = rate * seconds;
    // Written in pieces, so making the file does not itself raise the peak memory measured after.
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut bytes = Vec::with_capacity(44);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + 2 * n).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&(2 * n).to_le_bytes());
    out.write_all(&bytes).unwrap();
    for i in 0..n {
        let v: i16 = if (i / (rate / 100)).is_multiple_of(2) {
            12_000
        } else {
            -12_000
        };
        out.write_all(&v.to_le_bytes()).unwrap();
    }
    out.flush().unwrap();
}

/// Peak resident memory of this process so far, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn a_long_clips_tile_does_not_hold_its_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.wav");
    // 20 minutes at 8 kHz: 9.6 M samples, 38 MB as f32 if held (the old tile path raised the peak
    // by about that much; the streamed one by well under 8 MB).
    long_wav(&path, 8_000, 20 * 60);
    let before = peak_rss();
    let request = DecodeRequest {
        sample: 0,
        media: spotcheck::core::data::sample_media::SampleMedia::File(path),
        size: 256,
        picture: Picture::Waveform,
        epoch: 0,
    };
    let tile = decode_request(&request, DEFAULT_MAX_PIXELS).unwrap();
    let grew = peak_rss().saturating_sub(before);
    assert_eq!((tile.width, tile.height), (256, 128));
    let audio = tile.audio.unwrap();
    assert!((audio.duration_seconds - 1200.0).abs() < 0.01);
    assert!(
        grew < 8 << 20,
        "the tile raised peak memory by {grew} bytes"
    );
}
