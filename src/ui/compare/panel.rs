//! The Compare view: models A and B to pair, then the metrics table, the 2×2 table, per-class F1,
//! the confusion difference and the reliability overlay, all on the samples every model predicts
//! (in the grid's split).

use eframe::egui;

use super::confusion_diff::confusion_diff_ui;
use super::metrics_table::metrics_table_ui;
use super::pair_table::{PickedCell, pair_table_ui};
use super::per_class::per_class_ui;
use super::reliability_overlay::reliability_overlay_ui;
use super::state::CompareState;
use crate::core::analysis::compare::INTERVAL_PERCENTILES;
use crate::core::data::dataset::Dataset;

/// Draws the view for `names` (the loaded models, in order); returns a 2×2 cell that was clicked.
pub fn compare_panel_ui(
    ui: &mut egui::Ui,
    state: &mut CompareState,
    dataset: &Dataset,
    names: &[String],
    split: Option<u32>,
) -> Option<PickedCell> {
    ui.horizontal(|ui| {
        ui.heading("Compare models");
        if state.computing() {
            ui.spinner();
        }
    });
    let scope = split
        .and_then(|s| dataset.splits().get(s as usize))
        .map_or_else(|| "all splits".to_string(), |s| format!("split {s}"));
    ui.weak(format!("Following the grid: {scope}"));
    ui.horizontal(|ui| {
        pair_combo(ui, "Model A", &mut state.pair.0, names);
        ui.add_space(12.0);
        pair_combo(ui, "Model B", &mut state.pair.1, names);
        if ui
            .button("Swap")
            .on_hover_text("Swap models A and B")
            .clicked()
        {
            state.pair = (state.pair.1, state.pair.0);
        }
    });
    if state.pair.0 == state.pair.1 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "Pick two different models as A and B.",
        );
    }
    if let Some(e) = &state.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    let Some(result) = state.result.clone() else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Computing the comparison (1000 bootstrap resamples)…");
        });
        return None;
    };
    ui.separator();
    let mut picked = None;
    egui::ScrollArea::vertical()
        .id_salt("compare-view")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.label(format!(
                "{} labelled samples that every model predicts; {:.0}% percentile bootstrap \
                 intervals over {} resamples",
                result.comparison.num_samples,
                INTERVAL_PERCENTILES.1 - INTERVAL_PERCENTILES.0,
                state.resamples
            ));
            ui.add_space(4.0);
            metrics_table_ui(ui, &result.comparison);
            ui.add_space(12.0);
            ui.strong("Who is right where");
            picked = pair_table_ui(ui, &result, names);
            ui.add_space(12.0);
            egui::CollapsingHeader::new("Per-class F1")
                .default_open(true)
                .show(ui, |ui| {
                    per_class_ui(ui, dataset.classes(), names, &result.details);
                });
            let (a, b) = (result.pair.a, result.pair.b);
            if let (Some(da), Some(db)) = (result.details.get(a), result.details.get(b)) {
                egui::CollapsingHeader::new("Confusion matrix difference (B - A)")
                    .default_open(true)
                    .show(ui, |ui| {
                        let name = |m: usize| names.get(m).map_or("?", String::as_str);
                        confusion_diff_ui(ui, dataset.classes(), (name(a), name(b)), da, db);
                    });
            }
            egui::CollapsingHeader::new("Reliability diagrams overlaid")
                .default_open(true)
                .show(ui, |ui| {
                    reliability_overlay_ui(ui, names, &result.details);
                });
        });
    picked
}

/// A combo box choosing one of the models.
fn pair_combo(ui: &mut egui::Ui, label: &str, value: &mut usize, names: &[String]) {
    let shown = ui.label(label);
    egui::ComboBox::from_id_salt(label)
        .selected_text(names.get(*value).map_or("", String::as_str))
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                ui.selectable_value(value, i, name);
            }
        })
        .response
        .labelled_by(shown.id);
}
