//! The evaluation views under egui_kittest: a class bar, a confusion cell and a reliability bin
//! each filter the grid to exactly their samples; the temperature toggle shows T; the numbers shown
//! equal `spotcheck stats --json`; missing or hard predictions say what is missing.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui::accesskit::Role;
use eframe::egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{demo, harness_with, wait_for};

/// `spotcheck stats --json` on the demo with its predictions, plus `args`.
fn stats_json(args: &[&str]) -> serde_json::Value {
    let predictions = demo().join("predictions.csv");
    let demo = demo();
    let mut all = vec![
        "stats",
        "--json",
        "--predictions",
        predictions.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    all.push(demo.to_str().unwrap());
    let out = common::spotcheck(&all);
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The app with `predictions` open and the evaluation panel showing.
fn open(predictions: Option<PathBuf>) -> Harness<'static, App> {
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(demo(), predictions, ctx);
    wait_for(&mut h, "42 of 42 shown");
    h.get_by_label("Evaluation").click();
    h.run_steps(2);
    wait_for(&mut h, "Imbalance ratio");
    h
}

fn with_predictions() -> Harness<'static, App> {
    open(Some(demo().join("predictions.csv")))
}

/// Steps until the panel's numbers answer its current settings.
fn settle(h: &mut Harness<'static, App>) {
    let start = Instant::now();
    loop {
        h.run_steps(1);
        let current = h
            .state()
            .browse()
            .and_then(|b| b.evaluation.as_ref())
            .is_some_and(|p| p.is_current());
        if current {
            h.run_steps(2);
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "never computed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn shown(h: &Harness<'static, App>) -> usize {
    h.state().browse().unwrap().shown.len()
}

#[test]
fn a_class_bar_filters_the_grid_to_that_class_and_split() {
    let mut h = with_predictions();
    h.get_by_label("landscape in train: 14").click();
    h.run_steps(2);
    assert_eq!(shown(&h), 14);
    wait_for(&mut h, "14 of 42 shown");
    let b = h.state().browse().unwrap();
    assert!(
        b.shown_files()
            .iter()
            .all(|f| f.starts_with("train/landscape/"))
    );
    // The class name: that class in every split.
    h.get_by_label("class portrait").click();
    h.run_steps(2);
    assert_eq!(shown(&h), 21);
}

#[test]
fn a_confusion_cell_filters_the_grid_to_exactly_its_samples() {
    let mut h = with_predictions();
    h.get_by_label("Confusion matrix").click();
    settle(&mut h);
    h.get_by_label("true landscape, predicted portrait: 7")
        .click();
    h.run_steps(2);
    assert_eq!(shown(&h), 7);
    wait_for(&mut h, "7 of 42 shown");
    // The views follow the grid's split: val only.
    h.get_by_label("Clear filters").click();
    h.run_steps(1);
    let val = {
        let b = h.state_mut().browse_mut().unwrap();
        b.filter.split = Some(1);
        b.refresh();
        b.shown.len()
    };
    assert_eq!(val, 14);
    settle(&mut h);
    wait_for(&mut h, "Following the grid: split val");
    wait_for(&mut h, "on 14 samples");
}

#[test]
fn a_reliability_bin_filters_the_grid_to_its_samples() {
    let mut h = with_predictions();
    h.get_by_label("Reliability").click();
    settle(&mut h);
    let bins = {
        let panel = h.state().browse().unwrap().evaluation.as_ref().unwrap();
        panel
            .views()
            .unwrap()
            .calibration
            .as_ref()
            .unwrap()
            .reliability
            .bins
            .clone()
    };
    let mut checked = 0;
    for b in bins.iter().filter(|b| b.count > 0) {
        let name = format!("bin ({:.2}, {:.2}]: {} samples", b.lower, b.upper, b.count);
        h.get_by_label(&name).click();
        h.run_steps(2);
        assert_eq!(shown(&h) as u64, b.count, "{name}");
        h.get_by_label_contains("Reliability bin: confidence in");
        checked += 1;
    }
    assert!(checked >= 3, "{checked} bins");
    assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 42);
}

#[test]
fn the_temperature_toggle_shows_t_and_the_views_equal_stats_json() {
    let mut h = with_predictions();
    h.get_by_label("Reliability").click();
    settle(&mut h);
    let stats = stats_json(&[]);
    let cal = &stats["calibration"];
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    assert!(h.query_by_label_contains("T = ").is_none());
    h.get_by_label("Temperature scaling").click();
    settle(&mut h);
    wait_for(
        &mut h,
        &format!(
            "T = {:.4} (fitted on all samples, 42 samples): ECE {:.4} -> {:.4}",
            f(&cal["temperature"]),
            f(&cal["ece"]),
            f(&cal["ece_after_temperature"])
        ),
    );
    h.get_by_label_contains(&format!(
        "ECE {:.4}   MCE {:.4}   NLL {:.4}   Brier {:.4}",
        f(&cal["ece"]),
        f(&cal["mce"]),
        f(&cal["nll"]),
        f(&cal["brier"])
    ));
    // And exactly, not only to the four digits shown.
    let views = h
        .state()
        .browse()
        .unwrap()
        .evaluation
        .as_ref()
        .unwrap()
        .views()
        .unwrap()
        .clone();
    let c = views.calibration.as_ref().unwrap();
    let close = |a: f64, b: f64| assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
    close(c.reliability.ece, f(&cal["ece"]));
    close(c.reliability.mce, f(&cal["mce"]));
    close(c.nll, f(&cal["nll"]));
    close(c.brier, f(&cal["brier"]));
    close(c.temperature, f(&cal["temperature"]));
    close(c.reliability_after.ece, f(&cal["ece_after_temperature"]));
    close(c.nll_after, f(&cal["nll_after_temperature"]));
    for (bin, want) in c
        .reliability
        .bins
        .iter()
        .zip(cal["bins"].as_array().unwrap())
    {
        assert_eq!(bin.count, want["count"].as_u64().unwrap());
    }
    let m = &stats["metrics"];
    let r = views.classification.as_ref().unwrap();
    close(r.accuracy, f(&m["accuracy"]));
    close(r.macro_f1, f(&m["macro_f1"]));
    close(r.weighted_f1, f(&m["weighted_f1"]));
    let rows: Vec<Vec<u64>> = serde_json::from_value(m["confusion_matrix"].clone()).unwrap();
    assert_eq!(r.confusion.to_rows(), rows);
    for (pc, want) in r.per_class.iter().zip(m["per_class"].as_array().unwrap()) {
        close(pc.precision, f(&want["precision"]));
        close(pc.recall, f(&want["recall"]));
        close(pc.f1, f(&want["f1"]));
    }
    let counts = &stats["class_counts"];
    assert_eq!(
        views.class_counts[0][0],
        counts["train"]["landscape"].as_u64().unwrap()
    );
    assert_eq!(
        views.class_counts[1][1],
        counts["val"]["portrait"].as_u64().unwrap()
    );
}

#[test]
fn temperature_fitted_on_one_split_applies_to_another() {
    let mut h = with_predictions();
    h.get_by_label("Reliability").click();
    settle(&mut h);
    h.get_by_label("Temperature scaling").click();
    {
        let b = h.state_mut().browse_mut().unwrap();
        b.filter.split = Some(1); // evaluate on val
        b.refresh();
        let panel = b.evaluation.as_mut().unwrap();
        panel.reliability.fit_split = Some(Some(0)); // fit on train
    }
    settle(&mut h);
    let train = stats_json(&["--split", "train"]);
    let t_train = train["calibration"]["temperature"].as_f64().unwrap();
    wait_for(
        &mut h,
        &format!("T = {t_train:.4} (fitted on split train, 28 samples)"),
    );
    let views = h
        .state()
        .browse()
        .unwrap()
        .evaluation
        .as_ref()
        .unwrap()
        .views()
        .unwrap()
        .clone();
    assert_eq!(views.scored, 14, "evaluated on val");
    assert!((views.calibration.unwrap().temperature - t_train).abs() < 1e-9);
}

#[test]
fn without_predictions_balance_works_and_the_other_views_say_what_to_load() {
    let mut h = open(None);
    h.get_by_label("landscape in val: 7");
    h.get_by_label("Confusion matrix").click();
    h.run_steps(2);
    wait_for(&mut h, "No predictions are loaded");
    h.get_by_label("Reliability").click();
    h.run_steps(2);
    wait_for(&mut h, "No predictions are loaded");
}

#[test]
fn hard_predictions_give_a_confusion_matrix_and_say_why_there_is_no_reliability_diagram() {
    let dir = tempfile::tempdir().unwrap();
    let hard = dir.path().join("hard.csv");
    let mut text = String::from("file_name,prediction\n");
    for entry in walkdir::WalkDir::new(demo()).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "jpg") {
            let rel = entry.path().strip_prefix(demo()).unwrap().to_str().unwrap();
            text.push_str(&format!("{rel},landscape\n"));
        }
    }
    std::fs::write(&hard, text).unwrap();
    let mut h = open(Some(hard));
    h.get_by_label("Confusion matrix").click();
    settle(&mut h);
    h.get_by_label("true portrait, predicted landscape: 21");
    h.get_by_label("Reliability").click();
    h.run_steps(2);
    wait_for(&mut h, "hard class names");
}

#[test]
fn one_class_only_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join("cat");
    std::fs::create_dir(&class).unwrap();
    std::fs::copy(
        demo().join("train/landscape/landscape_orientation1.jpg"),
        class.join("a.jpg"),
    )
    .unwrap();
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(dir.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "1 of 1 shown");
    h.get_by_label("Evaluation").click();
    h.run_steps(2);
    wait_for(&mut h, "One class only (cat)");
}

#[test]
fn save_csv_without_a_dialog_asks_for_a_path_and_writes_the_views_numbers_there() {
    // Where no dialog can open (a bare machine; forced here whatever this machine has), Save CSV
    // shows a path field instead of doing nothing.
    spotcheck::ui::workers::file_dialog::use_path_fields();
    let mut h = with_predictions();
    h.get_by_label("Confusion matrix").click();
    settle(&mut h);
    h.get_by_label("Save CSV...").click();
    h.run_steps(2);
    wait_for(
        &mut h,
        "No file dialog can open here (it needs xdg-desktop-portal or zenity).",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("confusion.csv");
    // The field has the keyboard (and is scrolled into view) as it shows.
    assert!(
        h.get_by_role_and_label(Role::TextInput, "Save to")
            .is_focused()
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(Role::TextInput, "Save to")
        .type_text(out.to_str().unwrap());
    h.run_steps(1);
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Save to")
            .value()
            .as_deref(),
        out.to_str()
    );
    h.get_by_label("Save").click();
    wait_for(&mut h, &format!("Saved {}", out.display()));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("landscape") && text.contains("portrait"),
        "{text}"
    );
    // The field is gone once saved; Cancel drops a save without writing.
    assert!(h.query_by_label("Save to").is_none());
    h.get_by_label("Save JSON...").click();
    h.run_steps(2);
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.query_by_label("Save to").is_none());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // A file already there is written over only on a second click ("Replace"), as a dialog asks.
    std::fs::write(&out, "old").unwrap();
    h.get_by_label("Save CSV...").click();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(Role::TextInput, "Save to")
        .type_text(out.to_str().unwrap());
    h.run_steps(1);
    assert!(h.query_by_label("Replace").is_none());
    h.get_by_label("Save").click();
    wait_for(
        &mut h,
        &format!("{} already exists: Replace writes over it.", out.display()),
    );
    h.run_steps(3);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
    h.get_by_label("Replace").click();
    // The write runs on an export thread: a loaded machine (a test run beside a build) needs seconds.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        h.run_steps(1);
        if std::fs::read_to_string(&out).unwrap() != "old" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(std::fs::read_to_string(&out).unwrap().contains("landscape"));
    // The frame that took the click had drawn the field already: one more frame without it.
    h.run_steps(2);
    assert!(h.query_by_label("Save to").is_none());
}
