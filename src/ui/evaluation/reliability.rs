//! The reliability diagram (Guo et al. 2017): per-bin accuracy against confidence with the diagonal,
//! the gap to it shaded, and the confidence histogram beneath; ECE, MCE, NLL and Brier stated. With
//! temperature scaling on, T is fitted on one split and applied to the grid's split, and the scaled
//! bins are drawn over the given ones. Top-label by default, class-wise for a chosen class. A click
//! on a bin filters the grid to its samples.

use eframe::egui;

use super::{GridFilter, hit};
use crate::core::analysis::evaluation::EvaluationViews;
use crate::core::analysis::metrics::ReliabilityDiagram;
use crate::core::analysis::view::ProbabilityBin;
use crate::core::data::dataset::Dataset;

/// The view's settings.
#[derive(Debug, Clone)]
pub struct ReliabilityState {
    /// Number of bins.
    pub bins: usize,
    /// The split T is fitted on: `None` follows the grid's split; `Some(None)` is all samples.
    pub fit_split: Option<Option<u32>>,
    /// Class-wise reliability of this class (`None`: top-label).
    pub class_wise: Option<u32>,
    /// Whether the temperature-scaled curve and T are shown.
    pub temperature: bool,
}

impl ReliabilityState {
    /// Defaults: `bins` bins, top-label, temperature off.
    pub fn new(bins: usize) -> Self {
        Self {
            bins,
            fit_split: None,
            class_wise: None,
            temperature: false,
        }
    }

    /// Draws the view; returns a filter when a bin was clicked, and the plot's rect.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        dataset: &Dataset,
        views: &EvaluationViews,
    ) -> (Option<GridFilter>, Option<egui::Rect>) {
        let classes = dataset.classes();
        let splits = dataset.splits();
        ui.horizontal(|ui| {
            ui.add(egui::Slider::new(&mut self.bins, 2..=50).text("bins"));
            ui.separator();
            let shown = match self.class_wise {
                None => "top label".to_string(),
                Some(k) => format!(
                    "class-wise: {}",
                    classes.get(k as usize).map_or("?", String::as_str)
                ),
            };
            let label = ui.label("View:");
            egui::ComboBox::from_id_salt("reliability-class")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.class_wise, None, "top label");
                    for (k, name) in classes.iter().enumerate() {
                        ui.selectable_value(
                            &mut self.class_wise,
                            Some(k as u32),
                            format!("class-wise: {name}"),
                        );
                    }
                })
                .response
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.temperature, "Temperature scaling");
            if self.temperature {
                let label = ui.label("fit T on");
                let name = |s: Option<u32>| {
                    s.and_then(|s| splits.get(s as usize))
                        .map_or_else(|| "all samples".to_string(), |n| format!("split {n}"))
                };
                let shown = match self.fit_split {
                    None => "the grid's split".to_string(),
                    Some(s) => name(s),
                };
                egui::ComboBox::from_id_salt("fit-split")
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.fit_split, None, "the grid's split");
                        ui.selectable_value(&mut self.fit_split, Some(None), "all samples");
                        for (s, n) in splits.iter().enumerate() {
                            ui.selectable_value(
                                &mut self.fit_split,
                                Some(Some(s as u32)),
                                format!("split {n}"),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
        });
        let Some(cal) = &views.calibration else {
            let why = if views.scored == 0 {
                "No labelled sample with a prediction here: pick another split in the grid's filters."
            } else {
                "The split T is fitted on has no labelled sample with a prediction: pick another."
            };
            ui.label(why);
            return (None, None);
        };
        let d = &cal.reliability;
        let kind = match self.class_wise.and_then(|k| classes.get(k as usize)) {
            None => "top-label confidence".to_string(),
            Some(name) => format!("P({name}) against label = {name}"),
        };
        ui.label(format!(
            "ECE {:.4}   MCE {:.4}   NLL {:.4}   Brier {:.4}   ({} bins, {} samples, {kind})",
            d.ece,
            d.mce,
            cal.nll,
            cal.brier,
            d.bins.len(),
            d.total
        ));
        if self.temperature {
            let fit_on = views
                .request
                .fit_split
                .and_then(|s| splits.get(s as usize))
                .map_or_else(|| "all samples".to_string(), |n| format!("split {n}"));
            ui.colored_label(
                AFTER,
                format!(
                    "T = {:.4} (fitted on {fit_on}, {} samples): ECE {:.4} -> {:.4}, NLL {:.4} -> {:.4}",
                    cal.temperature, cal.fit_samples, d.ece, cal.reliability_after.ece, cal.nll, cal.nll_after
                ),
            );
        }
        let side = (ui.available_width() - 60.0).clamp(220.0, 560.0);
        let (area, _) =
            ui.allocate_exact_size(egui::vec2(side + 60.0, side + 130.0), egui::Sense::hover());
        let filter = self.plot(
            ui,
            area,
            d,
            self.temperature.then_some(&cal.reliability_after),
        );
        (filter, Some(area))
    }

    fn plot(
        &self,
        ui: &egui::Ui,
        area: egui::Rect,
        d: &ReliabilityDiagram,
        after: Option<&ReliabilityDiagram>,
    ) -> Option<GridFilter> {
        let painter = ui.painter_at(area);
        let v = ui.visuals();
        let side = area.width() - 60.0;
        let plot =
            egui::Rect::from_min_size(area.min + egui::vec2(48.0, 8.0), egui::vec2(side, side));
        let hist = egui::Rect::from_min_size(
            egui::pos2(plot.min.x, plot.max.y + 40.0),
            egui::vec2(side, 60.0),
        );
        let x = |c: f64| plot.min.x + side * c as f32;
        let y = |a: f64| plot.max.y - side * a as f32;
        let font = egui::FontId::proportional(11.0);
        painter.rect_filled(plot, 0.0, v.extreme_bg_color);
        for t in 0..=5 {
            let f = f64::from(t) / 5.0;
            painter.line_segment(
                [egui::pos2(x(f), plot.max.y), egui::pos2(x(f), plot.min.y)],
                egui::Stroke::new(0.5, v.faint_bg_color),
            );
            painter.line_segment(
                [egui::pos2(plot.min.x, y(f)), egui::pos2(plot.max.x, y(f))],
                egui::Stroke::new(0.5, v.faint_bg_color),
            );
            painter.text(
                egui::pos2(x(f), plot.max.y + 3.0),
                egui::Align2::CENTER_TOP,
                format!("{f:.1}"),
                font.clone(),
                v.weak_text_color(),
            );
            painter.text(
                egui::pos2(plot.min.x - 4.0, y(f)),
                egui::Align2::RIGHT_CENTER,
                format!("{f:.1}"),
                font.clone(),
                v.weak_text_color(),
            );
        }
        painter.text(
            egui::pos2(plot.center().x, plot.max.y + 17.0),
            egui::Align2::CENTER_TOP,
            "confidence",
            font.clone(),
            v.text_color(),
        );
        painter.text(
            egui::pos2(area.min.x, plot.min.y),
            egui::Align2::LEFT_TOP,
            "accuracy",
            font.clone(),
            v.text_color(),
        );
        let bar = egui::Color32::from_rgb(76, 144, 226);
        let gap = egui::Color32::from_rgba_unmultiplied(220, 60, 60, 110);
        let max_count = d.bins.iter().map(|b| b.count).max().unwrap_or(1).max(1);
        let mut filter = None;
        for (i, b) in d.bins.iter().enumerate() {
            let column = egui::Rect::from_x_y_ranges(
                x(b.lower) + 1.0..=x(b.upper) - 1.0,
                plot.min.y..=hist.max.y,
            );
            if b.count > 0 {
                painter.rect_filled(
                    egui::Rect::from_x_y_ranges(
                        x(b.lower) + 1.0..=x(b.upper) - 1.0,
                        y(b.accuracy)..=plot.max.y,
                    ),
                    0.0,
                    bar,
                );
                let (lo, hi) = if b.accuracy < b.confidence {
                    (b.accuracy, b.confidence)
                } else {
                    (b.confidence, b.accuracy)
                };
                painter.rect_filled(
                    egui::Rect::from_x_y_ranges(x(b.lower) + 1.0..=x(b.upper) - 1.0, y(hi)..=y(lo)),
                    0.0,
                    gap,
                );
            }
            let h = hist.height() * b.count as f32 / max_count as f32;
            painter.rect_filled(
                egui::Rect::from_x_y_ranges(
                    x(b.lower) + 1.0..=x(b.upper) - 1.0,
                    hist.max.y - h..=hist.max.y,
                ),
                0.0,
                v.weak_text_color(),
            );
            let name = format!("bin ({:.2}, {:.2}]: {} samples", b.lower, b.upper, b.count);
            let mut hover = format!(
                "{name}\nmean confidence {:.3}, accuracy {:.3}, gap {:.3}",
                b.confidence,
                b.accuracy,
                (b.accuracy - b.confidence).abs()
            );
            if let Some(a) = after.and_then(|a| a.bins.get(i)) {
                hover.push_str(&format!(
                    "\nafter temperature: {} samples, accuracy {:.3}",
                    a.count, a.accuracy
                ));
            }
            hover.push_str("\nClick to show them.");
            let response =
                hit(ui, column, ui.scope_id().with(("rel-bin", i)), name).on_hover_text(hover);
            if response.hovered() {
                painter.rect_stroke(
                    column,
                    0.0,
                    egui::Stroke::new(1.5, v.strong_text_color()),
                    egui::StrokeKind::Inside,
                );
            }
            if response.clicked() {
                filter = Some(GridFilter {
                    probability_bin: Some(ProbabilityBin {
                        class: self.class_wise,
                        bin: i,
                        bins: d.bins.len(),
                    }),
                    ..Default::default()
                });
            }
        }
        painter.line_segment(
            [egui::pos2(x(0.0), y(0.0)), egui::pos2(x(1.0), y(1.0))],
            egui::Stroke::new(1.5, v.text_color()),
        );
        if let Some(a) = after {
            let points: Vec<egui::Pos2> = a
                .bins
                .iter()
                .filter(|b| b.count > 0)
                .map(|b| egui::pos2(x(b.confidence), y(b.accuracy)))
                .collect();
            painter.add(egui::Shape::line(
                points.clone(),
                egui::Stroke::new(2.0, AFTER),
            ));
            for p in points {
                painter.circle_filled(p, 3.5, AFTER);
            }
        }
        painter.text(
            egui::pos2(hist.min.x, hist.min.y - 14.0),
            egui::Align2::LEFT_TOP,
            format!("samples per bin (tallest: {max_count})"),
            font.clone(),
            v.weak_text_color(),
        );
        // Legend.
        let legend_y = plot.min.y + 6.0;
        let mut lx = plot.min.x + 8.0;
        let mut key = |colour: egui::Color32, text: &str| {
            painter.rect_filled(
                egui::Rect::from_min_size(egui::pos2(lx, legend_y), egui::vec2(10.0, 10.0)),
                1.0,
                colour,
            );
            let r = painter.text(
                egui::pos2(lx + 14.0, legend_y - 1.0),
                egui::Align2::LEFT_TOP,
                text,
                font.clone(),
                v.text_color(),
            );
            lx = r.max.x + 12.0;
        };
        key(bar, "accuracy");
        key(gap, "gap to diagonal");
        if after.is_some() {
            key(AFTER, "after temperature");
        }
        filter
    }
}

/// The colour of the temperature-scaled curve.
const AFTER: egui::Color32 = egui::Color32::from_rgb(240, 150, 40);
