//! Audio under egui_kittest: a folder of clips (and a dataset mixing images and audio) opens into
//! waveform tiles, the inspector shows the duration, and Space toggles play and pause (into a null
//! output, so no sound device is needed).
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use eframe::egui::Key;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

mod common;

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
    h.key_press(Key::Space);
    h.run_steps(2);
    wait_for(&mut h, "Stopped");
    h.get_by_label("no audio output device (null output)");
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
