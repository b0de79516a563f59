//! The 2×2 table of models A and B on the common samples (both right, only A right, only B right,
//! both wrong) with McNemar's exact p. A click on a cell shows exactly its samples in the grid: the
//! samples where the models disagree are where to look.

use eframe::egui;

use super::hit;
use super::state::{CompareResult, PairCell};
use crate::core::analysis::compare::Interval;

/// Edge of a cell.
const CELL: egui::Vec2 = egui::vec2(150.0, 44.0);

/// A cell that was clicked: its title and samples, for the grid to pin.
pub struct PickedCell {
    /// What the grid says it shows ("model_a right, model_b wrong").
    pub title: String,
    /// Exactly the cell's samples, in dataset order.
    pub samples: Vec<u32>,
}

/// Draws the table and the test; returns the cell clicked.
pub fn pair_table_ui(
    ui: &mut egui::Ui,
    result: &CompareResult,
    names: &[String],
) -> Option<PickedCell> {
    let (a, b) = (result.pair.a, result.pair.b);
    let name = |m: usize| names.get(m).map_or("?", String::as_str);
    let (counts, p) = result.pair_counts()?;
    let mut picked = None;
    ui.label(format!("A = {}, B = {}", name(a), name(b)));
    egui::Grid::new("compare-pair")
        .spacing(egui::vec2(6.0, 6.0))
        .show(ui, |ui| {
            ui.label("");
            ui.strong("B right");
            ui.strong("B wrong");
            ui.end_row();
            for (row, title) in ["A right", "A wrong"].into_iter().enumerate() {
                ui.strong(title);
                for col in 0..2 {
                    let cell = PairCell::ALL[row * 2 + col];
                    let n = counts.get(cell.index()).copied().unwrap_or(0);
                    if cell_ui(ui, cell, n, row != col) {
                        let samples = result.pair.samples[cell.index()].clone();
                        let title = match cell {
                            PairCell::BothRight => {
                                format!("the samples {} and {} both get right", name(a), name(b))
                            }
                            PairCell::OnlyARight => {
                                format!("the samples {} gets right and {} wrong", name(a), name(b))
                            }
                            PairCell::OnlyBRight => {
                                format!("the samples {} gets wrong and {} right", name(a), name(b))
                            }
                            PairCell::BothWrong => {
                                format!("the samples {} and {} both get wrong", name(a), name(b))
                            }
                        };
                        picked = Some(PickedCell { title, samples });
                    }
                }
                ui.end_row();
            }
        });
    let (only_a, only_b) = (counts[1], counts[2]);
    let verdict = if p < 0.05 {
        "the models differ at the 5% level"
    } else {
        "no significant difference at the 5% level"
    };
    ui.label(format!(
        "McNemar exact p = {} ({only_a} vs {only_b} discordant samples): {verdict}",
        format_p(p)
    ))
    .on_hover_text(
        "The exact two-sided binomial test on the samples exactly one model gets right \
         (statsmodels mcnemar(exact=True))",
    );
    if let Some(diff) = result.pair_diff() {
        ui.label(format!(
            "accuracy(A) - accuracy(B): 95% interval {}",
            interval_text(diff)
        ))
        .on_hover_text(
            "Paired bootstrap over the same resamples as the models' intervals: \
             a difference is significant when the interval excludes 0",
        );
    }
    picked
}

/// One clickable cell; the discordant cells are tinted. Returns whether it was clicked.
fn cell_ui(ui: &mut egui::Ui, cell: PairCell, n: u64, discordant: bool) -> bool {
    let (rect, _) = ui.allocate_exact_size(CELL, egui::Sense::hover());
    let name = format!("{}: {n}", cell.title());
    let response = hit(ui, rect, ui.scope_id().with(("pair", cell.index())), name)
        .on_hover_text("Click to show exactly these samples in the grid");
    let visuals = ui.visuals();
    let fill = if discordant {
        visuals.selection.bg_fill.gamma_multiply(0.45)
    } else {
        visuals.faint_bg_color
    };
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, fill);
    if response.hovered() {
        painter.rect_stroke(
            rect,
            4.0,
            egui::Stroke::new(1.5, visuals.strong_text_color()),
            egui::StrokeKind::Inside,
        );
    }
    painter.text(
        rect.center() - egui::vec2(0.0, 8.0),
        egui::Align2::CENTER_CENTER,
        n.to_string(),
        egui::FontId::proportional(16.0),
        visuals.strong_text_color(),
    );
    painter.text(
        rect.center() + egui::vec2(0.0, 11.0),
        egui::Align2::CENTER_CENTER,
        cell.title(),
        egui::FontId::proportional(11.0),
        visuals.weak_text_color(),
    );
    response.clicked()
}

/// A p-value with 4 significant digits, in scientific notation when tiny.
fn format_p(p: f64) -> String {
    if p >= 1e-4 {
        format!("{p:.4}")
    } else {
        format!("{p:.2e}")
    }
}

/// `[lo, hi]` with signs.
fn interval_text(ci: Interval) -> String {
    format!("[{:+.3}, {:+.3}]", ci[0], ci[1])
}
