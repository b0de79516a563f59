//! Per-class F1 of every model side by side: one row per class, one bar per model, so a class one
//! model handles and another does not stands out even when the overall numbers are close.

use eframe::egui;

use super::state::ModelDetail;
use super::{hit, model_colour};

/// Width of a class's bar strip.
const STRIP_WIDTH: f32 = 160.0;
/// Height of one model's bar.
const BAR_HEIGHT: f32 = 7.0;

/// Draws the table (class names, F1 per model as number and bar, support).
pub fn per_class_ui(
    ui: &mut egui::Ui,
    classes: &[String],
    names: &[String],
    details: &[ModelDetail],
) {
    egui::Grid::new("compare-per-class")
        .striped(true)
        .spacing(egui::vec2(12.0, 4.0))
        .show(ui, |ui| {
            ui.strong("Class");
            for name in names {
                ui.strong(format!("F1 {name}"));
            }
            ui.strong("");
            ui.strong("Support");
            ui.end_row();
            for (k, class) in classes.iter().enumerate() {
                ui.label(class);
                let f1: Vec<Option<f64>> = details
                    .iter()
                    .map(|d| d.report.per_class.get(k).map(|c| c.f1))
                    .collect();
                for v in &f1 {
                    ui.monospace(v.map_or_else(|| "-".into(), |v| format!("{v:.3}")));
                }
                let height = BAR_HEIGHT * details.len() as f32 + 2.0;
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(STRIP_WIDTH, height), egui::Sense::hover());
                let painter = ui.painter_at(rect);
                painter.rect_filled(rect, 1.0, ui.visuals().extreme_bg_color);
                for (m, v) in f1.iter().enumerate() {
                    let v = v.unwrap_or(0.0).clamp(0.0, 1.0) as f32;
                    let top = rect.top() + 1.0 + BAR_HEIGHT * m as f32;
                    let bar = egui::Rect::from_min_size(
                        egui::pos2(rect.left(), top),
                        egui::vec2(rect.width() * v, BAR_HEIGHT - 1.0),
                    );
                    painter.rect_filled(bar, 0.0, model_colour(m));
                }
                let summary = names
                    .iter()
                    .zip(&f1)
                    .map(|(n, v)| format!("{n} {}", v.map_or("-".into(), |v| format!("{v:.3}"))))
                    .collect::<Vec<_>>()
                    .join(", ");
                let name = format!("F1 of {class}: {summary}");
                hit(ui, rect, ui.scope_id().with(("f1", k)), name.clone()).on_hover_text(name);
                let support = details
                    .first()
                    .and_then(|d| d.report.per_class.get(k))
                    .map_or(0, |c| c.support);
                ui.monospace(support.to_string());
                ui.end_row();
            }
        });
}
