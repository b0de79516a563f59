//! Class balance: a horizontal bar per class (readable with 100 classes), stacked or grouped by
//! split, sorted by count or name, with the imbalance ratio stated. A click on a bar filters the grid
//! to that class and split; a click on a class name, to that class in every split.

use eframe::egui;

use super::{GridFilter, abbreviate, hit, series_colour};
use crate::core::analysis::evaluation::EvaluationViews;
use crate::core::data::dataset::Dataset;

/// How the bars are sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BalanceSort {
    /// Largest class first.
    #[default]
    Count,
    /// By class name.
    Name,
}

/// The view's settings.
pub struct BalanceState {
    /// Sort order.
    pub sort: BalanceSort,
    /// Splits side by side instead of stacked.
    pub grouped: bool,
    /// The effective-number weights' beta.
    pub beta: f64,
    /// "Export balanced manifest…": its settings and the write in flight.
    pub export: super::balance_export::BalanceExport,
}

impl Default for BalanceState {
    fn default() -> Self {
        Self {
            sort: BalanceSort::default(),
            grouped: false,
            beta: crate::core::analysis::balance::DEFAULT_BETA,
            export: Default::default(),
        }
    }
}

const ROW: f32 = 22.0;
const NAME_WIDTH: f32 = 130.0;

impl BalanceState {
    /// Draws the view; returns a filter when a bar was clicked, and the chart's rect (for export).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        dataset: &Dataset,
        views: &EvaluationViews,
    ) -> (Option<GridFilter>, Option<egui::Rect>) {
        let classes = dataset.classes();
        let splits = dataset.splits();
        let counts = &views.class_counts;
        let totals: Vec<u64> = (0..classes.len())
            .map(|c| counts.iter().map(|r| r.get(c).copied().unwrap_or(0)).sum())
            .collect();
        let all: u64 = totals.iter().sum();
        if classes.is_empty() || all == 0 {
            ui.label("No labelled samples: nothing to count. (Unlabelled samples have no class.)");
            return (None, None);
        }
        ui.horizontal(|ui| {
            ui.label("Sort:");
            ui.selectable_value(&mut self.sort, BalanceSort::Count, "by count");
            ui.selectable_value(&mut self.sort, BalanceSort::Name, "by name");
            if splits.len() > 1 {
                ui.separator();
                ui.selectable_value(&mut self.grouped, false, "stacked");
                ui.selectable_value(&mut self.grouped, true, "grouped");
            }
        });
        ui.label(imbalance_text(classes, &totals));
        let totals_ref = &totals;
        let empty_in_split: Vec<String> = splits
            .iter()
            .enumerate()
            .flat_map(|(s, split)| {
                classes
                    .iter()
                    .enumerate()
                    .filter(move |&(c, _)| {
                        counts.get(s).and_then(|r| r.get(c)) == Some(&0) && totals_ref[c] > 0
                    })
                    .map(move |(_, class)| format!("{class} in {split}"))
            })
            .collect();
        if !empty_in_split.is_empty() {
            let more = empty_in_split.len().saturating_sub(6);
            let mut text = format!(
                "No samples: {}",
                empty_in_split
                    .iter()
                    .take(6)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if more > 0 {
                text.push_str(&format!(" and {more} more"));
            }
            ui.colored_label(ui.visuals().warn_fg_color, text);
        }
        if splits.len() > 1 {
            ui.horizontal_wrapped(|ui| {
                for (s, name) in splits.iter().enumerate() {
                    let (r, _) =
                        ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter().rect_filled(r, 2.0, series_colour(s));
                    ui.label(name);
                }
            });
        }
        let mut order: Vec<usize> = (0..classes.len()).collect();
        match self.sort {
            BalanceSort::Count => order.sort_by(|&a, &b| totals[b].cmp(&totals[a]).then(a.cmp(&b))),
            BalanceSort::Name => {}
        }
        let max = totals.iter().copied().max().unwrap_or(1).max(1);
        let series = counts.len();
        let row_height = if self.grouped && series > 1 {
            (8.0 * series as f32).max(ROW)
        } else {
            ROW
        };
        let width = (ui.available_width() - NAME_WIDTH - 70.0).max(120.0);
        let (chart, _) = ui.allocate_exact_size(
            egui::vec2(NAME_WIDTH + width + 70.0, row_height * order.len() as f32),
            egui::Sense::hover(),
        );
        let painter = ui.painter_at(chart);
        let text_colour = ui.visuals().text_color();
        let group_max = counts
            .iter()
            .flat_map(|r| r.iter().copied())
            .max()
            .unwrap_or(1)
            .max(1);
        let mut filter = None;
        for (row, &c) in order.iter().enumerate() {
            let top = chart.min.y + row as f32 * row_height;
            let name_rect = egui::Rect::from_min_size(
                egui::pos2(chart.min.x, top),
                egui::vec2(NAME_WIDTH - 6.0, row_height),
            );
            painter.text(
                egui::pos2(name_rect.max.x, name_rect.center().y),
                egui::Align2::RIGHT_CENTER,
                abbreviate(&classes[c], 18),
                egui::FontId::proportional(12.0),
                text_colour,
            );
            let name_hit = hit(
                ui,
                name_rect,
                ui.scope_id().with(("balance-class", c)),
                format!("class {}", classes[c]),
            )
            .on_hover_text(format!(
                "{}: {} samples ({:.1}% of {all}). Click to show them.",
                classes[c],
                totals[c],
                100.0 * totals[c] as f64 / all as f64
            ));
            if name_hit.clicked() {
                filter = Some(GridFilter {
                    split: Some(None),
                    label: Some(c as u32),
                    ..Default::default()
                });
            }
            let mut x = chart.min.x + NAME_WIDTH;
            for (s, split_counts) in counts.iter().enumerate() {
                let n = split_counts.get(c).copied().unwrap_or(0);
                let (rect, next_x) = if self.grouped && series > 1 {
                    let h = (row_height - 4.0) / series as f32;
                    let w = width * n as f32 / group_max as f32;
                    let y = top + 2.0 + h * s as f32;
                    (
                        egui::Rect::from_min_size(
                            egui::pos2(chart.min.x + NAME_WIDTH, y),
                            egui::vec2(w, h - 1.0),
                        ),
                        x,
                    )
                } else {
                    let w = width * n as f32 / max as f32;
                    (
                        egui::Rect::from_min_size(
                            egui::pos2(x, top + 3.0),
                            egui::vec2(w, row_height - 6.0),
                        ),
                        x + w,
                    )
                };
                x = next_x;
                if n == 0 {
                    continue;
                }
                painter.rect_filled(rect, 1.0, series_colour(s));
                let split_name = dataset.splits().get(s).cloned();
                let label = match &split_name {
                    Some(split) => format!("{} in {split}: {n}", classes[c]),
                    None => format!("{}: {n}", classes[c]),
                };
                let in_split_total: u64 = split_counts.iter().sum();
                let hover = format!(
                    "{label} samples\n{:.1}% of this class, {:.1}% of {}\nClick to show them.",
                    100.0 * n as f64 / totals[c].max(1) as f64,
                    100.0 * n as f64 / in_split_total.max(1) as f64,
                    split_name.as_deref().unwrap_or("the dataset"),
                );
                if hit(ui, rect, ui.scope_id().with(("balance-bar", c, s)), label)
                    .on_hover_text(hover)
                    .clicked()
                {
                    filter = Some(GridFilter {
                        split: Some(split_name.is_some().then_some(s as u32)),
                        label: Some(c as u32),
                        ..Default::default()
                    });
                }
            }
            let end = if self.grouped && series > 1 {
                chart.min.x
                    + NAME_WIDTH
                    + width * group_max_row(counts, c) as f32 / group_max as f32
            } else {
                x
            };
            painter.text(
                egui::pos2(end + 4.0, top + row_height / 2.0),
                egui::Align2::LEFT_CENTER,
                format!(
                    "{} ({:.1}%)",
                    totals[c],
                    100.0 * totals[c] as f64 / all as f64
                ),
                egui::FontId::proportional(11.0),
                ui.visuals().weak_text_color(),
            );
        }
        super::weights::weights_ui(ui, classes, &totals, &mut self.beta);
        (filter, Some(chart))
    }
}

fn group_max_row(counts: &[Vec<u64>], c: usize) -> u64 {
    counts
        .iter()
        .map(|r| r.get(c).copied().unwrap_or(0))
        .max()
        .unwrap_or(0)
}

/// "Imbalance ratio 3.20 (largest: a, 320; smallest: b, 100)", or why there is none.
fn imbalance_text(classes: &[String], totals: &[u64]) -> String {
    if classes.len() == 1 {
        return format!(
            "One class only ({}): there is no balance to check; a classifier needs at least two.",
            classes[0]
        );
    }
    let (mut big, mut small) = (0, 0);
    for (c, &n) in totals.iter().enumerate() {
        if n > totals[big] {
            big = c;
        }
        if n <= totals[small] {
            small = c;
        }
    }
    if totals[small] == 0 {
        return format!(
            "Imbalance ratio: undefined, {} has no labelled samples (largest: {}, {})",
            classes[small], classes[big], totals[big]
        );
    }
    format!(
        "Imbalance ratio (largest / smallest class): {:.2}  (largest: {}, {}; smallest: {}, {})",
        totals[big] as f64 / totals[small] as f64,
        classes[big],
        totals[big],
        classes[small],
        totals[small]
    )
}
