//! The metrics table: accuracy, macro F1, ECE and NLL per model, each interval drawn as an error
//! bar on a scale shared by the column, so overlapping intervals are seen at a glance.

use eframe::egui;

use super::{hit, metric_text, model_colour, swatch};
use crate::core::analysis::compare::{Comparison, Interval};

/// Width of an error-bar strip.
const BAR_WIDTH: f32 = 110.0;
/// Height of an error-bar strip.
const BAR_HEIGHT: f32 = 14.0;

/// One interval column: its title, and per model the point estimate and interval.
struct Column {
    title: &'static str,
    values: Vec<Option<(f64, Interval)>>,
}

/// Draws the table.
pub fn metrics_table_ui(ui: &mut egui::Ui, comparison: &Comparison) {
    let columns = [
        Column {
            title: "Accuracy",
            values: comparison
                .models
                .iter()
                .map(|m| Some((m.accuracy, m.accuracy_ci)))
                .collect(),
        },
        Column {
            title: "Macro F1",
            values: comparison
                .models
                .iter()
                .map(|m| Some((m.macro_f1, m.macro_f1_ci)))
                .collect(),
        },
        Column {
            title: "ECE",
            values: comparison
                .models
                .iter()
                .map(|m| m.ece.zip(m.ece_ci))
                .collect(),
        },
    ];
    egui::Grid::new("compare-metrics")
        .striped(true)
        .spacing(egui::vec2(14.0, 6.0))
        .show(ui, |ui| {
            ui.strong("Model");
            for c in &columns {
                ui.strong(c.title);
            }
            ui.strong("NLL");
            ui.end_row();
            for (m, model) in comparison.models.iter().enumerate() {
                ui.horizontal(|ui| {
                    swatch(ui, model_colour(m));
                    ui.label(&model.name);
                });
                for c in &columns {
                    let scale = column_scale(&c.values);
                    match c.values.get(m).copied().flatten() {
                        Some((point, ci)) => {
                            interval_cell(ui, &model.name, c.title, point, ci, scale, m);
                        }
                        None => {
                            ui.weak("n/a (hard predictions)");
                        }
                    }
                }
                ui.monospace(metric_text(model.nll));
                ui.end_row();
            }
        });
}

/// The range every interval of a column fits in, padded a little.
fn column_scale(values: &[Option<(f64, Interval)>]) -> (f64, f64) {
    let (lo, hi) = values
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (p, ci)| {
            (lo.min(ci[0]).min(*p), hi.max(ci[1]).max(*p))
        });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.1).max(0.005);
    (lo - pad, hi + pad)
}

/// The value and interval as text over an error bar.
fn interval_cell(
    ui: &mut egui::Ui,
    model: &str,
    metric: &str,
    point: f64,
    ci: Interval,
    (lo, hi): (f64, f64),
    m: usize,
) {
    ui.vertical(|ui| {
        // The estimate over its interval, on two lines: on one line the three numbers made each
        // column ~150 px and pushed NLL past the right edge of the default 640 px panel.
        ui.add(egui::Label::new(egui::RichText::new(format!("{point:.3}")).monospace()).extend());
        ui.add(
            egui::Label::new(
                egui::RichText::new(format!("[{:.3}, {:.3}]", ci[0], ci[1]))
                    .monospace()
                    .weak(),
            )
            .extend(),
        );
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(BAR_WIDTH, BAR_HEIGHT), egui::Sense::hover());
        let x = |v: f64| {
            let t = ((v - lo) / (hi - lo).max(f64::EPSILON)).clamp(0.0, 1.0) as f32;
            rect.left() + 4.0 + t * (rect.width() - 8.0)
        };
        let painter = ui.painter_at(rect);
        let y = rect.center().y;
        let weak = ui.visuals().weak_text_color();
        painter.line_segment(
            [egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)],
            egui::Stroke::new(0.5, weak.gamma_multiply(0.5)),
        );
        let colour = model_colour(m);
        let stroke = egui::Stroke::new(2.0, colour);
        let (x0, x1) = (x(ci[0]), x(ci[1]));
        painter.line_segment([egui::pos2(x0, y), egui::pos2(x1, y)], stroke);
        for xe in [x0, x1] {
            painter.line_segment([egui::pos2(xe, y - 4.0), egui::pos2(xe, y + 4.0)], stroke);
        }
        painter.circle_filled(egui::pos2(x(point), y), 3.5, colour);
        let name = format!(
            "{model} {metric} {point:.3}, 95% interval {:.3} to {:.3}",
            ci[0], ci[1]
        );
        hit(
            ui,
            rect,
            ui.scope_id().with(("ci", model, metric)),
            name.clone(),
        )
        .on_hover_text(name);
    });
}
