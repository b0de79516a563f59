//! The distribution of the strategy's scores over every candidate, under the Label next bar: painted
//! bars (binned on the ranking worker, not per frame), the batch's score range shaded, each bar a
//! widget named "scores A–B: N candidates" so it can be hovered, read by a screen reader and found
//! by tests.

use eframe::egui;

use crate::core::analysis::label_next::LabelNext;

const HEIGHT: f32 = 48.0;
const MAX_WIDTH: f32 = 420.0;

/// The accessible name of bin `b` of `bins` holding `n` candidates.
pub fn bar_label(b: usize, bins: usize, n: u64) -> String {
    let (lo, hi) = (b as f64 / bins as f64, (b + 1) as f64 / bins as f64);
    let what = if n == 1 { "candidate" } else { "candidates" };
    format!("scores {lo:.2}–{hi:.2}: {n} {what}")
}

/// Draws the histogram of `ranking` (nothing when it has no candidates).
pub fn histogram_ui(ui: &mut egui::Ui, ranking: &LabelNext) {
    let bins = ranking.histogram.len();
    let max = ranking.histogram.iter().copied().max().unwrap_or(0);
    if bins == 0 || max == 0 {
        return;
    }
    let batch_range = ranking
        .samples
        .iter()
        .map(|c| c.score)
        .fold(None, |r: Option<(f64, f64)>, s| {
            Some(r.map_or((s, s), |(lo, hi)| (lo.min(s), hi.max(s))))
        });
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} scores of all {} candidates",
            ranking.strategy.name(),
            ranking.num_candidates
        ));
        if let Some((lo, hi)) = batch_range {
            ui.weak(format!("(shaded: this batch, {lo:.3}–{hi:.3})"));
        }
    });
    let width = ui.available_width().clamp(120.0, MAX_WIDTH);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, HEIGHT + 14.0), egui::Sense::hover());
    let plot = egui::Rect::from_min_size(rect.min, egui::vec2(width, HEIGHT));
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(plot, 2.0, visuals.extreme_bg_color);
    let x_of = |s: f64| plot.min.x + plot.width() * s.clamp(0.0, 1.0) as f32;
    if let Some((lo, hi)) = batch_range {
        let band = egui::Rect::from_min_max(
            egui::pos2(x_of(lo) - 1.0, plot.min.y),
            egui::pos2(x_of(hi) + 1.0, plot.max.y),
        );
        painter.rect_filled(band, 0.0, visuals.selection.bg_fill.gamma_multiply(0.35));
    }
    let step = plot.width() / bins as f32;
    let fill = egui::Color32::from_rgb(76, 144, 226);
    for (b, &n) in ranking.histogram.iter().enumerate() {
        let x0 = plot.min.x + step * b as f32;
        let column = egui::Rect::from_min_max(
            egui::pos2(x0, plot.min.y),
            egui::pos2(x0 + step, plot.max.y),
        );
        if n > 0 {
            let h = (HEIGHT - 2.0) * n as f32 / max as f32;
            let bar = egui::Rect::from_min_max(
                egui::pos2(x0 + 1.0, plot.max.y - h.max(1.0)),
                egui::pos2(x0 + step - 1.0, plot.max.y),
            );
            painter.rect_filled(bar, 1.0, fill);
        }
        let name = bar_label(b, bins, n);
        let response = ui.interact(
            column,
            ui.scope_id().with(("label-next-histogram", b)),
            egui::Sense::hover(),
        );
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Image, true, &name));
        response.on_hover_text(name);
    }
    let small = egui::FontId::proportional(10.0);
    let weak = visuals.weak_text_color();
    for (s, align) in [
        (0.0, egui::Align2::LEFT_TOP),
        (0.5, egui::Align2::CENTER_TOP),
        (1.0, egui::Align2::RIGHT_TOP),
    ] {
        painter.text(
            egui::pos2(x_of(s), plot.max.y + 1.0),
            align,
            format!("{s}"),
            small.clone(),
            weak,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_names_give_the_range_and_count() {
        assert_eq!(bar_label(2, 20, 2), "scores 0.10–0.15: 2 candidates");
        assert_eq!(bar_label(19, 20, 1), "scores 0.95–1.00: 1 candidate");
    }
}
