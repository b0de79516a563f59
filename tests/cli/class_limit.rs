//! Metrics refuse more than `MAX_METRIC_CLASSES` classes with a clear error (exit 2) instead of
//! allocating k×k matrices: 100,000 free-text labels would ask for 80 GB and abort with no message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::fmt::Write as _;

use common::{run, write};

const CLASSES: usize = 100_000;

/// A manifest where every row has its own label (`f{i}.jpg`, `c{i}`), as a free-text column gives.
fn free_text_manifest(dir: &std::path::Path) -> String {
    let mut text = String::from("file_name,label\n");
    for i in 0..CLASSES {
        writeln!(text, "f{i}.jpg,c{i}").unwrap();
    }
    write(dir, "m.csv", text).display().to_string()
}

fn assert_refused(code: i32, err: &str) {
    assert_eq!(code, 2, "stderr: {err}");
    assert!(err.contains("100000 classes"), "stderr: {err}");
    assert!(err.contains("at most 10000"), "stderr: {err}");
}

#[test]
fn stats_refuses_metrics_for_a_hundred_thousand_classes() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = free_text_manifest(dir.path());
    let mut predictions = String::from("file_name,prediction\n");
    for i in 0..CLASSES {
        writeln!(predictions, "f{i}.jpg,c{}", (i + 1) % CLASSES).unwrap();
    }
    let predictions = write(dir.path(), "p.csv", predictions);
    let (code, _, err) = run(&[
        "stats",
        &manifest,
        "--predictions",
        predictions.to_str().unwrap(),
        "--json",
    ]);
    assert_refused(code, &err);
    // Without predictions there are no k×k metrics: the counts still come out.
    let (code, out, err) = run(&["stats", &manifest, "--json"]);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("\"c99999\":1"));
}

#[test]
fn label_issues_refuses_a_hundred_thousand_classes() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = free_text_manifest(dir.path());
    let mut predictions = String::from("file_name");
    for i in 0..CLASSES {
        write!(predictions, ",prob_c{i}").unwrap();
    }
    predictions.push('\n');
    for row in 0..2 {
        write!(predictions, "f{row}.jpg").unwrap();
        for i in 0..CLASSES {
            predictions.push_str(if i == row { ",1" } else { ",0" });
        }
        predictions.push('\n');
    }
    let predictions = write(dir.path(), "p.csv", predictions);
    let (code, _, err) = run(&[
        "label-issues",
        &manifest,
        "--predictions",
        predictions.to_str().unwrap(),
        "--json",
    ]);
    assert_refused(code, &err);
}

/// The GUI's evaluation worker and summary get the refusal as data (and the panel says it) instead
/// of aborting the app.
#[test]
fn the_gui_views_and_the_summary_report_carry_the_refusal() {
    use spotcheck::core::analysis::evaluation::{EvaluationRequest, evaluate_views};
    use spotcheck::core::analysis::report::{DEFAULT_BINS, StatsReport};
    use spotcheck::core::data::load::{load_predictions, open_dataset};
    use spotcheck::core::data::warnings::Warnings;

    let dir = tempfile::tempdir().unwrap();
    let manifest = free_text_manifest(dir.path());
    let predictions = write(dir.path(), "p.csv", "file_name,prediction\nf0.jpg,c1\n");
    let mut warnings = Warnings::default();
    let mut dataset = open_dataset(manifest.as_ref(), None, &mut warnings).unwrap();
    let p = load_predictions(&mut dataset, &predictions, None, &mut warnings).unwrap();
    let request = EvaluationRequest {
        split: None,
        fit_split: None,
        bins: DEFAULT_BINS,
        class_wise: None,
    };
    let views = evaluate_views(&dataset, dataset.labels(), Some(&p), &request);
    assert!(views.classification.is_none());
    assert_eq!(views.refused.map(|r| r.classes), Some(CLASSES));
    let report = StatsReport::build(&dataset, Some(&p), None, DEFAULT_BINS);
    assert!(report.metrics.is_none());
    assert_eq!(report.metrics_refused.map(|r| r.classes), Some(CLASSES));
}

/// A predictions header with 100,000 `prob_` columns opens in seconds: the repeated-name check of
/// the header and the missing-class check of the join were quadratic in the columns (158 s in a
/// debug build before).
#[test]
fn a_hundred_thousand_column_header_is_not_quadratic() {
    use spotcheck::core::data::load::{load_predictions, open_dataset};
    use spotcheck::core::data::warnings::{WarningKind, Warnings};

    let dir = tempfile::tempdir().unwrap();
    let manifest = free_text_manifest(dir.path());
    // Every class but the last has a column, and one column is repeated.
    let mut text = String::from("file_name");
    for i in 0..CLASSES - 1 {
        write!(text, ",prob_c{i}").unwrap();
    }
    text.push_str(",prob_c0\nf0.jpg");
    for i in 0..CLASSES {
        text.push_str(if i == 0 { ",1" } else { ",0" });
    }
    text.push('\n');
    let predictions = write(dir.path(), "p.csv", text);
    let started = std::time::Instant::now();
    let mut warnings = Warnings::default();
    let mut dataset = open_dataset(manifest.as_ref(), None, &mut warnings).unwrap();
    load_predictions(&mut dataset, &predictions, None, &mut warnings).unwrap();
    let took = started.elapsed();
    assert!(took.as_secs_f64() < 15.0, "took {took:?}");
    let missing: Vec<_> = warnings.of_kind(WarningKind::MissingClassColumn).collect();
    assert_eq!(missing.len(), 1, "{:?}", warnings.items());
    assert_eq!(missing[0].examples, ["c99999"]);
    let repeated: Vec<_> = warnings.of_kind(WarningKind::Header).collect();
    assert_eq!(repeated.len(), 1, "{:?}", warnings.items());
    assert!(
        repeated[0].message.contains("\"prob_c0 (2)\""),
        "{}",
        repeated[0].message
    );
}
