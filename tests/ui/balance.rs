//! "Export balanced manifest…" in the class-balance view: the file the app writes is byte for byte the
//! one `spotcheck balance --resample` writes on the same (edited) labels, split and seed; a write that
//! fails says why and names the file.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{demo_copy, harness_with, wait_for};

/// Sets the export's seed and preset path, as a user types the seed and picks the file.
fn prepare(h: &mut Harness<'static, App>, seed: u64, out: &Path) {
    let export = &mut h
        .state_mut()
        .browse_mut()
        .unwrap()
        .evaluation
        .as_mut()
        .unwrap()
        .balance
        .export;
    export.seed = seed;
    export.preset_path = Some(out.to_path_buf());
    export.message = None;
}

/// The demo copy at `dataset` open in the app, on the Evaluation view with its balance export.
fn balance_view(dataset: &Path) -> Harness<'static, App> {
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(dataset.to_path_buf(), None, ctx);
    wait_for(&mut h, "42 of 42 shown");
    h.get_by_label("Evaluation").click();
    h.run_steps(2);
    wait_for(&mut h, "Balanced manifest");
    h
}

fn assert_same_text(a: &Path, b: &Path) {
    assert_eq!(
        std::fs::read_to_string(a).unwrap(),
        std::fs::read_to_string(b).unwrap()
    );
}

/// `spotcheck balance DATASET --resample HOW --seed SEED --out OUT [extra]`.
fn cli(dataset: &Path, how: &str, seed: u64, out: &Path, extra: &[&str]) {
    let seed = seed.to_string();
    let mut args = vec![
        "balance",
        dataset.to_str().unwrap(),
        "--resample",
        how,
        "--seed",
        &seed,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, _, err) = common::run(&args);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn the_balanced_manifest_is_the_command_lines_byte_for_byte() {
    let data = demo_copy();
    let out = tempfile::tempdir().unwrap();
    // A pending edit in the journal: one train landscape photo becomes a portrait (13 and 15).
    let first = walkdir::WalkDir::new(data.path().join("train/landscape"))
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .find(|e| e.path().extension().is_some_and(|x| x == "jpg"))
        .unwrap();
    let rel = first
        .path()
        .strip_prefix(data.path())
        .unwrap()
        .to_string_lossy()
        .to_string();
    let (code, _, err) = common::run(&["relabel", data.path().to_str().unwrap(), &rel, "portrait"]);
    assert_eq!(code, 0, "{err}");

    let mut h = balance_view(data.path());
    // The seed field shows its default.
    h.get_by_label("Export balanced manifest…");
    assert!(h.query_by_value("0").is_some());

    // The edited labels, the grid's split (train), oversampled with seed 7: 2 x 15 rows.
    h.get_by_label("portrait in train: 15").click();
    h.run_steps(2);
    for _ in 0..100 {
        if h.query_by_label("split train").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run_steps(1);
    }
    h.get_by_label("Oversample").click();
    let app_file = out.path().join("app-over.csv");
    prepare(&mut h, 7, &app_file);
    h.get_by_label("Export balanced manifest…").click();
    wait_for(&mut h, "Wrote 30 rows to");
    wait_for(&mut h, &app_file.display().to_string());
    let cli_file = out.path().join("cli-over.csv");
    cli(
        data.path(),
        "oversample",
        7,
        &cli_file,
        &["--split", "train"],
    );
    let app_text = std::fs::read_to_string(&app_file).unwrap();
    assert_eq!(app_text, std::fs::read_to_string(&cli_file).unwrap());
    assert_eq!(app_text.lines().count(), 31);

    // Every split as one pool, undersampled with seed 3: landscape has 13 + 7 = 20.
    h.get_by_label("all splits").click();
    h.get_by_label("Undersample").click();
    let app_file = out.path().join("app-under.csv");
    prepare(&mut h, 3, &app_file);
    h.get_by_label("Export balanced manifest…").click();
    wait_for(&mut h, "Wrote 40 rows to");
    let cli_file = out.path().join("cli-under.csv");
    cli(data.path(), "undersample", 3, &cli_file, &[]);
    assert_same_text(&app_file, &cli_file);

    // A folder that does not exist: the error names the file.
    let bad = out.path().join("no/such/folder/b.csv");
    prepare(&mut h, 3, &bad);
    h.get_by_label("Export balanced manifest…").click();
    wait_for(&mut h, "Could not write the manifest");
    wait_for(&mut h, &bad.display().to_string());
}

#[test]
fn without_a_dialog_the_export_asks_for_a_path_and_says_nothing_is_written_yet() {
    spotcheck::ui::workers::file_dialog::use_path_fields();
    let data = demo_copy();
    let out = tempfile::tempdir().unwrap();
    let mut h = balance_view(data.path());
    h.get_by_label("Export balanced manifest…").click();
    h.run_steps(2);
    wait_for(
        &mut h,
        "No file dialog can open here (it needs xdg-desktop-portal or zenity).",
    );
    // Waiting for a path is not "writing".
    assert!(h.query_by_label("Choosing a file and writing…").is_none());
    let file = out.path().join("balanced.csv");
    h.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::A);
    h.get_by_role_and_label(eframe::egui::accesskit::Role::TextInput, "Save to")
        .type_text(file.to_str().unwrap());
    h.run_steps(1);
    h.get_by_label("Save").click();
    // The defaults: every split as one pool (the view follows none), undersampled, seed 0: 2 x 21.
    wait_for(&mut h, "Wrote 42 rows to");
    let cli_file = out.path().join("cli.csv");
    cli(data.path(), "undersample", 0, &cli_file, &[]);
    assert_same_text(&file, &cli_file);
}
