//! Saliency overlays in the inspector under egui_kittest: an overlay folder given to the app draws a
//! sample's `.npy` heatmap (the inspector names the file, the appended-extension name winning over
//! the replaced one), O and the checkbox hide and show it, a PNG found by the replaced extension
//! draws too, a malformed `.npy` says what is wrong, and a sample without one says so; the picture
//! shows in every case.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use eframe::egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common::ui::{demo, harness_with, wait_for};

/// A version-1 `.npy` file of `descr` and `shape` holding `data`, as numpy writes it.
fn write_npy(path: &Path, descr: &str, shape: &str, data: &[u8]) {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, out).unwrap();
}

/// The overlay folder: orientation3 has a float map (and PNGs under the appended and the replaced
/// name, which must lose to it), orientation4 a 3-D array, orientation5 a grey PNG under the replaced name.
fn overlays() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("train/landscape");
    let floats: Vec<u8> = [0.0f32, 0.2, 0.4, 0.6, 0.8, 1.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    write_npy(
        &d.join("landscape_orientation3.jpg.npy"),
        "<f4",
        "(2, 3)",
        &floats,
    );
    let grey = image::GrayImage::from_raw(4, 2, vec![0, 40, 80, 120, 160, 200, 240, 255]).unwrap();
    grey.save(d.join("landscape_orientation3.png")).unwrap();
    grey.save(d.join("landscape_orientation3.jpg.png")).unwrap();
    write_npy(
        &d.join("landscape_orientation4.npy"),
        "<f4",
        "(2, 2, 2)",
        &[0; 32],
    );
    grey.save(d.join("landscape_orientation5.png")).unwrap();
    dir
}

fn open(dir: &Path) -> Harness<'static, App> {
    let app = App::default().with_overlays(Some(dir.to_path_buf()));
    let mut h = harness_with(app, 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(demo(), None, ctx);
    wait_for(&mut h, "42 of 42 shown");
    h
}

fn selected_file(h: &Harness<'static, App>) -> String {
    let b = h.state().browse().unwrap();
    let i = b.shown[b.selected.unwrap()] as usize;
    b.loaded.dataset.file(i).to_string()
}

fn step(h: &mut Harness<'static, App>, expected: &str) {
    h.key_press(Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(selected_file(h), expected);
}

#[test]
fn an_overlay_shows_hides_and_says_what_it_drew_or_why_not() {
    let dir = overlays();
    let mut h = open(dir.path());
    h.get_by_label("landscape_orientation3.jpg").click();
    h.run_steps(2);
    wait_for(
        &mut h,
        "Overlay: train/landscape/landscape_orientation3.jpg.npy",
    );
    let (texture, opacity) = h.state().overlay().texture().unwrap();
    assert!((opacity - 0.5).abs() < 1e-6);
    // Fitted to the upright picture (orientation 3 keeps the axes): 2 rows x 3 columns become its
    // pixels, the picture's aspect, not the map's.
    let [w, h_px] = texture.size();
    assert!(w > 3 && h_px > 2, "{w} x {h_px}");
    // O hides it and shows it again; so does the checkbox.
    h.key_press(Key::O);
    h.run_steps(2);
    wait_for(
        &mut h,
        "Overlay hidden: train/landscape/landscape_orientation3.jpg.npy",
    );
    assert!(h.state().overlay().texture().is_none());
    h.key_press(Key::O);
    h.run_steps(2);
    assert!(h.state().overlay().texture().is_some());
    h.get_by_label("Overlay").click();
    h.run_steps(2);
    assert!(h.state().overlay().texture().is_none());
    h.get_by_label("Overlay").click();
    h.run_steps(2);
    assert!(h.state().overlay().texture().is_some());

    // A 3-D array: said plainly, the picture still shows.
    step(&mut h, "train/landscape/landscape_orientation4.jpg");
    wait_for(
        &mut h,
        "overlay train/landscape/landscape_orientation4.npy: not a 2-D float array",
    );
    assert!(h.state().overlay().texture().is_none());
    h.get_by_label("train/landscape/landscape_orientation4.jpg");
    assert!(h.query_by_label_contains("Cannot show this file").is_none());

    // A grey PNG under the replaced extension.
    step(&mut h, "train/landscape/landscape_orientation5.jpg");
    wait_for(
        &mut h,
        "Overlay: train/landscape/landscape_orientation5.png",
    );
    assert!(h.state().overlay().texture().is_some());

    // None at all.
    step(&mut h, "train/portrait/portrait_crop00_orientation1.jpg");
    wait_for(&mut h, "no overlay for this sample");
    assert!(h.state().overlay().texture().is_none());
}

#[test]
fn without_an_overlay_folder_the_inspector_offers_to_open_one() {
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(demo(), None, ctx);
    wait_for(&mut h, "42 of 42 shown");
    h.get_by_label("landscape_orientation3.jpg").click();
    h.run_steps(2);
    h.get_by_label("Open overlays…");
    assert!(h.query_by_label("Overlay").is_none());
    // O does nothing without a folder.
    h.key_press(Key::O);
    h.run_steps(2);
    assert!(h.state().overlay().texture().is_none());
}
