//! The app under egui_kittest (no window, no GPU): the welcome screen, the demo opening into a grid
//! of tiles, a click opening the inspector, seeded shuffles, filters, the EXIF toggle, and bad input
//! showing an error while the app keeps running.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::{App, Tab};

use crate::common;

use common::ui::{demo, demo_copy, harness_with, wait_for};

fn harness() -> Harness<'static, App> {
    harness_with(App::default(), 1400.0, 900.0)
}

/// The demo with its predictions, open on the grid.
fn demo_harness() -> Harness<'static, App> {
    let mut h = harness();
    let ctx = h.ctx.clone();
    h.state_mut()
        .open(demo(), Some(demo().join("predictions.csv")), ctx);
    wait_for(&mut h, "42 of 42 shown");
    h
}

fn first_shown(h: &Harness<'static, App>) -> String {
    h.state().browse().unwrap().shown_files()[0].to_string()
}

#[test]
fn welcome_screen() {
    let mut h = harness();
    h.run_steps(2);
    h.get_by_label("Open a dataset to spot-check it");
    h.get_by_label("Open folder…");
    h.get_by_label("Open file…");
}

#[test]
fn the_demo_opens_into_a_grid_of_tiles_and_a_summary() {
    let mut h = demo_harness();
    // Tiles are named by file name; the first rows are on screen.
    h.get_by_label("landscape_orientation0.jpg");
    h.get_by_label("landscape_crop00_orientation2.jpg");
    h.get_by_label_contains("42 samples, 2 classes");
    // Remembered for the welcome screen's recent list.
    assert_eq!(h.state().recent()[0].path, demo());
    assert_eq!(
        h.state().recent()[0].predictions,
        Some(demo().join("predictions.csv"))
    );
    h.state_mut().browse_mut().unwrap().tab = Tab::Summary;
    // The summary's numbers are computed after the grid shows.
    wait_for(&mut h, "0.6905 on 42 samples");
}

#[test]
fn clicking_a_tile_opens_the_inspector_on_that_file() {
    let mut h = demo_harness();
    h.get_by_label("landscape_orientation3.jpg").click();
    h.run_steps(2);
    h.get_by_label("train/landscape/landscape_orientation3.jpg");
    wait_for(&mut h, "3 (rotated 180°)");
    h.get_by_label("Back to grid").click();
    h.run_steps(2);
    wait_for(&mut h, "42 of 42 shown");
}

#[test]
fn shuffle_with_the_same_seed_gives_the_same_order() {
    let mut h = demo_harness();
    let in_dataset_order = first_shown(&h);
    h.state_mut().browse_mut().unwrap().seed_text = "42".into();
    h.get_by_label("Shuffle").click();
    h.run_steps(2);
    h.get_by_label_contains("shuffled, seed 42");
    let first = first_shown(&h);
    let order = h.state().browse().unwrap().shown.clone();
    h.get_by_label("Dataset order").click();
    h.run_steps(2);
    assert_eq!(first_shown(&h), in_dataset_order);
    h.get_by_label("Shuffle").click();
    h.run_steps(2);
    assert_eq!(first_shown(&h), first, "seed 42 twice, same first sample");
    assert_eq!(
        h.state().browse().unwrap().shown,
        order,
        "and the same order"
    );
    assert_ne!(
        order,
        (0..42).collect::<Vec<u32>>(),
        "a shuffle moves samples"
    );

    h.state_mut().browse_mut().unwrap().seed_text = "7".into();
    h.get_by_label("Shuffle").click();
    h.run_steps(2);
    assert_ne!(
        h.state().browse().unwrap().shown,
        order,
        "another seed, another order"
    );
}

#[test]
fn a_class_filter_shows_only_that_class() {
    let mut h = demo_harness();
    h.get_by_role_and_label(Role::ComboBox, "Label").click();
    h.run_steps(2);
    h.get_by_label("portrait").click();
    h.run_steps(2);
    h.get_by_label_contains("21 of 42 shown");
    let browse = h.state().browse().unwrap();
    assert!(
        browse
            .shown_files()
            .iter()
            .all(|f| f.contains("/portrait/"))
    );

    h.get_by_role_and_label(Role::ComboBox, "Prediction")
        .click();
    h.run_steps(2);
    h.get_by_label("wrong").click();
    h.run_steps(2);
    // The naive model is wrong on the portrait photos stored sideways.
    let wrong = h.state().browse().unwrap().shown.len();
    assert!(wrong > 0 && wrong < 21, "{wrong}");
    h.get_by_label("Clear filters").click();
    h.run_steps(2);
    h.get_by_label_contains("42 of 42 shown");
}

#[test]
fn the_exif_toggle_shows_the_stored_pixels() {
    let mut h = demo_harness();
    // It is in the val split, below the first screen: the file-name search brings it up.
    let search = h.get_by_role_and_label(Role::TextInput, "Search");
    search.click();
    search.type_text("landscape_orientation6");
    h.run_steps(2);
    h.get_by_label_contains("1 of 42 shown");
    h.get_by_label("landscape_orientation6.jpg").click();
    h.run_steps(2);
    wait_for(&mut h, "6 (turned 90° clockwise to show upright)");
    wait_for(&mut h, "480×320 px (upright)");
    h.get_by_label("Show as stored (as a loader that ignores EXIF sees it)")
        .click();
    h.run_steps(2);
    wait_for(&mut h, "320×480 px (as stored)");
}

#[test]
fn a_bad_path_shows_an_error_and_the_app_keeps_running() {
    let mut h = harness();
    let ctx = h.ctx.clone();
    h.state_mut()
        .open(PathBuf::from("/no/such/dataset"), None, ctx);
    wait_for(&mut h, "no such file or folder");
    h.get_by_label_contains("Could not open /no/such/dataset");
    // Still usable: the demo opens after the error.
    let ctx = h.ctx.clone();
    h.state_mut().open(demo(), None, ctx);
    wait_for(&mut h, "42 of 42 shown");
}

#[test]
fn a_folder_that_is_not_a_dataset_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let mut h = harness();
    let ctx = h.ctx.clone();
    h.state_mut().open(dir.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "Could not open");
    h.get_by_label("Open folder…");
}

#[test]
fn a_predictions_file_of_another_dataset_says_so_and_the_grid_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.csv");
    std::fs::write(
        &other,
        "file_name,prob_cat,prob_dog\ncats/1.jpg,0.9,0.1\ndogs/2.jpg,0.2,0.8\n",
    )
    .unwrap();
    let mut h = harness();
    let ctx = h.ctx.clone();
    h.state_mut().open(demo(), Some(other), ctx);
    wait_for(&mut h, "42 of 42 shown");
    h.get_by_label_contains("is this the predictions file of another dataset?");
    h.get_by_label("landscape_orientation0.jpg");
}

#[test]
fn a_file_deleted_while_the_app_runs_shows_why_and_the_app_goes_on() {
    let data = demo_copy();
    let mut h = harness();
    let ctx = h.ctx.clone();
    h.state_mut().open(data.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "42 of 42 shown");
    std::fs::remove_file(
        data.path()
            .join("train/landscape/landscape_orientation3.jpg"),
    )
    .unwrap();
    h.get_by_label("landscape_orientation3.jpg").click();
    h.run_steps(2);
    wait_for(&mut h, "Cannot show this file: no such file");
    h.get_by_label("Back to grid").click();
    h.run_steps(2);
    h.get_by_label("landscape_orientation1.jpg").click();
    h.run_steps(2);
    wait_for(&mut h, "1 (upright as stored)");
}

#[test]
fn thumbnails_are_kept_on_disk_for_the_next_opening() {
    let cache = tempfile::tempdir().unwrap();
    let open = |cache: &std::path::Path| {
        let app = App::default().with_thumbnail_store(Some(cache.to_path_buf()));
        let mut h = harness_with(app, 1400.0, 1600.0);
        let ctx = h.ctx.clone();
        h.state_mut().open(demo(), None, ctx);
        wait_for(&mut h, "42 of 42 shown");
        h.get_by_label_contains("disk cache on");
        // Every tile on screen gets its picture.
        let start = Instant::now();
        while h.state().browse().unwrap().visible_pending > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "tiles never came"
            );
            std::thread::sleep(Duration::from_millis(20));
            h.run_steps(1);
        }
    };
    open(cache.path());
    let db = cache.path().join("thumbnails.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let query = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    // The window is tall enough for all 42 tiles, so all were decoded; the writer commits them in
    // batches, so wait for the last.
    let start = Instant::now();
    while query("SELECT count(*) FROM thumbnails") < 42 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "thumbnails never all kept"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // A re-decode would replace a row under a new id.
    let last_id = query("SELECT max(id) FROM thumbnails");
    open(cache.path());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        query("SELECT max(id) FROM thumbnails"),
        last_id,
        "the second opening decodes nothing new"
    );
    assert_eq!(query("SELECT count(*) FROM thumbnails"), 42);
}
