//! Precision–recall curves of one class against the rest, for one model or several overlaid, with
//! average precision in the legend. The curves and AP come from `core::analysis::precision_recall`
//! (scikit-learn's `precision_recall_curve` and `average_precision_score`), computed on this view's
//! own worker thread. Drawn with egui_plot (drag to pan, Ctrl+scroll or a right-drag box to zoom,
//! double-click to reset); the points are named, hoverable widgets on top of the plot: hover says the
//! threshold, a click filters the grid to the samples predicted positive there (score >= threshold).

use std::sync::Arc;

use eframe::egui;
use egui_plot::{Corner, Legend, Line, Plot, PlotPoint, PlotTransform, log_grid_spacer};

use super::{GridFilter, hit, series_colour};
use crate::core::analysis::metrics::scored_samples;
use crate::core::analysis::precision_recall::{
    PrCurve, average_precision_of, pr_curve_from_keys, radix_sort, score_key,
};
use crate::core::analysis::view::ScoreAtLeast;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;
use crate::ui::workers::latest::{LatestWorker, Staleness};

/// A model as the view takes it: its name (legend, point names) and its predictions.
pub type Model = (String, Arc<Predictions>);

/// Named, clickable points drawn per curve at most (a long curve is sampled evenly by index; the
/// pointer still reaches every point: a click on the plot takes the nearest one).
const MAX_MARKERS: usize = 60;

/// Points per curve handed to egui_plot at most (a million-sample curve drawn every frame would be
/// slow; a few thousand are more than the plot's pixels).
const MAX_DRAWN: usize = 4000;

/// One model's curve for the chosen class.
#[derive(Debug, Clone)]
pub struct ModelCurve {
    /// The model's name.
    pub name: String,
    /// The curve as core computes it (`None`: hard predictions, nothing to rank by).
    pub curve: Option<PrCurve>,
    /// Average precision from core (`None`: no positive sample, or hard predictions).
    pub average_precision: Option<f64>,
    /// Samples predicted positive at each threshold (score >= it), in the curve's threshold order:
    /// what a click on that point shows.
    pub predicted_positive: Vec<u64>,
    /// Samples scored (labelled, with a prediction, in the grid's split).
    pub scored: usize,
}

/// The curves of every model for one class, and what they answer.
#[derive(Debug, Clone)]
pub struct PrCurves {
    /// The class against the rest.
    pub class: u32,
    /// The grid's split the curves follow.
    pub split: Option<u32>,
    /// The data generation (labels, predictions) they were computed from.
    pub generation: u64,
    /// One per model, in the models' order.
    pub models: Vec<ModelCurve>,
}

/// What the worker computes from.
struct Request {
    dataset: Arc<Dataset>,
    models: Vec<Model>,
    class: u32,
    split: Option<u32>,
    generation: u64,
}

/// The curves of `class` against the rest for each model, over the labelled samples with a
/// prediction in `split` (`None`: all), scored by the model's probability of `class`.
pub fn compute_curves(
    dataset: &Dataset,
    labels: &[u32],
    models: &[Model],
    class: u32,
    split: Option<u32>,
) -> Vec<ModelCurve> {
    let in_split = |i: usize| split.is_none_or(|s| dataset.split_ids().get(i) == Some(&s));
    models
        .iter()
        .map(|(name, p)| {
            let scored = scored_samples(labels, p, in_split);
            let mut model = ModelCurve {
                name: name.clone(),
                curve: None,
                average_precision: None,
                predicted_positive: Vec::new(),
                scored: scored.len(),
            };
            if !p.has_probabilities() {
                return model;
            }
            let (mut pos, mut neg) = (Vec::new(), Vec::with_capacity(scored.len()));
            for s in &scored {
                // The same number the grid's filter compares: exp of the stored log probability.
                let score = p
                    .row_log_probabilities(s.row as usize)
                    .get(class as usize)
                    .map_or(0.0, |z| z.exp());
                if s.label == class {
                    pos.push(score_key(score));
                } else {
                    neg.push(score_key(score));
                }
            }
            let mut all: Vec<u64> = pos.iter().chain(&neg).copied().collect();
            radix_sort(&mut all);
            let curve = pr_curve_from_keys(pos, neg);
            model.predicted_positive = curve
                .thresholds
                .iter()
                .map(|&t| {
                    let key = score_key(t);
                    (all.len() - all.partition_point(|&k| k < key)) as u64
                })
                .collect();
            model.average_precision = average_precision_of(&curve);
            model.curve = Some(curve);
            model
        })
        .collect()
}

/// The view's settings, its worker and the last curves.
#[derive(Default)]
pub struct PrCurveState {
    /// The class drawn against the rest.
    pub class: u32,
    worker: Option<LatestWorker<Request, Arc<PrCurves>>>,
    asked: Option<(u32, Option<u32>, u64)>,
    latest: Option<Arc<PrCurves>>,
}

impl PrCurveState {
    /// The curves on screen (the last computed).
    pub fn curves(&self) -> Option<&PrCurves> {
        self.latest.as_deref()
    }

    /// The curves on screen, shared (an export thread writes them out).
    pub fn shared_curves(&self) -> Option<Arc<PrCurves>> {
        self.latest.clone()
    }

    /// Whether the curves on screen answer the current class, split and data.
    pub fn is_current(&self) -> bool {
        self.latest
            .as_ref()
            .is_some_and(|c| Some((c.class, c.split, c.generation)) == self.asked)
    }

    /// Asks the worker for new curves when the class, split or data changed; takes finished ones.
    fn sync(
        &mut self,
        ctx: &egui::Context,
        dataset: &Arc<Dataset>,
        models: &[Model],
        generation: u64,
        split: Option<u32>,
    ) {
        if self.worker.is_none() {
            let waker = ctx.clone();
            self.worker = LatestWorker::new(
                "precision-recall",
                |r: Request, _: &Staleness| {
                    let models =
                        compute_curves(&r.dataset, r.dataset.labels(), &r.models, r.class, r.split);
                    Arc::new(PrCurves {
                        class: r.class,
                        split: r.split,
                        generation: r.generation,
                        models,
                    })
                },
                move || waker.request_repaint(),
            )
            .ok();
        }
        let Some(worker) = &mut self.worker else {
            return;
        };
        if let Some(curves) = worker.poll() {
            self.latest = Some(curves);
        }
        let key = (self.class, split, generation);
        if self.asked != Some(key) {
            worker.request(Request {
                dataset: Arc::clone(dataset),
                models: models.to_vec(),
                class: self.class,
                split,
                generation,
            });
            self.asked = Some(key);
        }
    }

    /// Draws the view: class selector, the plot with its points, the legend with AP. The first
    /// model is the one the grid holds, so its points filter the grid; returns the filter and the
    /// plot's rect.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        dataset: &Arc<Dataset>,
        models: &[Model],
        generation: u64,
        split: Option<u32>,
    ) -> (Option<GridFilter>, Option<egui::Rect>) {
        let classes = dataset.classes();
        if self.class as usize >= classes.len() {
            self.class = 0;
        }
        self.sync(ui.ctx(), dataset, models, generation, split);
        ui.horizontal(|ui| {
            let label = ui.label("Class");
            egui::ComboBox::from_id_salt("pr-class")
                .selected_text(classes.get(self.class as usize).map_or("?", String::as_str))
                .show_ui(ui, |ui| {
                    for (k, name) in classes.iter().enumerate() {
                        ui.selectable_value(&mut self.class, k as u32, name);
                    }
                })
                .response
                .labelled_by(label.id);
            ui.weak("against the rest");
            if !self.is_current() {
                ui.spinner();
            }
        });
        let Some(curves) = self.latest.clone() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Computing…");
            });
            return (None, None);
        };
        let class_name = classes
            .get(curves.class as usize)
            .map_or("?", String::as_str);
        for (k, m) in curves.models.iter().enumerate() {
            let text = match (&m.curve, m.average_precision) {
                (None, _) => format!(
                    "{}: hard predictions (a prediction column), no scores to draw a curve from",
                    m.name
                ),
                (Some(_), None) => format!("{} AP – (no {class_name} sample scored)", m.name),
                (Some(c), Some(ap)) => format!(
                    "{} AP {ap:.3} ({} of {} scored samples are {class_name})",
                    m.name, c.positives, m.scored
                ),
            };
            ui.colored_label(series_colour(k), text);
        }
        if curves.models.iter().all(|m| m.curve.is_none()) {
            return (None, None);
        }
        ui.weak(
            "Hover a point for its threshold; click one to show the samples predicted positive \
             there. Drag to pan, Ctrl+scroll to zoom, double-click to reset.",
        );
        let plot = Plot::new("pr-curve")
            .height(360.0)
            .include_x(0.0)
            .include_x(1.0)
            .include_y(0.0)
            .include_y(1.05)
            .x_axis_label("Recall")
            .y_axis_label("Precision")
            // Steps of 0.2 (then 0.04, ...) rather than the default tenths, whose labels egui_plot
            // hides at this width: with them the axes said only 0 and 1.
            .x_grid_spacer(log_grid_spacer(5))
            .y_grid_spacer(log_grid_spacer(5))
            .allow_scroll(false)
            .show_x(false)
            .show_y(false)
            // Bottom left: a precision–recall curve rarely goes there (top right is where it ends).
            .legend(Legend::default().position(Corner::LeftBottom))
            .show(ui, |plot_ui| {
                for (k, m) in curves.models.iter().enumerate() {
                    let Some(c) = &m.curve else { continue };
                    let legend = match m.average_precision {
                        Some(ap) => format!("{} AP {ap:.3}", m.name),
                        None => m.name.clone(),
                    };
                    plot_ui.line(
                        Line::new(legend, step_points(c, MAX_DRAWN))
                            .color(series_colour(k))
                            .width(2.0),
                    );
                }
            });
        let rect = plot.response.rect;
        let filter = self.points_ui(ui, &curves, class_name, &plot.transform, &plot.response);
        (filter, Some(rect))
    }

    /// The named points over the plot, the hover tooltip and the click.
    fn points_ui(
        &self,
        ui: &mut egui::Ui,
        curves: &PrCurves,
        class_name: &str,
        transform: &PlotTransform,
        plot_response: &egui::Response,
    ) -> Option<GridFilter> {
        let frame = *transform.frame();
        let painter = ui.painter().with_clip_rect(frame);
        let mut filter = None;
        let at = |c: &PrCurve, i: usize| {
            transform.position_from_point(&PlotPoint::new(
                c.recall.get(i).copied().unwrap_or(0.0),
                c.precision.get(i).copied().unwrap_or(0.0),
            ))
        };
        let describe = |m: &ModelCurve, c: &PrCurve, i: usize| {
            format!(
                "{}: threshold {:.4}, {} predicted positive, precision {:.3}, recall {:.3}",
                m.name,
                c.thresholds.get(i).copied().unwrap_or(f64::NAN),
                m.predicted_positive.get(i).copied().unwrap_or(0),
                c.precision.get(i).copied().unwrap_or(f64::NAN),
                c.recall.get(i).copied().unwrap_or(f64::NAN),
            )
        };
        let pick = |k: usize, c: &PrCurve, i: usize| GridFilter {
            score_at_least: c.thresholds.get(i).map(|&threshold| ScoreAtLeast {
                class: curves.class,
                threshold,
            }),
            model: Some(k),
            ..GridFilter::default()
        };
        for (k, m) in curves.models.iter().enumerate() {
            let Some(c) = &m.curve else { continue };
            for i in marker_indices(c.thresholds.len(), MAX_MARKERS) {
                let pos = at(c, i);
                if !frame.contains(pos) {
                    continue;
                }
                let name = describe(m, c, i);
                let id = ui.scope_id().with(("pr-point", k, i));
                let response = hit(
                    ui,
                    egui::Rect::from_center_size(pos, egui::vec2(10.0, 10.0)),
                    id,
                    name.clone(),
                );
                let radius = if response.hovered() { 5.0 } else { 3.0 };
                painter.circle_filled(pos, radius, series_colour(k));
                let response =
                    response.on_hover_text(tooltip(&name, class_name, m, curves.models.len()));
                if response.clicked() {
                    // Markers of close points overlap: the point under the pointer is the one meant.
                    let meant = response
                        .interact_pointer_pos()
                        .and_then(|p| nearest(curves, p, at))
                        .filter(|(k2, ..)| *k2 == k)
                        .map_or(i, |(.., i2)| i2);
                    filter = Some(pick(k, c, meant));
                }
            }
        }
        // Anywhere else on the plot: the nearest point of any curve, within a few pixels.
        if let Some((k, m, c, i)) = plot_response
            .hover_pos()
            .and_then(|pointer| nearest(curves, pointer, at))
        {
            painter.circle_stroke(at(c, i), 6.0, egui::Stroke::new(2.0, series_colour(k)));
            let name = describe(m, c, i);
            plot_response.clone().on_hover_text_at_pointer(tooltip(
                &name,
                class_name,
                m,
                curves.models.len(),
            ));
            if plot_response.clicked() {
                filter = filter.or_else(|| Some(pick(k, c, i)));
            }
        }
        filter
    }
}

/// The point of any curve nearest to `pointer` on screen, within a few pixels: (model index,
/// model, curve, point index).
fn nearest(
    curves: &PrCurves,
    pointer: egui::Pos2,
    at: impl Fn(&PrCurve, usize) -> egui::Pos2,
) -> Option<(usize, &ModelCurve, &PrCurve, usize)> {
    let mut best: Option<(f32, usize, &ModelCurve, &PrCurve, usize)> = None;
    for (k, m) in curves.models.iter().enumerate() {
        let Some(c) = &m.curve else { continue };
        for i in 0..c.thresholds.len() {
            let d = at(c, i).distance(pointer);
            if d < 8.0 && best.as_ref().is_none_or(|b| d < b.0) {
                best = Some((d, k, m, c, i));
            }
        }
    }
    best.map(|(_, k, m, c, i)| (k, m, c, i))
}

/// A point's hover text: what it is and what a click does.
fn tooltip(name: &str, class_name: &str, model: &ModelCurve, models: usize) -> String {
    if models < 2 {
        return format!("{name}\nClick: show the samples with P({class_name}) >= this threshold");
    }
    format!(
        "{name}\nClick: show the samples {0} scores P({class_name}) >= this threshold (the grid and \
         the views then follow {0})",
        model.name
    )
}

/// At most `max` indices of `0..n`, evenly spread, always the first and the last.
fn marker_indices(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let steps = max.saturating_sub(1).max(1);
    let mut out: Vec<usize> = (0..=steps).map(|j| j * (n - 1) / steps).collect();
    out.dedup();
    out
}

/// The curve as scikit-learn's display draws it (a step after each point), from at most about
/// `max` of its points.
fn step_points(c: &PrCurve, max: usize) -> Vec<[f64; 2]> {
    let point = |i: usize| {
        [
            c.recall.get(i).copied().unwrap_or(0.0),
            c.precision.get(i).copied().unwrap_or(0.0),
        ]
    };
    let idx = marker_indices(c.recall.len(), max);
    let mut out = Vec::with_capacity(idx.len() * 2);
    for w in idx.windows(2) {
        let ([ra, pa], [rb, _]) = (point(w[0]), point(w[1]));
        out.push([ra, pa]);
        out.push([rb, pa]);
    }
    if let Some(&last) = idx.last() {
        out.push(point(last));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_keep_the_ends_and_stay_under_the_limit() {
        assert_eq!(marker_indices(5, 60), vec![0, 1, 2, 3, 4]);
        let m = marker_indices(1000, 60);
        assert!(m.len() <= 60, "{}", m.len());
        assert_eq!(m.first(), Some(&0));
        assert_eq!(m.last(), Some(&999));
        assert!(marker_indices(0, 60).is_empty());
    }
}
