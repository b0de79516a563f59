//! The Health view: the background scan finds a near-duplicate group that leaks across splits (an
//! EXIF-rotated copy of a training photo in the test split) and a click shows its members.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{harness_with, wait_for};

/// train/landscape/a.jpg, its EXIF-rotated copy (other bytes, same upright picture) in test, a
/// portrait photo in train, and a broken file.
fn leaky_dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let photos = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exif-orientation-examples");
    let put = |from: &str, to: &str| {
        let target = dir.path().join(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(photos.join(from), target).unwrap();
    };
    put("Landscape_1.jpg", "train/landscape/a.jpg");
    put("Landscape_6.jpg", "test/landscape/a_rotated.jpg");
    put("Portrait_1.jpg", "train/portrait/p.jpg");
    common::write(
        dir.path(),
        "train/portrait/broken.jpg",
        b"\xff\xd8\xff not a jpeg",
    );
    dir
}

#[test]
fn a_cross_split_near_duplicate_group_is_listed_and_a_click_shows_its_members() {
    let data = leaky_dataset();
    let mut h = harness_with(App::default(), 1500.0, 950.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(data.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "4 of 4 shown");
    h.get_by_label("Health").click();
    wait_for(&mut h, "Near-duplicates: 1 groups (1 across splits");
    // The problem is listed too.
    wait_for(&mut h, "Problems: 1 samples");
    h.get_by_label_contains("Near-duplicate group 1: 2 images")
        .click();
    wait_for(&mut h, "Showing near-duplicate group 1");
    wait_for(&mut h, "2 of 4");
    // Both members are tiles in the grid, the other photo is not.
    h.get_by_label("a.jpg");
    h.get_by_label("a_rotated.jpg");
    assert!(h.query_by_label("p.jpg").is_none());
    // Back to the filters: every sample again.
    h.get_by_label("Back to the filters").click();
    wait_for(&mut h, "4 of 4 shown");
}

#[test]
fn the_darkest_order_and_the_sideways_images_fill_the_grid() {
    let data = leaky_dataset();
    let mut h = harness_with(App::default(), 1500.0, 950.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(data.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "4 of 4 shown");
    h.get_by_label("Health").click();
    wait_for(&mut h, "1 images a loader that ignores EXIF sees sideways");
    h.get_by_label_contains("1 images a loader that ignores EXIF")
        .click();
    wait_for(
        &mut h,
        "Showing 1 images stored rotated or mirrored (EXIF 2-8): as stored, then upright",
    );
    h.get_by_label("a_rotated.jpg");
    h.get_by_label("Darkest").click();
    wait_for(&mut h, "Showing 3 images, darkest first");
}

#[test]
fn a_second_scan_reads_unchanged_samples_from_the_cache() {
    let data = leaky_dataset();
    let cache = tempfile::tempdir().unwrap();
    let app = App::default().with_thumbnail_store(Some(cache.path().to_path_buf()));
    let mut h = harness_with(app, 1500.0, 950.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(data.path().to_path_buf(), None, ctx);
    wait_for(&mut h, "4 of 4 shown");
    h.get_by_label("Health").click();
    wait_for(&mut h, "4 samples scanned in");
    assert!(h.query_by_label_contains("from the cache").is_none());
    // One file changes: it is scanned again, the other three come from the cache.
    common::write(
        data.path(),
        "train/portrait/broken.jpg",
        b"still not a jpeg, longer",
    );
    h.get_by_label("Scan again").click();
    wait_for(&mut h, "(3 unchanged since the last scan, from the cache)");
    wait_for(&mut h, "Near-duplicates: 1 groups (1 across splits");
}
