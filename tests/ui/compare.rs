//! Several models in the app, on tests/data/compare (model_a: probabilities in sixteenths with
//! ties; model_b: logits, 12 samples missing): the 2×2 cell "A right, B wrong" shows exactly the
//! samples a hand computation from the CSV files finds; the model selector changes the confusion
//! matrix, which counts only the samples both models predict; tiles name both predictions; with one
//! model the panel says how to add a second.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{demo, demo_with_models, harness_with, wait_for};

const CLASSES: [&str; 4] = ["ant", "bee", "cat", "dog"];

/// The fixture copied into a temporary folder (the app may write a journal beside a manifest).
fn fixture() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/compare");
    for name in ["manifest.csv", "model_a.csv", "model_b.csv"] {
        std::fs::copy(src.join(name), dir.path().join(name)).unwrap();
    }
    let p = dir.path().to_path_buf();
    (
        dir,
        p.join("manifest.csv"),
        p.join("model_a.csv"),
        p.join("model_b.csv"),
    )
}

/// Rows of a CSV file without quoting (the fixture has none), header skipped.
fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

/// Per file: (predicted class, confidence), by hand: numpy's argmax (the lowest index wins a tie)
/// of the probabilities, or of the softmax of the logits.
fn predictions(path: &Path, logits: bool) -> BTreeMap<String, (usize, f64)> {
    let mut out = BTreeMap::new();
    for row in rows(path) {
        let values: Vec<f64> = row[1..].iter().map(|v| v.parse().unwrap()).collect();
        let probs: Vec<f64> = if logits {
            let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let exp: Vec<f64> = values.iter().map(|v| (v - max).exp()).collect();
            let sum: f64 = exp.iter().sum();
            exp.iter().map(|e| e / sum).collect()
        } else {
            let sum: f64 = values.iter().sum();
            values.iter().map(|v| v / sum).collect()
        };
        let mut best = (0, f64::NEG_INFINITY);
        for (k, &p) in probs.iter().enumerate() {
            if p > best.1 {
                best = (k, p);
            }
        }
        out.entry(row[0].clone()).or_insert(best);
    }
    out
}

/// Per labelled file: its class.
fn labels(manifest: &Path) -> BTreeMap<String, usize> {
    rows(manifest)
        .into_iter()
        .filter_map(|r| {
            let k = CLASSES.iter().position(|c| *c == r[1])?;
            Some((r[0].clone(), k))
        })
        .collect()
}

/// The two models open, every sample shown.
fn open_two() -> (tempfile::TempDir, Harness<'static, App>) {
    let (dir, manifest, a, b) = fixture();
    let mut h = harness_with(App::default(), 1800.0, 1100.0);
    let ctx = h.ctx.clone();
    h.state_mut().open_models(manifest, vec![a, b], None, ctx);
    wait_for(&mut h, "320 of 320 shown");
    (dir, h)
}

/// Steps until `check` holds, then a few frames more so the layout (grid column widths, which
/// egui measures from the frame before) has settled before anything is clicked.
fn until(
    h: &mut Harness<'static, App>,
    what: &str,
    check: impl Fn(&Harness<'static, App>) -> bool,
) {
    common::ui::until_within(h, what, Duration::from_secs(30), check);
    h.run_steps(3);
}

#[test]
fn the_a_right_b_wrong_cell_shows_exactly_those_samples() {
    let (dir, mut h) = open_two();
    let (pa, pb) = (
        predictions(&dir.path().join("model_a.csv"), false),
        predictions(&dir.path().join("model_b.csv"), true),
    );
    let truth = labels(&dir.path().join("manifest.csv"));
    let cell = |want_a: bool, want_b: bool| -> BTreeSet<String> {
        truth
            .iter()
            .filter_map(|(file, &label)| {
                let (a, b) = (pa.get(file)?, pb.get(file)?);
                ((a.0 == label) == want_a && (b.0 == label) == want_b).then(|| file.clone())
            })
            .collect()
    };
    let a_only = cell(true, false);
    // statsmodels' table in reference.json says the same.
    assert_eq!(a_only.len(), 71);

    h.get_by_label("Compare").click();
    until(&mut h, "the comparison", |h| {
        h.query_by_label_contains("A right, B wrong: ").is_some()
    });
    h.get_by_label(&format!("A right, B wrong: {}", a_only.len()))
        .click();
    h.run_steps(2);
    let shown: BTreeSet<String> = h
        .state()
        .browse()
        .unwrap()
        .shown_files()
        .iter()
        .map(|f| f.to_string())
        .collect();
    assert_eq!(shown, a_only);
    wait_for(
        &mut h,
        "Showing the samples model_a gets right and model_b wrong: 71 of 320",
    );

    // Swapped, the same cell is the samples only model_b gets right.
    h.get_by_label("Swap").click();
    let b_only = cell(false, true);
    until(&mut h, "the swapped comparison", |h| {
        h.query_by_label(&format!("A right, B wrong: {}", b_only.len()))
            .is_some()
    });
    h.get_by_label(&format!("A right, B wrong: {}", b_only.len()))
        .click();
    h.run_steps(2);
    let shown: BTreeSet<String> = h
        .state()
        .browse()
        .unwrap()
        .shown_files()
        .iter()
        .map(|f| f.to_string())
        .collect();
    assert_eq!(shown, b_only);
    // McNemar on 71 vs 46 (statsmodels: reference.json).
    wait_for(&mut h, "McNemar exact p = 0.0261");
}

#[test]
fn tiles_name_both_predictions() {
    let (dir, mut h) = open_two();
    let pa = predictions(&dir.path().join("model_a.csv"), false);
    let pb = predictions(&dir.path().join("model_b.csv"), true);
    let file = "img/0001.jpg";
    let (a, b) = (pa[file], pb[file]);
    let want = format!(
        "A: {} {:.2} · B: {} {:.2}",
        CLASSES[a.0], a.1, CLASSES[b.0], b.1
    );
    h.run_steps(2);
    let value = h.get_by_label("0001.jpg").value().unwrap();
    assert!(value.contains(&want), "{value:?} lacks {want:?}");
}

/// `true TRUE, predicted PRED: N` over the samples both models predict, for model `p`.
fn confusion(
    p: &BTreeMap<String, (usize, f64)>,
    other: &BTreeMap<String, (usize, f64)>,
    truth: &BTreeMap<String, usize>,
) -> BTreeMap<(usize, usize), u64> {
    let mut cm = BTreeMap::new();
    for (file, &label) in truth {
        if let (Some(x), Some(_)) = (p.get(file), other.get(file)) {
            *cm.entry((label, x.0)).or_insert(0) += 1;
        }
    }
    cm
}

#[test]
fn the_model_selector_changes_the_confusion_matrix() {
    let (dir, mut h) = open_two();
    let pa = predictions(&dir.path().join("model_a.csv"), false);
    let pb = predictions(&dir.path().join("model_b.csv"), true);
    let truth = labels(&dir.path().join("manifest.csv"));
    let (cm_a, cm_b) = (confusion(&pa, &pb, &truth), confusion(&pb, &pa, &truth));
    // A cell the two models fill differently.
    let (&(t, p), &n_a) = cm_a
        .iter()
        .find(|(k, n)| cm_b.get(k).copied().unwrap_or(0) != **n)
        .unwrap();
    let n_b = cm_b.get(&(t, p)).copied().unwrap_or(0);
    let name = |n: u64| format!("true {}, predicted {}: {n}", CLASSES[t], CLASSES[p]);

    h.get_by_label("Evaluation").click();
    h.run_steps(2);
    h.get_by_label("Confusion matrix").click();
    until(&mut h, "model_a's matrix", |h| {
        h.query_by_label(&name(n_a)).is_some()
    });
    // Only the 302 samples both predict count (model_a alone predicts 314 labelled samples).
    wait_for(&mut h, "on 302 samples");
    // A click on a cell shows its samples among those both predict, as many as the cell says.
    let all_a = confusion(&pa, &pa, &truth);
    let (&(t2, p2), &n_common) = cm_a
        .iter()
        .find(|(k, n)| all_a.get(k).copied().unwrap_or(0) != **n)
        .unwrap();
    let cell = format!(
        "true {}, predicted {}: {n_common}",
        CLASSES[t2], CLASSES[p2]
    );
    h.get_by_label(&cell).click();
    h.run_steps(2);
    assert_eq!(h.state().browse().unwrap().shown.len() as u64, n_common);
    wait_for(&mut h, "Only samples every model predicts");
    h.get_by_role_and_label(Role::ComboBox, "Model").click();
    h.run_steps(2);
    h.get_by_label("model_b").click();
    until(&mut h, "model_b's matrix", |h| {
        h.query_by_label(&name(n_b)).is_some()
    });
    assert!(h.query_by_label(&name(n_a)).is_none());
    wait_for(&mut h, "on 302 samples");
    // The grid follows the selected model too.
    let b = h.state().browse().unwrap();
    assert_eq!(b.loaded.models.selected, 1);
    assert_eq!(
        b.loaded.predictions_path.as_deref(),
        Some(dir.path().join("model_b.csv").as_path())
    );
}

#[test]
fn one_model_says_how_to_add_a_second_and_has_no_compare_view() {
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut()
        .open(demo(), Some(demo().join("predictions.csv")), ctx);
    wait_for(&mut h, "42 of 42 shown");
    assert!(h.query_by_label("Compare").is_none());
    h.get_by_label("Evaluation").click();
    h.run_steps(2);
    wait_for(&mut h, "Add a second predictions file to compare");
    assert!(h.query_all_by_label("Add predictions…").count() >= 2);
}

#[test]
fn a_label_edit_recomputes_the_comparison() {
    let (dir, mut h) = open_two();
    let pb = predictions(&dir.path().join("model_b.csv"), true);
    h.get_by_label("Compare").click();
    until(&mut h, "the comparison", |h| {
        h.query_by_label("A right, B wrong: 71").is_some()
    });
    h.get_by_label("A right, B wrong: 71").click();
    h.run_steps(2);
    // Relabel one sample only model_a gets right to what model_b predicts: it changes cell.
    let (sample, file) = {
        let b = h.state().browse().unwrap();
        let i = b.shown[0] as usize;
        (i, b.loaded.dataset.file(i).to_string())
    };
    let to = CLASSES[pb[&file].0];
    h.state_mut().browse_mut().unwrap().relabel(&[sample], to);
    until(&mut h, "the comparison after the edit", |h| {
        h.query_by_label("A right, B wrong: 70").is_some()
            && h.query_by_label("A wrong, B right: 47").is_some()
    });
}

/// The README's demo command: the shipped demo with both its models compares in the app.
#[test]
fn the_demo_opens_with_two_models_to_compare() {
    let mut h = demo_with_models(
        &["predictions.csv", "predictions_upright.csv"],
        1800.0,
        1100.0,
    );
    let models = vec![
        demo().join("predictions.csv"),
        demo().join("predictions_upright.csv"),
    ];
    // The welcome screen's recent entry reopens both models, not only the first.
    assert_eq!(h.state().recent()[0].all_predictions(), models);
    h.get_by_label("Compare").click();
    wait_for(&mut h, "McNemar exact p = 0.0923");
    h.get_by_label("A wrong, B right: 10");
    h.get_by_label("A right, B wrong: 3");
}
