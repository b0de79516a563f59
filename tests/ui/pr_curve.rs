//! The precision–recall view under egui_kittest: the legend's AP equals core's average precision on
//! the demo's predictions, a click on a curve point filters the grid to exactly the samples whose
//! class probability reaches that point's threshold (checked against the predictions file by hand),
//! and the class selector switches the curve.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::core::analysis::precision_recall::average_precision;
use spotcheck::ui::App;
use spotcheck::ui::evaluation::pr_curve::PrCurves;

use crate::common::ui::{demo, demo_with_models, wait_for};

/// The demo with the predictions `files` (one model each), the evaluation panel on the
/// precision–recall view.
fn open(files: &[&str]) -> Harness<'static, App> {
    let mut h = demo_with_models(files, 1600.0, 1000.0);
    h.get_by_label("Evaluation").click();
    h.run_steps(2);
    h.get_by_label("Precision–recall").click();
    h.run_steps(2);
    h
}

/// Steps until the curves answer the view's class, split and data; returns them.
fn settle(h: &mut Harness<'static, App>) -> PrCurves {
    let start = Instant::now();
    loop {
        h.run_steps(1);
        let panel = h.state().browse().unwrap().evaluation.as_ref().unwrap();
        if panel.pr_curve.is_current() {
            let curves = panel.pr_curve.curves().unwrap().clone();
            h.run_steps(2);
            return curves;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "never computed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// (file, label, P(class)) per row of the demo's predictions, `column` = `prob_<class>`, read from
/// the file here rather than from the app.
fn by_hand(column: &str) -> Vec<(String, String, f64)> {
    let text = std::fs::read_to_string(demo().join("predictions.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == column).unwrap();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let label = f[0].split('/').nth(1).unwrap().to_string();
            (f[0].to_string(), label, f[col].parse().unwrap())
        })
        .collect()
}

#[test]
fn average_precision_in_the_legend_equals_cores() {
    let mut h = open(&["predictions.csv"]);
    let curves = settle(&mut h);
    assert_eq!(curves.class, 0, "landscape first");
    let rows = by_hand("prob_landscape");
    let scores: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let positive: Vec<bool> = rows.iter().map(|r| r.1 == "landscape").collect();
    let core = average_precision(&scores, &positive).unwrap();
    let shown = curves.models[0].average_precision.unwrap();
    assert!((shown - core).abs() < 1e-12, "{shown} vs {core}");
    h.get_by_label_contains(&format!("predictions AP {core:.3} (21 of 42"));
    // The view's numbers and plot can be saved (pr_csv/pr_json are unit-tested in export.rs).
    h.get_by_label("Save PNG...");
    h.get_by_label("Save CSV...");
    h.get_by_label("Save JSON...");
    // The other class through the selector.
    h.get_by_role_and_label(Role::ComboBox, "Class").click();
    h.run_steps(2);
    h.get_by_label("portrait").click();
    h.run_steps(2);
    let curves = settle(&mut h);
    assert_eq!(curves.class, 1);
    let rows = by_hand("prob_portrait");
    let scores: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let positive: Vec<bool> = rows.iter().map(|r| r.1 == "portrait").collect();
    let core = average_precision(&scores, &positive).unwrap();
    let shown = curves.models[0].average_precision.unwrap();
    assert!((shown - core).abs() < 1e-12, "{shown} vs {core}");
    wait_for(&mut h, &format!("predictions AP {core:.3} (21 of 42"));
}

#[test]
fn a_curve_point_filters_the_grid_to_the_samples_predicted_positive_there() {
    let mut h = open(&["predictions.csv"]);
    let curves = settle(&mut h);
    let m = &curves.models[0];
    let c = m.curve.as_ref().unwrap();
    // By hand: the distinct P(landscape) values of the file, highest first; the point with the
    // j-th highest threshold predicts positive every row whose value is >= the j-th highest.
    let rows = by_hand("prob_landscape");
    let mut distinct: Vec<f64> = rows.iter().map(|r| r.2).collect();
    distinct.sort_by(|a, b| b.total_cmp(a));
    distinct.dedup();
    assert_eq!(distinct.len(), c.thresholds.len());
    let mut checked = 0;
    for j in [1usize, 5, 20, distinct.len()] {
        let i = c.thresholds.len() - j;
        let cut = distinct[j - 1];
        let expected: BTreeSet<String> = rows
            .iter()
            .filter(|r| r.2 >= cut)
            .map(|r| r.0.clone())
            .collect();
        let name = format!(
            "predictions: threshold {:.4}, {} predicted positive, precision {:.3}, recall {:.3}",
            c.thresholds[i], m.predicted_positive[i], c.precision[i], c.recall[i]
        );
        assert_eq!(m.predicted_positive[i] as usize, expected.len(), "{name}");
        h.get_by_label(&name).click();
        h.run_steps(2);
        let b = h.state().browse().unwrap();
        let shown: BTreeSet<String> = b.shown_files().iter().map(|f| f.to_string()).collect();
        assert_eq!(shown, expected, "{name}");
        h.get_by_label_contains("PR point: P(landscape) >=");
        checked += 1;
    }
    assert_eq!(checked, 4);
    // The last point (lowest threshold) is every scored sample.
    assert_eq!(h.state().browse().unwrap().shown.len(), 42);
}

#[test]
fn a_point_on_the_second_models_curve_selects_it_and_filters_by_its_scores() {
    let mut h = open(&["predictions.csv", "predictions_upright.csv"]);
    let curves = settle(&mut h);
    assert_eq!(curves.models.len(), 2);
    assert_eq!(h.state().browse().unwrap().loaded.models.selected, 0);
    let m = &curves.models[1];
    assert_eq!(m.name, "predictions_upright");
    let c = m.curve.as_ref().unwrap();
    // By hand, from the second file: the point with the 5th highest threshold predicts positive
    // every row whose P(landscape) is >= the 5th highest distinct value.
    let rows = {
        let text = std::fs::read_to_string(demo().join("predictions_upright.csv")).unwrap();
        text.lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].to_string(), f[1].parse::<f64>().unwrap())
            })
            .collect::<Vec<_>>()
    };
    let mut distinct: Vec<f64> = rows.iter().map(|r| r.1).collect();
    distinct.sort_by(|a, b| b.total_cmp(a));
    distinct.dedup();
    let j = 5;
    let i = c.thresholds.len() - j;
    let expected: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.1 >= distinct[j - 1])
        .map(|r| r.0.clone())
        .collect();
    // The first model scores these samples differently: the filter must not use its scores.
    let first = by_hand("prob_landscape");
    let by_first: BTreeSet<String> = first
        .iter()
        .filter(|r| r.2 >= distinct[j - 1])
        .map(|r| r.0.clone())
        .collect();
    assert_ne!(expected, by_first, "the fixture tells the models apart");
    let name = format!(
        "predictions_upright: threshold {:.4}, {} predicted positive, precision {:.3}, recall {:.3}",
        c.thresholds[i], m.predicted_positive[i], c.precision[i], c.recall[i]
    );
    h.get_by_label(&name).click();
    h.run_steps(2);
    let b = h.state().browse().unwrap();
    assert_eq!(
        b.loaded.models.selected, 1,
        "the clicked curve's model is selected"
    );
    let shown: BTreeSet<String> = b.shown_files().iter().map(|f| f.to_string()).collect();
    assert_eq!(shown, expected);
    h.get_by_label_contains("PR point: predictions_upright P(landscape) >=");
}
