//! Label correction under egui_kittest: relabel with a number key, undo and redo (also after a
//! restart), the class counts following every edit, the picker making a new class, multi-select,
//! and accepting a suggestion from the likely-label-errors queue. Each test edits a copy of the demo.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use eframe::egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{demo_copy, harness_with, until, wait_for};

const FILE: &str = "landscape_orientation3.jpg";
const SAMPLE: &str = "train/landscape/landscape_orientation3.jpg";

fn open(dir: &Path) -> Harness<'static, App> {
    open_with(dir, 42)
}

fn open_with(dir: &Path, samples: usize) -> Harness<'static, App> {
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut()
        .open(dir.to_path_buf(), Some(dir.join("predictions.csv")), ctx);
    wait_for(&mut h, &format!("{samples} of {samples} shown"));
    h
}

/// Class counts over all samples as the app holds them (landscape, portrait, ...).
fn counts(h: &Harness<'static, App>) -> Vec<u64> {
    h.state()
        .browse()
        .unwrap()
        .loaded
        .dataset
        .class_counts(None)
}

fn saved(h: &Harness<'static, App>) -> bool {
    h.state()
        .browse()
        .and_then(|b| b.edits.as_ref())
        .is_some_and(|e| !e.saving() && e.error.is_none())
}

#[test]
fn relabel_with_a_key_then_undo_and_redo_update_the_class_counts() {
    let data = demo_copy();
    let mut h = open(data.path());
    h.get_by_label("Evaluation").click();
    h.run_steps(2);
    wait_for(&mut h, "landscape in train: 14");
    assert_eq!(counts(&h), [21, 21]);

    h.get_by_label(FILE).click();
    h.run_steps(2);
    h.get_by_label("Label: landscape");
    // "2" is the second class, portrait.
    h.key_press(Key::Num2);
    h.run_steps(2);
    wait_for(&mut h, "Label: portrait (edited; on disk: landscape)");
    until(&mut h, "the edit saved", saved);
    assert_eq!(counts(&h), [20, 22]);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    until(&mut h, "the undo", |h| counts(h) == [21, 21]);
    wait_for(&mut h, "Label: landscape");
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    until(&mut h, "the redo", |h| counts(h) == [20, 22]);
    // The evaluation views follow every edit: back in the grid the class bar counts 13.
    h.key_press(Key::Escape);
    h.run_steps(2);
    wait_for(&mut h, "landscape in train: 13");
    // In the grid, keys act on the tile under the pointer; undo needs no target.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    until(&mut h, "the undo", |h| counts(h) == [21, 21]);
    wait_for(&mut h, "landscape in train: 14");

    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    until(&mut h, "the redo", |h| counts(h) == [20, 22]);
    wait_for(&mut h, "landscape in train: 13");
    until(&mut h, "the redo saved", saved);

    // A restart: the edit is still there (read from the journal), and undo still works.
    drop(h);
    let mut h = open(data.path());
    assert_eq!(counts(&h), [20, 22]);
    h.get_by_label("Edits (1)").click();
    h.run_steps(2);
    h.get_by_label_contains(&format!("{SAMPLE}: landscape -> portrait"));
    h.get_by_label("Undo").click();
    until(&mut h, "the undo after a restart", |h| {
        counts(h) == [21, 21]
    });
    wait_for(&mut h, "0 pending");
}

#[test]
fn the_picker_makes_a_new_class_for_a_multi_selection() {
    let data = demo_copy();
    let mut h = open(data.path());
    h.get_by_label(FILE).click_modifiers(Modifiers::COMMAND);
    h.get_by_label("landscape_orientation5.jpg")
        .click_modifiers(Modifiers::COMMAND);
    h.run_steps(2);
    wait_for(&mut h, "2 selected");
    h.get_by_label("Relabel selected…").click();
    h.run_steps(2);
    wait_for(&mut h, "Class name");
    h.get_by_label("Class name").type_text("sea view");
    h.run_steps(2);
    h.get_by_label("New class \"sea view\"").click();
    h.run_steps(2);
    until(&mut h, "the new class", |h| counts(h) == [19, 21, 2]);
    until(&mut h, "the edit saved", saved);
    let dataset = &h.state().browse().unwrap().loaded.dataset;
    assert_eq!(dataset.classes(), ["landscape", "portrait", "sea view"]);
    // The CLI reads the same journal.
    let out = common::spotcheck(&["edits", data.path().to_str().unwrap(), "--json"]);
    let edits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(edits["pending"].as_array().unwrap().len(), 2);
    assert_eq!(edits["pending"][0]["to"], "sea view");
}

#[test]
fn a_suggestion_from_the_likely_errors_queue_is_accepted() {
    let data = demo_copy();
    let mut h = open(data.path());
    h.get_by_label("Edits").click();
    h.run_steps(2);
    h.get_by_label("Find likely label errors").click();
    wait_for(&mut h, "Likely label errors:");
    let (queue, num_flagged, num_candidates) = {
        let b = h.state().browse().unwrap();
        let q = b.queue.as_ref().unwrap();
        let queue: Vec<(u32, String, bool)> = q
            .issues
            .iter()
            .map(|i| (i.sample, i.suggested.to_string(), i.flagged))
            .collect();
        (queue, q.num_flagged, q.num_candidates)
    };
    assert!(
        num_flagged > 0,
        "the naive demo model disagrees with some labels"
    );
    // Every candidate is queued, most suspicious first; the flagged ones are confident learning's
    // estimate, which the header states.
    assert_eq!(queue.len() as u64, num_candidates);
    assert_eq!(
        queue.iter().filter(|(_, _, f)| *f).count() as u64,
        num_flagged
    );
    assert!(
        num_flagged < num_candidates,
        "{num_flagged} of {num_candidates}"
    );
    assert!(queue[0].2, "the most suspicious sample is flagged");
    h.get_by_label_contains(&format!(
        "Likely label errors: about {num_flagged} likely errors; all {num_candidates} candidates ranked"
    ));
    h.get_by_label_contains(&format!("about {num_flagged} likely errors among"));
    let (sample, suggested, _) = queue[0].clone();
    let file = h
        .state()
        .browse()
        .unwrap()
        .loaded
        .dataset
        .file(sample as usize)
        .to_string();
    let name = file.rsplit('/').next().unwrap().to_string();
    h.get_by_label(&name).click();
    h.run_steps(2);
    h.get_by_label_contains("Likely error (score");
    assert_eq!(h.state().browse().unwrap().selected, Some(0));
    // A sample past the estimate is in the queue too, shown as not flagged: step to it and back.
    let past = queue.iter().position(|(_, _, f)| !*f).unwrap();
    for _ in 0..past {
        h.key_press(Key::ArrowRight);
        h.run_steps(2);
    }
    assert_eq!(h.state().browse().unwrap().selected, Some(past));
    h.get_by_label_contains("Ranked, not flagged (score");
    for _ in 0..past {
        h.key_press(Key::ArrowLeft);
        h.run_steps(2);
    }
    assert_eq!(h.state().browse().unwrap().selected, Some(0));
    h.get_by_label_contains("Likely error (score");
    h.get_by_label(&format!("Accept {suggested}")).click();
    h.run_steps(2);
    until(&mut h, "the accepted suggestion", |h| {
        let b = h.state().browse().unwrap();
        let d = &b.loaded.dataset;
        d.label(sample as usize).and_then(|c| d.classes().get(c)) == Some(&suggested)
            && b.edits
                .as_ref()
                .is_some_and(|e| e.is_reviewed(sample as usize))
    });
    until(&mut h, "the edit saved", saved);
    // The review progress in the Edits panel counts it.
    wait_for(&mut h, "Reviewed 1 of 42");
    // Accepting moved the inspector on to the next sample of the queue.
    if queue.len() > 1 {
        assert_eq!(h.state().browse().unwrap().selected, Some(1));
    }
    let out = common::spotcheck(&["edits", data.path().to_str().unwrap(), "--json"]);
    let edits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(edits["pending"][0]["file"], file.as_str());
    assert_eq!(edits["pending"][0]["to"], suggested.as_str());
}

#[test]
fn apply_to_dataset_previews_then_moves_the_file_and_reports_a_clash() {
    let data = demo_copy();
    // A file of the same name already in the target folder for the second edit.
    let clash = data
        .path()
        .join("train/portrait/landscape_orientation5.jpg");
    std::fs::copy(
        data.path()
            .join("train/landscape/landscape_orientation5.jpg"),
        &clash,
    )
    .unwrap();
    let mut h = open_with(data.path(), 43);
    h.get_by_label(FILE).click_modifiers(Modifiers::COMMAND);
    // Two tiles now share the name: the landscape one is the first.
    h.get_all_by_label("landscape_orientation5.jpg")
        .next()
        .unwrap()
        .click_modifiers(Modifiers::COMMAND);
    h.run_steps(2);
    wait_for(&mut h, "2 selected");
    h.key_press(Key::Num2);
    until(&mut h, "the edits saved", |h| {
        saved(h) && counts(h) == [19, 24]
    });
    h.run_steps(2);
    h.get_by_label("Edits (2)").click();
    h.run_steps(2);
    h.get_by_label("Apply to dataset…").click();
    h.run_steps(2);
    wait_for(&mut h, "1 of 2 pending edit(s) will be written");
    h.get_by_label(&format!("move {SAMPLE} -> train/portrait/{FILE}"));
    h.get_by_label_contains("landscape_orientation5.jpg: stays pending: train/portrait/landscape_orientation5.jpg already exists");
    h.get_by_label("Apply 1 edit(s)").click();
    // The files changed, so the dataset is read again; the panel still says what happened.
    let moved = format!("train/portrait/{FILE}");
    until(&mut h, "the reload", |h| {
        h.state()
            .browse()
            .is_some_and(|b| b.loaded.base.find(&moved).is_some())
    });
    h.run_steps(2);
    wait_for(
        &mut h,
        "1 edit(s) written into the dataset; 1 still pending",
    );
    wait_for(
        &mut h,
        "1 pending (not yet in the dataset's files), 1 applied",
    );
    assert!(data.path().join(&moved).exists());
    assert!(!data.path().join(SAMPLE).exists());
    assert_eq!(
        counts(&h),
        [19, 24],
        "the clash is still pending, so still shown edited"
    );
}

#[test]
fn an_edit_that_cannot_be_saved_says_so_and_is_not_shown_as_done() {
    let data = demo_copy();
    // Where the journal's folder would go, a file: the journal cannot be created.
    std::fs::write(data.path().join(".spotcheck"), b"not a folder").unwrap();
    let mut h = open(data.path());
    h.get_by_label(FILE).click();
    h.run_steps(2);
    h.key_press(Key::Num2);
    wait_for(&mut h, "NOT SAVED");
    until(&mut h, "the label shown as it is", |h| {
        counts(h) == [21, 21]
    });
    wait_for(&mut h, "Label: landscape");
}

/// The journal's label for `SAMPLE`, read straight from the file (no waiting).
fn journal_label(dir: &Path) -> Option<Option<String>> {
    let location = spotcheck::core::labels::JournalLocation {
        db_path: dir.join(".spotcheck/labels.sqlite3"),
        dataset_key: ".".into(),
    };
    let journal = spotcheck::core::labels::LabelJournal::open_existing(&location).unwrap()?;
    journal.replay().unwrap().current(SAMPLE)
}

#[test]
fn an_edit_sent_just_before_the_app_is_dropped_is_in_the_journal() {
    let data = demo_copy();
    let mut h = open(data.path());
    h.get_by_label(FILE).click();
    h.run_steps(2);
    h.key_press(Key::Num2);
    h.run_steps(2);
    wait_for(&mut h, "Label: portrait (edited; on disk: landscape)");
    until(&mut h, "the first edit saved", saved);
    assert_eq!(journal_label(data.path()), Some(Some("portrait".into())));
    // Another writer holds the journal for half a second, so the next commit has to wait for it.
    let db = data.path().join(".spotcheck/labels.sqlite3");
    let blocker = rusqlite::Connection::open(&db).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        blocker.execute_batch("COMMIT").unwrap();
    });
    h.key_press(Key::Num1);
    h.run_steps(1);
    assert!(
        h.state()
            .browse()
            .and_then(|b| b.edits.as_ref())
            .is_some_and(|e| e.saving()),
        "the edit is still on its way to the journal"
    );
    // Closing the window drops the app: the journal thread is joined, so the edit is on disk now.
    drop(h);
    assert_eq!(journal_label(data.path()), Some(Some("landscape".into())));
    release.join().unwrap();
}
