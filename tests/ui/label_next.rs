//! Label next in the app: the unlabelled samples the model is least sure about fill the grid, three
//! are labelled with a key (journaled edits), progress counts them, undo takes one back; and the
//! class-weights table under the class balance.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use eframe::egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{demo_copy, harness_with, until, wait_for};

/// A manifest over the demo photos with the seven landscape photos of `val` unlabelled.
fn manifest_with_an_unlabelled_pool(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("file_name,label\n");
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "jpg"))
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    files.sort();
    for f in files {
        let class = f.split('/').nth(1).unwrap();
        let label = if f.starts_with("val/landscape/") {
            ""
        } else {
            class
        };
        text.push_str(&format!("{f},{label}\n"));
    }
    common::write(dir, "manifest.csv", text)
}

#[test]
fn labelling_three_samples_from_the_batch_then_undo_and_the_class_weights() {
    let data = demo_copy();
    let manifest = manifest_with_an_unlabelled_pool(data.path());
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut()
        .open(manifest, Some(data.path().join("predictions.csv")), ctx);
    wait_for(&mut h, "42 of 42 shown");
    h.get_by_label("Label next").click();
    wait_for(
        &mut h,
        "Label next: labelled 0 of the next 7 (7 unlabelled candidates)",
    );
    // The batch is the unlabelled pool, least confident first.
    let batch: Vec<String> = h
        .state()
        .browse()
        .unwrap()
        .shown_files()
        .iter()
        .map(|f| f.to_string())
        .collect();
    assert_eq!(batch.len(), 7);
    assert!(
        batch.iter().all(|f| f.starts_with("val/landscape/")),
        "{batch:?}"
    );
    let scores: Vec<f64> = {
        let b = h.state().browse().unwrap();
        let r = b.label_next.as_ref().unwrap().ranking.as_ref().unwrap();
        r.samples.iter().map(|c| c.score).collect()
    };
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // Three labels with the key for the first class (landscape), each on the tile under the pointer.
    for f in &batch[..3] {
        let name = f.rsplit('/').next().unwrap();
        h.get_by_label(name).hover();
        h.run_steps(2);
        h.key_press(Key::Num1);
        h.run_steps(2);
    }
    wait_for(&mut h, "Label next: labelled 3 of the next 7");
    // Undo takes the last one back.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    wait_for(&mut h, "Label next: labelled 2 of the next 7");
    until(&mut h, "the edits saved", |h| {
        h.state()
            .browse()
            .and_then(|b| b.edits.as_ref())
            .is_some_and(|e| !e.saving() && e.state().pending.len() == 2)
    });
    h.get_by_label("Leave").click();
    wait_for(&mut h, "42 of 42 shown");

    // Class weights: 16 landscape (14 + the 2 labelled here) and 21 portrait: balanced weights
    // 37 / (2 * 16) and 37 / (2 * 21).
    h.get_by_label("Evaluation").click();
    wait_for(&mut h, "Class weights");
    wait_for(&mut h, &format!("{:.4}", 37.0 / 32.0));
    wait_for(&mut h, &format!("{:.4}", 37.0 / 42.0));
    h.get_by_label("Copy as Python dict");
    h.get_by_label("Copy as JSON");
}

/// The shown files, in grid order.
fn shown(h: &Harness<'static, App>) -> Vec<String> {
    h.state()
        .browse()
        .unwrap()
        .shown_files()
        .iter()
        .map(|f| f.to_string())
        .collect()
}

/// Sets the batch size and ranks again, as a user types it in the bar.
fn rank_again_with_batch(h: &mut Harness<'static, App>, batch: usize) {
    let ctx = h.ctx.clone();
    let b = h.state_mut().browse_mut().unwrap();
    b.label_next.as_mut().unwrap().batch = batch;
    b.open_label_next(&ctx);
}

#[test]
fn the_score_histogram_counts_every_candidate_and_shades_the_batch() {
    let data = demo_copy();
    let manifest = manifest_with_an_unlabelled_pool(data.path());
    // The seven unlabelled val landscapes, in file order, with p(landscape) chosen so the
    // least-confidence scores 1 - p are 0.03, 0.12, 0.13, 0.32, 0.36, 0.42, 0.48: by hand, the bins
    // 0.00-0.05: 1, 0.10-0.15: 2, 0.30-0.35: 1, 0.35-0.40: 1, 0.40-0.45: 1, 0.45-0.50: 1.
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut predictions = String::from("file_name,prob_landscape,prob_portrait\n");
    let mut pool = [0.97, 0.88, 0.87, 0.68, 0.64, 0.58, 0.52].into_iter();
    for line in text.lines().skip(1) {
        let (file, label) = line.split_once(',').unwrap();
        let p = if label.is_empty() {
            pool.next().unwrap()
        } else {
            0.9
        };
        predictions.push_str(&format!("{file},{p},{}\n", 1.0 - p));
    }
    assert!(pool.next().is_none());
    let predictions = common::write(data.path(), "hand.csv", predictions);
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(manifest, Some(predictions), ctx);
    wait_for(&mut h, "42 of 42 shown");
    h.get_by_label("Label next").click();
    wait_for(&mut h, "Label next: labelled 0 of the next 7");
    rank_again_with_batch(&mut h, 3);
    wait_for(&mut h, "Label next: labelled 0 of the next 3");
    wait_for(&mut h, "least-confidence scores of all 7 candidates");
    for (bar, n) in [
        ("scores 0.00–0.05", "1 candidate"),
        ("scores 0.05–0.10", "0 candidates"),
        ("scores 0.10–0.15", "2 candidates"),
        ("scores 0.15–0.20", "0 candidates"),
        ("scores 0.30–0.35", "1 candidate"),
        ("scores 0.35–0.40", "1 candidate"),
        ("scores 0.40–0.45", "1 candidate"),
        ("scores 0.45–0.50", "1 candidate"),
        ("scores 0.50–0.55", "0 candidates"),
        ("scores 0.95–1.00", "0 candidates"),
    ] {
        h.get_by_label(&format!("{bar}: {n}"));
    }
    // The batch is the three most uncertain: 0.36 to 0.48.
    wait_for(&mut h, "(shaded: this batch, 0.360–0.480)");
}

#[test]
fn skipping_near_duplicates_keeps_one_of_the_planted_copies_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let (manifest, predictions) = common::near_duplicate_fixture(dir.path());
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(manifest, Some(predictions), ctx);
    wait_for(&mut h, "8 of 8 shown");
    h.get_by_label("Label next").click();
    wait_for(&mut h, "Label next: labelled 0 of the next 6");
    rank_again_with_batch(&mut h, 3);
    wait_for(&mut h, "Label next: labelled 0 of the next 3");
    // Without the option, the batch is the three copies.
    assert_eq!(shown(&h), ["l1.jpg", "l3.jpg", "l6.jpg"]);
    h.get_by_label("Skip near-duplicates of samples already in the batch")
        .click();
    wait_for(&mut h, "skipped 2 near-duplicates");
    wait_for(&mut h, "Label next: labelled 0 of the next 3");
    // One copy, then the file that does not decode (never skipped), then the next photo.
    assert_eq!(shown(&h), ["l1.jpg", "broken.jpg", "p1.jpg"]);
    let skipped = h
        .state()
        .browse()
        .unwrap()
        .label_next
        .as_ref()
        .unwrap()
        .skipped;
    assert_eq!(skipped, Some(2));
}
