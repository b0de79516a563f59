//! Comparing models in the app: the model selector the evaluation views follow (`selector.rs`) and
//! the Compare view beside the grid (`panel.rs`), whose numbers come from
//! `core::analysis::compare` on a worker (`state.rs`). One file per part of the view: the metrics
//! table with bootstrap error bars (`metrics_table.rs`), per-class F1 side by side
//! (`per_class.rs`), the 2×2 table with McNemar's p whose cells pin their samples in the grid
//! (`pair_table.rs`), the confusion-matrix difference (`confusion_diff.rs`) and the reliability
//! diagrams overlaid (`reliability_overlay.rs`). `hooks.rs` wires them into `Browse`.
//!
//! Every painted mark is a widget with an accessible name, so it can be hovered, read by a screen
//! reader and clicked by label in tests.

mod confusion_diff;
pub mod hooks;
mod metrics_table;
mod pair_table;
pub mod panel;
mod per_class;
mod reliability_overlay;
pub mod selector;
pub mod state;

use eframe::egui;

/// The evaluation views' named, clickable rectangle.
use crate::ui::evaluation::hit;

/// Each model's colour, the same in every part of the view (readable on dark and light themes).
pub fn model_colour(m: usize) -> egui::Color32 {
    const COLOURS: [egui::Color32; 6] = [
        egui::Color32::from_rgb(76, 144, 226),
        egui::Color32::from_rgb(240, 160, 60),
        egui::Color32::from_rgb(90, 180, 110),
        egui::Color32::from_rgb(200, 90, 170),
        egui::Color32::from_rgb(150, 150, 150),
        egui::Color32::from_rgb(220, 200, 70),
    ];
    COLOURS[m % COLOURS.len()]
}

/// A small filled square in a model's colour, in line with text (legends and table rows).
fn swatch(ui: &mut egui::Ui, colour: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, colour);
}

/// A metric with three decimals, or "n/a" when it does not apply (hard predictions).
fn metric_text(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"))
}
