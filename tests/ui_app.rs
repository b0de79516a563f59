//! The app shell under egui_kittest (no window, no GPU): the welcome screen, opening the demo on a
//! background thread, and a bad path showing an error while the app keeps running.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

fn harness() -> Harness<'static, App> {
    Harness::builder()
        .with_size(eframe::egui::vec2(1000.0, 700.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::default())
}

/// Steps the UI until `label` shows (the load runs on a worker thread), or fails after 20 s.
fn wait_for(h: &mut Harness<'static, App>, label: &str) {
    let start = Instant::now();
    while h.query_by_label_contains(label).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{label:?} never showed"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.run_steps(1);
    }
}

#[test]
fn welcome_then_demo_dataset() {
    let mut h = harness();
    h.run_steps(2);
    h.get_by_label("Open a dataset to spot-check it");
    h.get_by_label("Open folder…");
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let ctx = h.ctx.clone();
    h.state_mut()
        .open(demo.clone(), Some(demo.join("predictions.csv")), ctx);
    wait_for(&mut h, "42 samples, 2 classes");
    h.get_by_label("landscape");
    h.get_by_label("portrait");
    h.get_by_label_contains("0.6905 on 42 samples");
}

#[test]
fn a_bad_path_shows_an_error_and_the_app_keeps_running() {
    let mut h = harness();
    let ctx = h.ctx.clone();
    h.state_mut()
        .open(PathBuf::from("/no/such/dataset"), None, ctx);
    wait_for(&mut h, "no such file or folder");
    h.get_by_label("Open folder…");
}
