//! Soft labels set by hand in the app: the inspector's "Soft label…" editor records one through the
//! journal, the inspector shows it as bars, the tile carries "soft CLASS P", Ctrl+Z undoes it, and
//! it survives a restart. Each test edits a copy of the demo.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use eframe::egui::accesskit::Role;
use eframe::egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use spotcheck::core::labels::SoftLabel;
use spotcheck::ui::App;

use crate::common;

use common::ui::{demo_copy, harness_with, until, wait_for};

const FILE: &str = "landscape_orientation3.jpg";
const SAMPLE: &str = "train/landscape/landscape_orientation3.jpg";

fn open(dir: &Path) -> Harness<'static, App> {
    let mut h = harness_with(App::default(), 1600.0, 1000.0);
    let ctx = h.ctx.clone();
    h.state_mut().open(dir.to_path_buf(), None, ctx);
    wait_for(&mut h, "42 of 42 shown");
    h
}

/// The hand soft label the app holds for `SAMPLE`, once saved.
fn soft(h: &Harness<'static, App>) -> Option<SoftLabel> {
    let b = h.state().browse()?;
    let i = b.loaded.dataset.find(SAMPLE)?;
    let e = b.edits.as_ref()?;
    if e.saving() {
        return None;
    }
    e.soft(i).cloned()
}

fn tile_value(h: &Harness<'static, App>) -> Option<String> {
    h.query_by_label(FILE).and_then(|n| n.value())
}

#[test]
fn soften_in_the_inspector_shows_on_the_tile_and_ctrl_z_undoes_it() {
    let data = demo_copy();
    let mut h = open(data.path());
    assert_eq!(tile_value(&h), None);
    h.get_by_label(FILE).click();
    h.run_steps(2);
    wait_for(&mut h, "Label: landscape");
    h.get_by_label("Soft label…").click();
    h.run_steps(2);
    // The editor starts with the label at full weight; 0.6 landscape, 0.4 portrait.
    h.get_by_role_and_label(Role::Slider, "landscape")
        .set_value_accesskit(0.6);
    h.run_steps(1);
    h.get_by_role_and_label(Role::Slider, "portrait")
        .set_value_accesskit(0.4);
    h.run_steps(2);
    wait_for(&mut h, "Saves: landscape 0.6 / portrait 0.4");
    h.get_by_label("Save soft label").click();
    until(&mut h, "the soft label saved", |h| soft(h).is_some());
    let want = SoftLabel::new([
        ("landscape".to_string(), 0.6),
        ("portrait".to_string(), 0.4),
    ])
    .unwrap();
    assert_eq!(soft(&h), Some(want.clone()));
    // The hard label is untouched; the inspector shows the soft label as bars.
    wait_for(&mut h, "Soft label (set by hand):");
    h.get_by_label("Label: landscape");
    h.get_by_label_contains("portrait 0.40");

    // Back in the grid, the tile says so.
    h.key_press(Key::Escape);
    h.run_steps(2);
    until(&mut h, "the tile's soft line", |h| {
        tile_value(h).as_deref() == Some("soft landscape 0.6")
    });

    // Ctrl+Z undoes it like any edit.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    until(&mut h, "the undo", |h| {
        h.state()
            .browse()
            .and_then(|b| b.edits.as_ref())
            .is_some_and(|e| !e.saving() && !e.any_soft())
    });
    until(&mut h, "the tile without its soft line", |h| {
        tile_value(h).is_none()
    });

    // Redo, then a restart: read back from the journal; Clear soft label removes it.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    until(&mut h, "the redo", |h| soft(h).is_some());
    drop(h);
    let mut h = open(data.path());
    assert_eq!(soft(&h), Some(want));
    assert_eq!(tile_value(&h).as_deref(), Some("soft landscape 0.6"));
    h.get_by_label(FILE).click();
    h.run_steps(2);
    h.get_by_label("Clear soft label").click();
    until(&mut h, "the clear", |h| {
        h.state()
            .browse()
            .and_then(|b| b.edits.as_ref())
            .is_some_and(|e| !e.saving() && !e.any_soft())
    });
}
