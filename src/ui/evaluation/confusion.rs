//! The confusion matrix as a heatmap (true class = row, predicted = column), raw or normalised by
//! row (recall) or column (precision), with a cell-size slider for 100 classes, abbreviated names
//! with the full name on hover, and a click on a cell filtering the grid to exactly its samples.
//! Beside it, a sortable per-class table with accuracy and macro / weighted F1.

use eframe::egui;

use super::{GridFilter, hit};
use crate::core::analysis::evaluation::EvaluationViews;
use crate::core::data::dataset::Dataset;

/// What the colour of a cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Normalise {
    /// Counts.
    Counts,
    /// Each row sums to 1: the diagonal is the recall (the default: a large class does not wash
    /// out the colours of the small ones).
    #[default]
    Rows,
    /// Each column sums to 1: the diagonal is the precision.
    Columns,
}

/// The per-class table's sort column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TableSort {
    /// Class order.
    #[default]
    Class,
    /// Precision, lowest first.
    Precision,
    /// Recall, lowest first.
    Recall,
    /// F1, lowest first.
    F1,
    /// Support, largest first.
    Support,
}

/// The view's settings.
#[derive(Debug, Clone)]
pub struct ConfusionState {
    /// What the colours show.
    pub normalise: Normalise,
    /// Cell edge in points (`None`: fit the panel).
    pub cell: Option<f32>,
    /// Table order.
    pub sort: TableSort,
}

impl Default for ConfusionState {
    fn default() -> Self {
        Self {
            normalise: Normalise::Rows,
            cell: None,
            sort: TableSort::Class,
        }
    }
}

const LABEL_SPACE: f32 = 96.0;

impl ConfusionState {
    /// Draws the view; returns a filter when a cell was clicked, and the matrix's rect.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        dataset: &Dataset,
        views: &EvaluationViews,
    ) -> (Option<GridFilter>, Option<egui::Rect>) {
        if let Some(refused) = &views.refused {
            ui.label(refused.to_string());
            return (None, None);
        }
        let Some(report) = &views.classification else {
            ui.label("No labelled sample with a prediction here: nothing to compare. Pick another split in the grid's filters.");
            return (None, None);
        };
        let classes = dataset.classes();
        let k = classes.len();
        let cm = &report.confusion;
        ui.horizontal(|ui| {
            ui.label("Colour:");
            ui.selectable_value(&mut self.normalise, Normalise::Counts, "counts");
            ui.selectable_value(&mut self.normalise, Normalise::Rows, "by row (recall)");
            ui.selectable_value(
                &mut self.normalise,
                Normalise::Columns,
                "by column (precision)",
            );
        });
        let fit = ((ui.available_width() - LABEL_SPACE - 8.0) / k.max(1) as f32).clamp(10.0, 64.0);
        let mut cell = self.cell.unwrap_or(fit);
        ui.horizontal(|ui| {
            if ui
                .add(egui::Slider::new(&mut cell, 8.0..=80.0).text("cell size"))
                .changed()
            {
                self.cell = Some(cell);
            }
            if self.cell.is_some() && ui.button("Fit").clicked() {
                self.cell = None;
            }
        });
        ui.label(format!(
            "Accuracy {:.4} on {} samples; macro F1 {:.4}, weighted F1 {:.4}",
            report.accuracy, report.num_samples, report.macro_f1, report.weighted_f1
        ));
        let row_sums: Vec<u64> = (0..k).map(|t| cm.row(t).iter().sum()).collect();
        let col_sums: Vec<u64> = (0..k).map(|p| (0..k).map(|t| cm.get(t, p)).sum()).collect();
        let total = cm.total().max(1);
        let max_count = (0..k)
            .flat_map(|t| (0..k).map(move |p| (t, p)))
            .map(|(t, p)| cm.get(t, p))
            .max()
            .unwrap_or(1)
            .max(1);
        let size = egui::vec2(
            LABEL_SPACE + cell * k as f32,
            LABEL_SPACE + cell * k as f32 + 18.0,
        );
        let (area, _) = ui.allocate_exact_size(size, egui::Sense::hover());
        let painter = ui.painter_at(area);
        let origin = area.min + egui::vec2(LABEL_SPACE, LABEL_SPACE);
        let font = egui::FontId::proportional(11.0);
        let text = ui.visuals().text_color();
        painter.text(
            egui::pos2(origin.x, area.min.y),
            egui::Align2::LEFT_TOP,
            "predicted",
            font.clone(),
            ui.visuals().weak_text_color(),
        );
        painter.text(
            egui::pos2(area.min.x, origin.y - 14.0),
            egui::Align2::LEFT_TOP,
            "true",
            font.clone(),
            ui.visuals().weak_text_color(),
        );
        super::paint_class_names(&painter, origin, cell, classes, LABEL_SPACE, text);
        for (i, name) in classes.iter().enumerate() {
            let row_rect = egui::Rect::from_min_size(
                egui::pos2(area.min.x, origin.y + cell * i as f32),
                egui::vec2(LABEL_SPACE - 2.0, cell),
            );
            ui.interact(
                row_rect,
                ui.scope_id().with(("cm-row", i)),
                egui::Sense::hover(),
            )
            .on_hover_text(format!("true {name}: {} samples", row_sums[i]));
            let col_rect = egui::Rect::from_min_size(
                egui::pos2(origin.x + cell * i as f32, area.min.y + 14.0),
                egui::vec2(cell, LABEL_SPACE - 16.0),
            );
            ui.interact(
                col_rect,
                ui.scope_id().with(("cm-col", i)),
                egui::Sense::hover(),
            )
            .on_hover_text(format!("predicted {name}: {} samples", col_sums[i]));
        }
        let mut filter = None;
        for t in 0..k {
            for p in 0..k {
                let n = cm.get(t, p);
                let share = match self.normalise {
                    Normalise::Counts => n as f64 / max_count as f64,
                    Normalise::Rows => n as f64 / row_sums[t].max(1) as f64,
                    Normalise::Columns => n as f64 / col_sums[p].max(1) as f64,
                };
                let rect = egui::Rect::from_min_size(
                    origin + egui::vec2(cell * p as f32, cell * t as f32),
                    egui::vec2(cell, cell),
                );
                painter.rect_filled(rect.shrink(0.5), 0.0, heat(share, t == p));
                if cell >= 26.0 && n > 0 {
                    let label = match self.normalise {
                        Normalise::Counts => n.to_string(),
                        _ => format!("{:.0}%", 100.0 * share),
                    };
                    let colour = if share > 0.55 {
                        egui::Color32::WHITE
                    } else {
                        egui::Color32::from_gray(30)
                    };
                    painter.text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        label,
                        font.clone(),
                        colour,
                    );
                }
                let name = format!("true {}, predicted {}: {n}", classes[t], classes[p]);
                let hover = format!(
                    "{name} samples\n{:.1}% of true {} (row), {:.1}% of predicted {} (column), {:.2}% of all\nClick to show them.",
                    100.0 * n as f64 / row_sums[t].max(1) as f64,
                    classes[t],
                    100.0 * n as f64 / col_sums[p].max(1) as f64,
                    classes[p],
                    100.0 * n as f64 / total as f64,
                );
                let response =
                    hit(ui, rect, ui.scope_id().with(("cm-cell", t, p)), name).on_hover_text(hover);
                if response.hovered() {
                    painter.rect_stroke(
                        rect,
                        0.0,
                        egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
                        egui::StrokeKind::Inside,
                    );
                }
                if response.clicked() {
                    filter = Some(GridFilter {
                        label: Some(t as u32),
                        predicted: Some(p as u32),
                        ..Default::default()
                    });
                }
            }
        }
        ui.add_space(8.0);
        self.table_ui(ui, classes, report);
        (filter, Some(area))
    }

    fn table_ui(
        &mut self,
        ui: &mut egui::Ui,
        classes: &[String],
        report: &crate::core::analysis::metrics::ClassificationReport,
    ) {
        ui.strong("Per class (click a heading to sort)");
        let mut order: Vec<usize> = (0..classes.len()).collect();
        let pc = &report.per_class;
        let by = |f: fn(&crate::core::analysis::metrics::ClassMetrics) -> f64| {
            move |a: &usize, b: &usize| f(&pc[*a]).total_cmp(&f(&pc[*b])).then(a.cmp(b))
        };
        match self.sort {
            TableSort::Class => {}
            TableSort::Precision => order.sort_by(by(|m| m.precision)),
            TableSort::Recall => order.sort_by(by(|m| m.recall)),
            TableSort::F1 => order.sort_by(by(|m| m.f1)),
            TableSort::Support => {
                order.sort_by(|a, b| pc[*b].support.cmp(&pc[*a].support).then(a.cmp(b)))
            }
        }
        egui::Grid::new("per-class-table")
            .striped(true)
            .num_columns(5)
            .spacing([18.0, 3.0])
            .show(ui, |ui| {
                for (sort, name) in [
                    (TableSort::Class, "class"),
                    (TableSort::Precision, "precision"),
                    (TableSort::Recall, "recall"),
                    (TableSort::F1, "F1"),
                    (TableSort::Support, "support"),
                ] {
                    let text = if self.sort == sort {
                        format!("{name} v")
                    } else {
                        name.to_string()
                    };
                    if ui.selectable_label(self.sort == sort, text).clicked() {
                        self.sort = sort;
                    }
                }
                ui.end_row();
                for &c in &order {
                    let m = &pc[c];
                    ui.label(&classes[c]);
                    ui.monospace(format!("{:.4}", m.precision));
                    ui.monospace(format!("{:.4}", m.recall));
                    ui.monospace(format!("{:.4}", m.f1));
                    ui.monospace(m.support.to_string());
                    ui.end_row();
                }
            });
    }
}

/// White to blue for a share in [0, 1]; the diagonal in green so correct predictions stand out.
fn heat(share: f64, diagonal: bool) -> egui::Color32 {
    let s = share.clamp(0.0, 1.0) as f32;
    let (r, g, b) = if diagonal {
        (40.0, 150.0, 80.0)
    } else {
        (30.0, 90.0, 200.0)
    };
    let mix = |to: f32| (245.0 + (to - 245.0) * s) as u8;
    egui::Color32::from_rgb(mix(r), mix(g), mix(b))
}
