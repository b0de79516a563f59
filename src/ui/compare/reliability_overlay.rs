//! Every model's reliability diagram on one plot (accuracy against mean confidence per bin, on the
//! common samples): the model whose line stays nearer the diagonal is the better calibrated.

use eframe::egui;

use super::state::ModelDetail;
use super::{hit, model_colour, swatch};

/// Edge of the square plot.
const PLOT: f32 = 260.0;
/// Room for the axis labels.
const MARGIN: f32 = 34.0;

/// Draws the overlay of the models that have probabilities.
pub fn reliability_overlay_ui(ui: &mut egui::Ui, names: &[String], details: &[ModelDetail]) {
    let soft: Vec<usize> = (0..details.len())
        .filter(|&m| details[m].reliability.is_some())
        .collect();
    if soft.is_empty() {
        ui.label("No model has probabilities (all are hard class names): no reliability to draw.");
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for (m, name) in names.iter().enumerate() {
            swatch(ui, model_colour(m));
            match details.get(m).and_then(|d| d.reliability.as_ref()) {
                Some(r) => ui.label(format!("{name} (ECE {:.3})", r.ece)),
                None => ui.weak(format!("{name}: hard predictions, not drawn")),
            };
            ui.add_space(8.0);
        }
    });
    let (area, _) = ui.allocate_exact_size(
        egui::vec2(PLOT + MARGIN + 8.0, PLOT + MARGIN),
        egui::Sense::hover(),
    );
    let plot = egui::Rect::from_min_size(
        area.min + egui::vec2(MARGIN, 4.0),
        egui::vec2(PLOT, PLOT - 4.0),
    );
    let painter = ui.painter_at(area);
    let visuals = ui.visuals();
    let weak = visuals.weak_text_color();
    let at = |conf: f64, acc: f64| {
        egui::pos2(
            plot.left() + plot.width() * conf.clamp(0.0, 1.0) as f32,
            plot.bottom() - plot.height() * acc.clamp(0.0, 1.0) as f32,
        )
    };
    painter.rect_stroke(
        plot,
        0.0,
        egui::Stroke::new(1.0, weak),
        egui::StrokeKind::Inside,
    );
    painter.add(egui::Shape::dashed_line(
        &[at(0.0, 0.0), at(1.0, 1.0)],
        egui::Stroke::new(1.0, weak),
        5.0,
        4.0,
    ));
    let font = egui::FontId::proportional(10.0);
    for tick in [0.0, 0.5, 1.0] {
        painter.text(
            at(tick, 0.0) + egui::vec2(0.0, 3.0),
            egui::Align2::CENTER_TOP,
            format!("{tick:.1}"),
            font.clone(),
            weak,
        );
        painter.text(
            at(0.0, tick) - egui::vec2(4.0, 0.0),
            egui::Align2::RIGHT_CENTER,
            format!("{tick:.1}"),
            font.clone(),
            weak,
        );
    }
    painter.text(
        egui::pos2(plot.center().x, area.bottom()),
        egui::Align2::CENTER_BOTTOM,
        "mean confidence",
        font.clone(),
        weak,
    );
    painter.text(
        egui::pos2(area.left(), plot.top()),
        egui::Align2::LEFT_TOP,
        "acc.",
        font,
        weak,
    );
    for &m in &soft {
        let Some(diagram) = details.get(m).and_then(|d| d.reliability.as_ref()) else {
            continue;
        };
        let colour = model_colour(m);
        let points: Vec<(egui::Pos2, String)> = diagram
            .bins
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| {
                let name = names.get(m).map_or("?", String::as_str);
                (
                    at(b.confidence, b.accuracy),
                    format!(
                        "{name} bin ({:.2}, {:.2}]: accuracy {:.3}, confidence {:.3}, {} samples",
                        b.lower, b.upper, b.accuracy, b.confidence, b.count
                    ),
                )
            })
            .collect();
        painter.add(egui::Shape::line(
            points.iter().map(|(p, _)| *p).collect(),
            egui::Stroke::new(2.0, colour),
        ));
        for (j, (p, name)) in points.into_iter().enumerate() {
            painter.circle_filled(p, 3.5, colour);
            let rect = egui::Rect::from_center_size(p, egui::vec2(9.0, 9.0));
            hit(ui, rect, ui.scope_id().with(("rel", m, j)), name.clone()).on_hover_text(name);
        }
    }
}
