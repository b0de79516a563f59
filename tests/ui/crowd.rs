//! Crowd labels in the app: votes on the tiles, the Annotators view (agreement, Dawid–Skene's
//! estimated accuracies, an annotator's samples), the crowd filters, and the disagreement queue
//! where A takes the consensus as the label (a journaled edit) and Ctrl+Z undoes it.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use eframe::egui::accesskit::Role;
use eframe::egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::ui::App;

use crate::common;

use common::ui::{demo_copy, harness_with, until, wait_for};

const DIFFERS: &str = "train/landscape/landscape_orientation0.jpg";
const SPLIT: &str = "train/portrait/portrait_orientation0.jpg";

/// Three annotators who give every demo photo its folder's class, except: all three call
/// `DIFFERS` portrait (the consensus is not its label), and two of three call `SPLIT` landscape
/// (they disagree, and the consensus is not its label either).
fn write_annotations(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("file_name,annotator,label\n");
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if !rel.ends_with(".jpg") {
            continue;
        }
        let truth = rel.split('/').nth(1).unwrap();
        for who in ["a", "b", "c"] {
            let label = match (rel.as_str(), who) {
                (DIFFERS, _) => "portrait",
                (SPLIT, "a" | "b") => "landscape",
                _ => truth,
            };
            text.push_str(&format!("{rel},{who},{label}\n"));
        }
    }
    common::write(dir, "crowd.csv", text)
}

fn label_of(h: &Harness<'static, App>, file: &str) -> Option<String> {
    let d = &h.state().browse().unwrap().loaded.dataset;
    d.find(file)
        .and_then(|i| d.label(i))
        .and_then(|c| d.classes().get(c).cloned())
}

#[test]
fn votes_the_annotators_view_and_accepting_a_consensus_from_the_queue() {
    let data = demo_copy();
    let annotations = write_annotations(data.path());
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut()
        .open_with(data.path().to_path_buf(), None, Some(annotations), ctx);
    wait_for(&mut h, "42 of 42 shown");
    // The tiles carry their votes once the consensus is in; the two odd ones are marked.
    until(&mut h, "the votes on the tiles", |h| {
        h.query_by_value("votes portrait 3/3, not the label")
            .is_some()
    });
    h.get_by_value("votes landscape 2/3, not the label");
    assert!(h.query_all_by_value("votes landscape 3/3").count() > 10);

    // The Annotators view: agreement, then Dawid–Skene's accuracies.
    h.get_by_label("Annotators").click();
    wait_for(&mut h, "Krippendorff's alpha");
    wait_for(&mut h, "Disagreement queue (1 sample)");
    // 40 of the 42 labels are the consensus (DIFFERS and SPLIT are not).
    wait_for(&mut h, "95.2% of 42");
    h.get_by_label("Dawid–Skene").click();
    wait_for(&mut h, "EM iterations");
    // "a" and "b" agree with the consensus everywhere, "c" is the odd one out on SPLIT.
    h.get_by_label("Est. accuracy").click();
    h.run_steps(2);
    h.get_all_by_label("Show").next().unwrap().click();
    wait_for(&mut h, "Showing the samples");
    wait_for(&mut h, "42 of 42");
    wait_for(&mut h, "against the consensus");

    // The filters: consensus differs from the label on exactly two samples.
    h.get_by_label("Back to the filters").click();
    wait_for(&mut h, "42 of 42 shown");
    h.get_by_label("Annotators").click(); // close the view
    h.run_steps(2);
    h.get_by_role_and_label(Role::ComboBox, "Crowd").click();
    h.run_steps(2);
    h.get_by_label("consensus differs from label").click();
    wait_for(&mut h, "2 of 42 shown");
    h.run_steps(2);
    h.get_by_label("Clear filters").click();
    wait_for(&mut h, "42 of 42 shown");

    // The queue: A takes the consensus (landscape) as SPLIT's label; Ctrl+Z undoes it.
    h.get_by_label("Annotators").click();
    wait_for(&mut h, "Disagreement queue (1 sample)");
    h.get_by_label("Disagreement queue (1 sample)").click();
    wait_for(&mut h, "Showing annotator disagreements");
    wait_for(&mut h, "1 of 42");
    h.get_by_label("portrait_orientation0.jpg").click();
    h.run_steps(2);
    wait_for(&mut h, "Consensus: landscape, not the label");
    h.key_press(Key::A);
    until(&mut h, "the accepted consensus", |h| {
        label_of(h, SPLIT).as_deref() == Some("landscape")
    });
    wait_for(&mut h, "Edits (1)");
    // Back from the inspector to the grid, where the Annotators view still is open: its
    // "Consensus = label" follows the edit (41 of 42), then the undo (40 of 42).
    h.key_press(Key::Escape);
    wait_for(&mut h, "97.6% of 42");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    until(&mut h, "the undo", |h| {
        label_of(h, SPLIT).as_deref() == Some("portrait")
    });
    wait_for(&mut h, "95.2% of 42");
}
