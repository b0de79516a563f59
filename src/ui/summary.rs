//! The summary view: headline metrics, class balance with per-class scores, and the load's
//! warnings.

use eframe::egui;

use super::loaded::Loaded;

/// Draws the summary of a loaded dataset.
pub fn summary_ui(ui: &mut egui::Ui, loaded: &Loaded) {
    let ds = &loaded.dataset;
    let Some(report) = &loaded.report else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Computing metrics and calibration…");
        });
        return;
    };
    ui.heading(loaded.path.display().to_string());
    let splits = if ds.splits().is_empty() {
        "no splits".to_string()
    } else {
        format!("splits: {}", ds.splits().join(", "))
    };
    ui.label(format!(
        "{} samples, {} classes, {splits}",
        ds.len(),
        ds.classes().len()
    ));
    match &loaded.predictions {
        Some(p) => ui.label(format!(
            "Predictions {}: {} rows matched, {} unmatched",
            p.path().display(),
            p.matched(),
            p.unmatched()
        )),
        None => ui.label("No predictions loaded"),
    };
    if let Some(refused) = &report.metrics_refused {
        ui.colored_label(ui.visuals().warn_fg_color, refused.to_string());
    }
    if let Some(m) = &report.metrics {
        ui.add_space(6.0);
        egui::Grid::new("headline")
            .num_columns(2)
            .spacing([24.0, 4.0])
            .show(ui, |ui| {
                let mut row = |name: &str, value: String| {
                    ui.label(name);
                    ui.strong(value);
                    ui.end_row();
                };
                row(
                    "Accuracy",
                    format!("{:.4} on {} samples", m.accuracy, m.num_samples),
                );
                row(
                    "Macro F1 / weighted F1",
                    format!("{:.4} / {:.4}", m.macro_f1, m.weighted_f1),
                );
                if let Some(c) = &report.calibration {
                    row(
                        "ECE / MCE",
                        format!("{:.4} / {:.4} ({} bins)", c.ece, c.mce, c.num_bins),
                    );
                    row("NLL / Brier", format!("{:.4} / {:.4}", c.nll, c.brier));
                    row(
                        "Temperature",
                        format!(
                            "{:.3}: ECE {:.4} -> {:.4} after scaling",
                            c.temperature, c.ece, c.ece_after_temperature
                        ),
                    );
                }
            });
    }
    ui.separator();
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("class_counts")
            .striped(true)
            .spacing([24.0, 4.0])
            .show(ui, |ui| {
                ui.strong("Class");
                for (key, _) in &report.class_counts.0 {
                    ui.strong(key);
                }
                if report.metrics.is_some() {
                    for title in ["Precision", "Recall", "F1"] {
                        ui.strong(title);
                    }
                }
                ui.end_row();
                for (ci, class) in ds.classes().iter().enumerate() {
                    ui.label(class);
                    for (_, counts) in &report.class_counts.0 {
                        ui.label(counts.get(ci).map_or(0, |(_, n)| *n).to_string());
                    }
                    if let Some(pc) = report.metrics.as_ref().and_then(|m| m.per_class.get(ci)) {
                        for v in [pc.precision, pc.recall, pc.f1] {
                            ui.label(format!("{v:.3}"));
                        }
                    }
                    ui.end_row();
                }
            });
        if !loaded.warnings.is_empty() {
            ui.separator();
            ui.strong(format!("Warnings ({})", loaded.warnings.items().len()));
            for w in loaded.warnings.items() {
                ui.label(w.to_string());
            }
        }
    });
}
