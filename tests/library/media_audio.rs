//! Audio for the grid and the inspector: clips decoded to mono with the right duration (exact for
//! WAV and FLAC, within the encoder's padding for MP3 and Vorbis), a 440 Hz tone peaking in the mel
//! band around 440 Hz, the tile and inspector pictures, and bad files giving a clear reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use spotcheck::core::media::{DEFAULT_MAX_PIXELS, MAX_VIEW_SECONDS, decode_mono, mel_spectrogram};
use spotcheck::ui::workers::decode_pool::{DecodeRequest, Picture, decode_request};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/formats")
        .join(name)
}

/// The fixtures are 0.25 s of 440 Hz at 16 kHz (scripts/make_media_fixtures.py).
const SECONDS: f64 = 0.25;

#[test]
fn durations_are_exact_for_wav_and_flac_and_within_the_padding_for_lossy_codecs() {
    for name in ["tone.wav", "tone.flac"] {
        let clip = decode_mono(&fixture(name), MAX_VIEW_SECONDS).unwrap();
        assert_eq!(clip.sample_rate, 16_000);
        assert!(
            (clip.duration_seconds() - SECONDS).abs() < 0.001,
            "{name}: {}",
            clip.duration_seconds()
        );
    }
    // MP3: LAME's encoder delay (576) + the decoder's (529) + up to one frame (576 samples at 16 kHz,
    // MPEG-2 layer III); Vorbis: up to one block (2048 samples at most at this rate).
    for (name, slack) in [
        ("tone.mp3", (576.0 + 529.0 + 576.0) / 16_000.0),
        ("tone.ogg", 2048.0 / 16_000.0),
    ] {
        let clip = decode_mono(&fixture(name), MAX_VIEW_SECONDS).unwrap();
        let d = clip.duration_seconds();
        assert!(
            d >= SECONDS - 0.001 && d <= SECONDS + slack,
            "{name}: {d} s"
        );
    }
}

#[test]
fn the_tone_fixtures_peak_in_the_440_hz_mel_band() {
    for name in ["tone.wav", "tone.flac", "tone.ogg", "tone.mp3"] {
        let clip = decode_mono(&fixture(name), MAX_VIEW_SECONDS).unwrap();
        let mel = mel_spectrogram(&clip.samples, clip.sample_rate, 1024, 64, 256);
        let b = mel.loudest_band();
        assert!(
            mel.edges_hz[b] < 440.0 && 440.0 < mel.edges_hz[b + 2],
            "{name}: loudest band {b} spans {:.0}-{:.0} Hz",
            mel.edges_hz[b],
            mel.edges_hz[b + 2]
        );
    }
}

fn request(path: PathBuf, size: u32) -> DecodeRequest {
    DecodeRequest {
        sample: 0,
        media: spotcheck::core::data::sample_media::SampleMedia::File(path),
        size,
        picture: Picture::Waveform,
        epoch: 0,
    }
}

#[test]
fn a_tile_is_the_waveform_and_the_inspector_adds_the_spectrogram() {
    let tile = decode_request(&request(fixture("tone.wav"), 256), DEFAULT_MAX_PIXELS).unwrap();
    assert_eq!((tile.width, tile.height), (256, 128));
    let audio = tile.audio.unwrap();
    assert_eq!((audio.sample_rate, audio.channels), (16_000, 1));
    assert!((audio.duration_seconds - SECONDS).abs() < 0.001);
    let mut spectrogram = request(fixture("tone.wav"), 256);
    spectrogram.picture = Picture::Spectrogram;
    let spec = decode_request(&spectrogram, DEFAULT_MAX_PIXELS).unwrap();
    assert_eq!((spec.width, spec.height), (256, 128));
    assert_ne!(
        spec.rgba, tile.rgba,
        "the spectrogram tile is another picture"
    );
    let big = decode_request(&request(fixture("tone.flac"), 2048), DEFAULT_MAX_PIXELS).unwrap();
    assert_eq!((big.width, big.height), (1600, 700));
    assert_eq!(big.rgba.len(), 1600 * 700 * 4);
}

fn reason(path: &Path) -> String {
    decode_request(&request(path.to_path_buf(), 256), DEFAULT_MAX_PIXELS)
        .expect_err("a bad file is an error")
        .to_string()
}

#[test]
fn bad_audio_files_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let noise = dir.path().join("noise.wav");
    let bytes: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&noise, bytes).unwrap();
    assert!(
        reason(&noise).contains("not a readable audio file"),
        "{}",
        reason(&noise)
    );

    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    assert!(reason(&empty).contains("0 bytes"), "{}", reason(&empty));

    let flac = std::fs::read(fixture("tone.flac")).unwrap();
    let cut = dir.path().join("cut.flac");
    std::fs::write(&cut, &flac[..flac.len() / 3]).unwrap();
    assert!(reason(&cut).contains("truncated"), "{}", reason(&cut));

    // A 16 MiB ID3v2 tag in front of the stream: skipped (or refused), never a hang or a panic.
    let mp3 = std::fs::read(fixture("tone.mp3")).unwrap();
    let size: u32 = 16 << 20;
    let syncsafe = [
        (size >> 21) as u8 & 0x7f,
        (size >> 14) as u8 & 0x7f,
        (size >> 7) as u8 & 0x7f,
        size as u8 & 0x7f,
    ];
    let mut tagged = b"ID3\x03\x00\x00".to_vec();
    tagged.extend_from_slice(&syncsafe);
    tagged.resize(10 + size as usize, 0);
    tagged.extend_from_slice(&mp3);
    let big_tag = dir.path().join("tagged.mp3");
    std::fs::write(&big_tag, tagged).unwrap();
    let started = std::time::Instant::now();
    let tile =
        decode_request(&request(big_tag, 256), DEFAULT_MAX_PIXELS).expect("the tag is skipped");
    assert!(tile.audio.unwrap().duration_seconds > 0.2);
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn a_long_clip_fills_in_while_it_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.wav");
    // 10 minutes at 8 kHz, 16-bit mono: a tone that rises, written by hand as a WAV.
    let rate = 8000u32;
    let n = rate as usize * 600;
    let mut bytes = Vec::with_capacity(44 + n * 2);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + n as u32 * 2).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&(n as u32 * 2).to_le_bytes());
    for i in 0..n {
        let v = ((i as f64 * 0.05).sin() * 12_000.0) as i16;
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    let mut partials = Vec::new();
    let full = spotcheck::ui::workers::decode_pool::audio_picture(
        &request(path, 2048),
        std::time::Duration::from_millis(1),
        &mut |t| partials.push(t),
    )
    .unwrap();
    assert!((full.audio.unwrap().duration_seconds - 600.0).abs() < 0.001);
    assert!(!partials.is_empty(), "a picture was sent while decoding");
    // The first picture has the waveform only at the left; the last complete one everywhere.
    let first = &partials[0];
    assert_eq!((first.width, first.height), (full.width, full.height));
    assert!(
        (first.audio.unwrap().duration_seconds - 600.0).abs() < 0.001,
        "the length comes from the header"
    );
    let mid_row = (150 * first.width * 4) as usize;
    let right_edge = mid_row + ((first.width - 2) * 4) as usize;
    assert_eq!(
        &first.rgba[right_edge..right_edge + 3],
        &[24, 26, 30],
        "not decoded yet: background"
    );
    assert_ne!(
        &full.rgba[right_edge..right_edge + 3],
        &[24, 26, 30],
        "decoded: waveform"
    );
}
