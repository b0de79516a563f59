//! Helpers for the egui_kittest tests: the demo path, a harness around a fresh `App`, and waiting
//! for text that worker threads (loads, decodes, metrics) make appear.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

/// The shipped demo dataset: this process's copy of it, without the state a user may have left in
/// `assets/demo/.spotcheck` (see [`super::demo`]).
pub fn demo() -> PathBuf {
    super::demo()
}

/// `app` drawn in a window of `width` x `height` points.
pub fn harness_with(app: App, width: f32, height: f32) -> Harness<'static, App> {
    Harness::builder()
        .with_size(eframe::egui::vec2(width, height))
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

/// The demo opened with `files` (predictions files in `assets/demo`, one model each) in a window of
/// `width` x `height` points, stepped until its 42 samples show.
pub fn demo_with_models(files: &[&str], width: f32, height: f32) -> Harness<'static, App> {
    let mut h = harness_with(App::default(), width, height);
    let ctx = h.ctx.clone();
    let models = files.iter().map(|f| demo().join(f)).collect();
    h.state_mut().open_models(demo(), models, None, ctx);
    wait_for(&mut h, "42 of 42 shown");
    h
}

/// Steps the UI until `label` shows, or fails after 20 s.
pub fn wait_for(h: &mut Harness<'static, App>, label: &str) {
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

/// Copies the demo's images into a temporary folder the test can change.
pub fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    super::copy_demo(dir.path());
    dir
}

/// Steps the UI until `check` holds, or fails after `limit` saying `what` never happened.
pub fn until_within(
    h: &mut Harness<'static, App>,
    what: &str,
    limit: Duration,
    check: impl Fn(&Harness<'static, App>) -> bool,
) {
    let start = Instant::now();
    while !check(h) {
        assert!(start.elapsed() < limit, "{what} never happened");
        std::thread::sleep(Duration::from_millis(20));
        h.run_steps(1);
    }
}

/// [`until_within`] 20 s: a worker's result (a load, a ranking, an edit's reply) shows.
pub fn until(
    h: &mut Harness<'static, App>,
    what: &str,
    check: impl Fn(&Harness<'static, App>) -> bool,
) {
    until_within(h, what, Duration::from_secs(20), check);
}
