//! The confusion-matrix difference B - A on the common samples: a diverging heatmap (orange where B
//! has more samples than A, blue where fewer, white where equal) with a legend. On the diagonal
//! orange is B getting more right; off it, orange is B making more of that mistake.

use eframe::egui;

use super::hit;
use super::state::ModelDetail;
use crate::ui::evaluation::paint_class_names;

/// Room for the class names left of and above the cells.
const LABEL_SPACE: f32 = 90.0;
/// Width of the legend's colour ramp.
const LEGEND_WIDTH: f32 = 180.0;

/// Draws the difference of `b` minus `a`.
pub fn confusion_diff_ui(
    ui: &mut egui::Ui,
    classes: &[String],
    names: (&str, &str),
    a: &ModelDetail,
    b: &ModelDetail,
) {
    let k = classes.len();
    let (ca, cb) = (&a.report.confusion, &b.report.confusion);
    let diff = |t: usize, p: usize| cb.get(t, p) as i64 - ca.get(t, p) as i64;
    let max = (0..k)
        .flat_map(|t| (0..k).map(move |p| (t, p)))
        .map(|(t, p)| diff(t, p).unsigned_abs())
        .max()
        .unwrap_or(0)
        .max(1);
    ui.label(format!(
        "{} - {}: true class = row, predicted = column",
        names.1, names.0
    ));
    legend_ui(ui, max, names);
    let cell = ((ui.available_width() - LABEL_SPACE - 8.0) / k.max(1) as f32).clamp(10.0, 48.0);
    let size = egui::vec2(LABEL_SPACE + cell * k as f32, LABEL_SPACE + cell * k as f32);
    let (area, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let painter = ui.painter_at(area);
    let origin = area.min + egui::vec2(LABEL_SPACE, LABEL_SPACE);
    let font = egui::FontId::proportional(11.0);
    let text = ui.visuals().text_color();
    paint_class_names(&painter, origin, cell, classes, LABEL_SPACE, text);
    for t in 0..k {
        for p in 0..k {
            let d = diff(t, p);
            let rect = egui::Rect::from_min_size(
                origin + egui::vec2(cell * p as f32, cell * t as f32),
                egui::vec2(cell, cell),
            );
            let share = d as f64 / max as f64;
            painter.rect_filled(rect.shrink(0.5), 0.0, diverging(share));
            if t == p {
                painter.rect_stroke(
                    rect.shrink(0.5),
                    0.0,
                    egui::Stroke::new(1.0, egui::Color32::from_gray(110)),
                    egui::StrokeKind::Inside,
                );
            }
            if cell >= 26.0 && d != 0 {
                let colour = if share.abs() > 0.6 {
                    egui::Color32::WHITE
                } else {
                    egui::Color32::from_gray(30)
                };
                painter.text(
                    rect.center(),
                    egui::Align2::CENTER_CENTER,
                    format!("{d:+}"),
                    font.clone(),
                    colour,
                );
            }
            let (class_t, class_p) = (&classes[t], &classes[p]);
            let name = format!("true {class_t}, predicted {class_p}: B - A = {d:+}");
            let hover = format!(
                "{name}\n{}: {}, {}: {}",
                names.0,
                ca.get(t, p),
                names.1,
                cb.get(t, p)
            );
            hit(ui, rect, ui.scope_id().with(("cm-diff", t, p)), name).on_hover_text(hover);
        }
    }
}

/// The colour ramp from -max to +max, with its ends named.
fn legend_ui(ui: &mut egui::Ui, max: u64, names: (&str, &str)) {
    ui.horizontal(|ui| {
        ui.label(format!("-{max}"));
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(LEGEND_WIDTH, 12.0), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        let steps = 36;
        let w = rect.width() / steps as f32;
        for s in 0..steps {
            let share = (s as f64 + 0.5) / steps as f64 * 2.0 - 1.0;
            let r = egui::Rect::from_min_size(
                egui::pos2(rect.left() + w * s as f32, rect.top()),
                egui::vec2(w + 0.5, rect.height()),
            );
            painter.rect_filled(r, 0.0, diverging(share));
        }
        ui.label(format!("+{max}"));
    });
    ui.weak(format!(
        "Blue: fewer samples in {} than in {}; orange: more; white: as many.",
        names.1, names.0
    ));
}

/// Blue (-1) through white (0) to orange (+1).
fn diverging(share: f64) -> egui::Color32 {
    let s = share.clamp(-1.0, 1.0) as f32;
    let (r, g, b) = if s < 0.0 {
        (40.0, 100.0, 200.0)
    } else {
        (225.0, 120.0, 30.0)
    };
    let t = s.abs();
    let mix = |to: f32| (245.0 + (to - 245.0) * t) as u8;
    egui::Color32::from_rgb(mix(r), mix(g), mix(b))
}
