//! The app on Hugging Face datasets (fixtures made by `datasets`): embedded photos become tiles,
//! the inspector names the shard and row, and a text dataset shows its texts.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{harness_with, wait_for};

fn fixtures() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("hf");
    let made = Command::new("python3")
        .arg(root.join("tests/hf/make_hf_fixtures.py"))
        .arg(root.join("tests/data/exif-orientation-examples"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (dir, out)
}

#[test]
fn embedded_photos_open_and_the_inspector_names_shard_and_row() {
    let (_dir, hf) = fixtures();
    let mut h = harness_with(App::default(), 1400.0, 900.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(hf.join("images"), None, ctx);
    wait_for(&mut h, "18 of 18 shown");
    // Tiles are named by identity's last part (SPLIT/ROW).
    h.get_by_label("13").click();
    wait_for(&mut h, "Shard");
    h.get_by_label("data/train-00000-of-00001.parquet");
    // The decoded picture's facts come from the embedded bytes.
    wait_for(&mut h, "JPEG");
}

#[test]
fn a_text_dataset_shows_its_texts() {
    let (_dir, hf) = fixtures();
    let mut h = harness_with(App::default(), 1400.0, 900.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(hf.join("text"), None, ctx);
    wait_for(&mut h, "5 of 5 shown");
    h.get_by_label("1").click();
    // The inspector: the shard it lives in, and the whole text.
    wait_for(&mut h, "train.parquet");
    assert!(h.query_all_by_label_contains("dull and long").count() >= 1);
    h.get_by_label("Back to grid").click();
    h.run_steps(2);
    wait_for(&mut h, "5 of 5 shown");
}
