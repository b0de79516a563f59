//! The UI thread's frame budget on the 1M-row bench data: the time of each `Harness::step` (one
//! frame: the app's logic and layout, no GPU) while typing a search, opening the Apply preview and
//! playing audio. Ignored by default (it needs the bench data and a release build):
//!
//! ```text
//! python3 tests/reference/make_bench_data.py bench-data --images 0   # or SPOTCHECK_BENCH_DATA=DIR
//! cargo test --release --test ui frame_budget -- --ignored --nocapture --test-threads 1
//! ```
//! In release each median must stay under 16 ms; a debug build only prints the numbers.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui::Key;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{harness_with, wait_for};

/// One frame's budget at 60 Hz.
const BUDGET: Duration = Duration::from_millis(16);

fn bench_data() -> PathBuf {
    std::env::var_os("SPOTCHECK_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-data"))
}

/// Steps `n` frames, timing each.
fn timed_steps(h: &mut Harness<'static, App>, n: usize, times: &mut Vec<Duration>) {
    for _ in 0..n {
        let start = Instant::now();
        h.step();
        times.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Prints the median and the slowest frame of `what`, and holds the median to the budget in release.
fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!(
        "{what}: {} frames, median {:.2} ms, max {:.2} ms",
        times.len(),
        median.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    if !cfg!(debug_assertions) {
        assert!(
            median < BUDGET,
            "{what}: median frame {median:?} over {BUDGET:?}"
        );
    }
}

/// Steps until `check` holds, for at most `limit`.
fn until(h: &mut Harness<'static, App>, limit: Duration, check: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !check(h.state()) {
        assert!(start.elapsed() < limit, "gave up after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

#[test]
#[ignore = "needs the 1M-row bench data; run in release"]
fn typing_a_search_and_opening_the_apply_preview_stay_in_the_frame_budget() {
    let data = bench_data();
    let state = tempfile::tempdir().unwrap();
    let app = App::default().with_state_dir(Some(state.path().to_path_buf()));
    let mut h = harness_with(app, 1400.0, 900.0);
    let ctx = h.ctx.clone();
    h.state_mut()
        .open(data.join("manifest.csv"), Some(data.join("probs.csv")), ctx);
    until(&mut h, Duration::from_secs(600), |app| {
        app.browse().is_some()
    });
    let total = h.state().browse().unwrap().loaded.dataset.len();
    println!("{total} samples loaded");
    h.run_steps(5);

    // Typing a search: every keystroke filters all samples.
    let mut typing = Vec::new();
    h.get_by_role_and_label(Role::TextInput, "Search").click();
    h.run_steps(2);
    for c in ["0", "0", "1", "2"] {
        h.get_by_role_and_label(Role::TextInput, "Search")
            .type_text(c);
        timed_steps(&mut h, 1, &mut typing);
    }
    until(&mut h, Duration::from_secs(60), |app| {
        app.browse().is_some_and(|b| !b.filtering())
    });
    timed_steps(&mut h, 20, &mut typing);
    report("typing a search", &mut typing);
    let shown = h.state().browse().unwrap().shown.len();
    assert!(
        shown > 0 && shown < total,
        "the search filtered: {shown} of {total}"
    );

    // 1,000 pending edits, then the Apply preview (a stat per edit, off the UI thread).
    let targets: Vec<usize> = (0..1000).collect();
    h.state_mut()
        .browse_mut()
        .unwrap()
        .relabel(&targets, "daisy");
    until(&mut h, Duration::from_secs(120), |app| {
        app.browse()
            .and_then(|b| b.edits.as_ref())
            .is_some_and(|e| !e.saving())
    });
    let edits = h.state().browse().unwrap().edits.as_ref().unwrap();
    // Samples already labelled "daisy" make no edit (an edit back to the disk label cancels).
    let pending = edits.state().pending.len();
    assert!(
        pending > 500,
        "the edits are pending: {pending} (error: {:?})",
        edits.error
    );
    println!("{pending} pending edits");
    h.run_steps(2);
    h.get_by_label_contains("Edits (").click();
    h.run_steps(2);
    let mut preview = Vec::new();
    h.get_by_label("Apply to dataset…").click();
    timed_steps(&mut h, 30, &mut preview);
    report("opening the Apply preview", &mut preview);
    wait_for(&mut h, "pending edit(s) will be written");
}

#[test]
#[ignore = "run in release"]
fn playing_audio_stays_in_the_frame_budget() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("beep")).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/tone.wav"),
        dir.path().join("beep/tone.wav"),
    )
    .unwrap();
    let mut h = harness_with(App::default().with_null_audio(), 1400.0, 900.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(dir.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "1 of 1 shown");
    h.get_by_label("tone.wav").click();
    h.run_steps(2);
    wait_for(&mut h, "16000 Hz");
    let mut playing = Vec::new();
    h.key_press(Key::Space);
    timed_steps(&mut h, 30, &mut playing);
    report("playing audio", &mut playing);
}
