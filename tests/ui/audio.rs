//! Audio under egui_kittest: a folder of clips (and a dataset mixing images and audio) opens into
//! waveform tiles, the inspector shows the duration, and Space toggles play and pause (into a null
//! output, so no sound device is needed): on a clip long enough that "paused" and "finished" differ,
//! the playhead holds still while paused and moves on from there after Space again.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use eframe::egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use spotcheck::ui::App;

use crate::common;

use common::ui::{demo, harness_with, wait_for};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/formats")
        .join(name)
}

#[test]
fn an_audio_dataset_opens_and_space_toggles_playback() {
    let dir = tempfile::tempdir().unwrap();
    for (class, name) in [
        ("beep", "tone.wav"),
        ("beep", "tone.flac"),
        ("hum", "tone.ogg"),
        ("hum", "tone.mp3"),
    ] {
        std::fs::create_dir_all(dir.path().join(class)).unwrap();
        std::fs::copy(fixture(name), dir.path().join(class).join(name)).unwrap();
    }
    // Images and audio in one dataset.
    std::fs::copy(
        demo().join("train/landscape/landscape_orientation3.jpg"),
        dir.path().join("hum/photo.jpg"),
    )
    .unwrap();
    let mut h = harness_with(App::default().with_null_audio(), 1400.0, 900.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(dir.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "5 of 5 shown");
    h.get_by_label("tone.wav").click();
    h.run_steps(2);
    wait_for(&mut h, "16000 Hz");
    // The duration in the details, and the player's time.
    h.get_by_label("0:00.2");
    h.get_by_label("0:00.0 / 0:00.2");
    h.get_by_label("Stopped");
    h.key_press(Key::Space);
    h.run_steps(2);
    wait_for(&mut h, "Playing");
    h.get_by_label("Pause");
    h.get_by_label("no audio output device (null output)");
    // The 0.2 s clip ends by itself.
    wait_for(&mut h, "Stopped");
    // Back in the grid, the tiles switch to spectrograms and back.
    h.key_press(Key::Escape);
    h.run_steps(2);
    h.get_by_label("Spectrogram").click();
    h.run_steps(2);
    assert!(h.state().browse().unwrap().spectrogram_tiles);
    h.get_by_label("Waveform").click();
    h.run_steps(2);
    // "Play on hover": a moment over a clip's tile plays it; moving off stops it.
    h.get_by_label("Play on hover").click();
    h.run_steps(2);
    h.get_by_label("tone.flac").hover();
    let start = std::time::Instant::now();
    while !h.state().is_playing_audio() {
        assert!(
            start.elapsed().as_secs() < 10,
            "the hover preview never played"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.run_steps(1);
    }
    h.get_by_label("Select all shown").hover();
    h.run_steps(2);
    assert!(!h.state().is_playing_audio(), "leaving the tile stops it");
    h.get_by_label("Play on hover").click();
    h.run_steps(2);
    // The photo in the same dataset still opens as a picture.
    h.get_by_label("photo.jpg").click();
    h.run_steps(2);
    wait_for(&mut h, "EXIF orientation");
}

/// A mono 16-bit WAV of `seconds` of a 440 Hz tone at 8 kHz.
fn long_wav(path: &Path, seconds: u32) {
    let rate = 8000u32;
    let samples: Vec<i16> = (0..rate * seconds)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            (8000.0 * (t * 440.0 * std::f64::consts::TAU).sin()) as i16
        })
        .collect();
    let data_len = u32::try_from(samples.len() * 2).unwrap();
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// The playhead in seconds, read from the inspector's "M:SS.d / 0:10.0" label.
fn playhead(h: &Harness<'static, App>) -> f64 {
    let node = h.get_by_label_contains(" / 0:10.0");
    let node = node.accesskit_node();
    // A plain label's text is the accesskit node's value.
    let label = node.label().or_else(|| node.value()).unwrap();
    let at = label.split(" / ").next().unwrap();
    let (m, s) = at.split_once(':').unwrap();
    m.parse::<f64>().unwrap() * 60.0 + s.parse::<f64>().unwrap()
}

/// Steps the UI until the playhead passes `seconds`, or fails after 10 s.
fn wait_past(h: &mut Harness<'static, App>, seconds: f64) -> f64 {
    let start = std::time::Instant::now();
    loop {
        h.run_steps(1);
        let at = playhead(h);
        if at > seconds {
            return at;
        }
        assert!(
            start.elapsed().as_secs() < 10,
            "the playhead stayed at {at} s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn space_pauses_a_long_clip_where_it_is_and_resumes_from_there() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tone")).unwrap();
    long_wav(&dir.path().join("tone/long.wav"), 10);
    let mut h = harness_with(App::default().with_null_audio(), 1400.0, 900.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(dir.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "1 of 1 shown");
    h.get_by_label("long.wav").click();
    h.run_steps(2);
    wait_for(&mut h, "0:00.0 / 0:10.0");
    h.key_press(Key::Space);
    h.run_steps(2);
    wait_for(&mut h, "Playing");
    wait_past(&mut h, 0.3);
    h.key_press(Key::Space);
    h.run_steps(2);
    wait_for(&mut h, "Stopped");
    assert!(!h.state().is_playing_audio(), "paused");
    let paused_at = playhead(&h);
    assert!(
        paused_at > 0.2 && paused_at < 9.0,
        "paused mid-clip, not finished: {paused_at}"
    );
    std::thread::sleep(std::time::Duration::from_millis(600));
    h.run_steps(3);
    assert_eq!(
        playhead(&h),
        paused_at,
        "the playhead holds still while paused"
    );
    h.key_press(Key::Space);
    h.run_steps(2);
    wait_for(&mut h, "Playing");
    let resumed = wait_past(&mut h, paused_at + 0.2);
    assert!(
        resumed < paused_at + 5.0,
        "it moves on from where it paused: {paused_at} -> {resumed}"
    );
}
