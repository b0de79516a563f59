//! The evaluation views beside the grid: class balance, the confusion matrix with per-class scores,
//! and the reliability diagram with temperature scaling. Numbers come from
//! `core::evaluation::evaluate_views` (the same functions as `stats`), computed on a worker thread;
//! the panel keeps showing the last result while a new one is computed. A click on a bar, a cell or
//! a bin returns a [`GridFilter`] that the grid applies.
//!
//! The plots are painted here rather than with egui_plot so that every bar, cell and bin is a
//! widget with an accessible name: it can be hovered, clicked, reached by a screen reader and
//! clicked by label in tests.

mod balance;
mod balance_export;
mod confusion;
mod export;
pub mod pr_curve;
mod reliability;
pub mod weights;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use eframe::egui;

use crate::core::analysis::evaluation::{EvaluationRequest, EvaluationViews, evaluate_views};
use crate::core::analysis::report::DEFAULT_BINS;
use crate::core::analysis::view::{ProbabilityBin, ScoreAtLeast};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;
use crate::ui::models::common_labels;

pub use balance::BalanceState;
pub use confusion::{ConfusionState, Normalise};
pub use reliability::ReliabilityState;

/// Which view the panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalView {
    /// Samples per class and split.
    Balance,
    /// Confusion matrix and per-class scores.
    Confusion,
    /// Reliability diagram and temperature scaling.
    Reliability,
    /// Precision–recall curves of one class against the rest, per model.
    PrecisionRecall,
}

/// What a click in a view asks the grid to show.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GridFilter {
    /// Keep this split (`Some(None)`: all splits).
    pub split: Option<Option<u32>>,
    /// Keep this label.
    pub label: Option<u32>,
    /// Keep this predicted class.
    pub predicted: Option<u32>,
    /// Keep the samples of this reliability bin.
    pub probability_bin: Option<ProbabilityBin>,
    /// Keep the samples a precision–recall point predicts positive (class score >= threshold).
    pub score_at_least: Option<ScoreAtLeast>,
    /// Select this model (index in the loaded models) first: the point clicked was on its curve,
    /// so its scores are the ones the filter compares.
    pub model: Option<usize>,
}

/// The data a request is computed on: the dataset with its current (edited) labels, the selected
/// model, and every model when two or more are loaded (the views then count only the samples all of
/// them predict).
type Data = (
    Arc<Dataset>,
    Option<Arc<Predictions>>,
    Vec<Arc<Predictions>>,
);

/// A computation's result: the views, how long they took, and the data generation they answer.
type Computed = (Arc<EvaluationViews>, std::time::Duration, u64);

/// Computes [`EvaluationViews`] on its own thread, newest request first: requests that queue up
/// while one is computed are skipped for the newest.
pub struct EvaluationWorker {
    requests: Sender<(EvaluationRequest, Data, u64)>,
    results: Receiver<Computed>,
}

impl EvaluationWorker {
    /// Starts the thread; `waker` is called after each result (the GUI passes `request_repaint`).
    pub fn new(waker: impl Fn() + Send + 'static) -> Self {
        let (req_tx, req_rx) = std::sync::mpsc::channel::<(EvaluationRequest, Data, u64)>();
        let (res_tx, res_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("evaluation".into())
            .spawn(move || {
                while let Ok(mut job) = req_rx.recv() {
                    while let Ok(newer) = req_rx.try_recv() {
                        job = newer;
                    }
                    let (request, (dataset, predictions, models), generation) = job;
                    let started = std::time::Instant::now();
                    let common = common_labels(dataset.labels(), &models);
                    let views = evaluate_views(
                        &dataset,
                        common.as_deref().unwrap_or(dataset.labels()),
                        predictions.as_deref(),
                        &request,
                    );
                    if res_tx
                        .send((Arc::new(views), started.elapsed(), generation))
                        .is_err()
                    {
                        return;
                    }
                    waker();
                }
            })
            .ok();
        Self {
            requests: req_tx,
            results: res_rx,
        }
    }
}

/// The panel's state: the view on screen, its settings, and the last numbers.
pub struct EvaluationPanel {
    /// The view on screen.
    pub view: EvalView,
    /// Class balance settings.
    pub balance: BalanceState,
    /// Confusion matrix settings.
    pub confusion: ConfusionState,
    /// Reliability settings (bins, fit split, class-wise, temperature toggle).
    pub reliability: ReliabilityState,
    /// The precision–recall view (class, its worker, the last curves).
    pub pr_curve: pr_curve::PrCurveState,
    /// The models the precision–recall view overlays; the first is the grid's predictions.
    models: Vec<pr_curve::Model>,
    worker: EvaluationWorker,
    data: Data,
    generation: u64,
    latest_generation: u64,
    asked: Option<EvaluationRequest>,
    latest: Option<Arc<EvaluationViews>>,
    /// How long the last computation took (shown, and used by the speed measurement).
    pub last_compute: Option<std::time::Duration>,
    has_predictions: bool,
    has_probabilities: bool,
    export: export::ExportState,
}

impl EvaluationPanel {
    /// A panel for `dataset` and its `predictions`; `ctx` wakes the UI when numbers arrive.
    pub fn new(
        dataset: Arc<Dataset>,
        predictions: Option<Arc<Predictions>>,
        ctx: &egui::Context,
    ) -> Self {
        let has_predictions = predictions.is_some();
        let has_probabilities = predictions.as_ref().is_some_and(|p| p.has_probabilities());
        let ctx = ctx.clone();
        Self {
            view: EvalView::Balance,
            balance: BalanceState::default(),
            confusion: ConfusionState::default(),
            reliability: ReliabilityState::new(DEFAULT_BINS),
            pr_curve: pr_curve::PrCurveState::default(),
            models: models_of(predictions.as_ref()),
            worker: EvaluationWorker::new(move || ctx.request_repaint()),
            data: (dataset, predictions, Vec::new()),
            generation: 0,
            latest_generation: 0,
            asked: None,
            latest: None,
            last_compute: None,
            has_predictions,
            has_probabilities,
            export: export::ExportState::default(),
        }
    }

    /// New labels (an edit) or predictions: the views are computed again.
    pub fn set_data(&mut self, dataset: Arc<Dataset>, predictions: Option<Arc<Predictions>>) {
        self.has_predictions = predictions.is_some();
        self.has_probabilities = predictions.as_ref().is_some_and(|p| p.has_probabilities());
        if self.data.2.is_empty() {
            self.models = models_of(predictions.as_ref());
        }
        self.data.0 = dataset;
        self.data.1 = predictions;
        self.generation += 1;
        self.asked = None;
    }

    /// Every loaded model, named (two or more: the views count only the samples all of them
    /// predict, and the precision–recall view overlays them; fewer: every sample the selected model
    /// predicts). Call [`EvaluationPanel::set_data`] too.
    pub fn set_models(&mut self, models: Vec<(String, Arc<Predictions>)>) {
        if models.len() >= 2 {
            self.data.2 = models.iter().map(|(_, p)| Arc::clone(p)).collect();
            self.models = models;
        } else {
            self.data.2 = Vec::new();
            self.models = models_of(self.data.1.as_ref());
        }
        self.generation += 1;
        self.asked = None;
    }

    /// The numbers on screen (the last computed).
    pub fn views(&self) -> Option<&EvaluationViews> {
        self.latest.as_deref()
    }

    /// Whether the numbers on screen answer the current settings.
    pub fn is_current(&self) -> bool {
        self.latest_generation == self.generation
            && self
                .latest
                .as_ref()
                .is_some_and(|v| Some(&v.request) == self.asked.as_ref())
    }

    /// Asks for new numbers when the settings (or the grid's split) changed; takes finished ones.
    fn sync(&mut self, split: Option<u32>) {
        while let Ok((views, took, generation)) = self.worker.results.try_recv() {
            self.latest = Some(views);
            self.last_compute = Some(took);
            self.latest_generation = generation;
        }
        let request = EvaluationRequest {
            split,
            fit_split: self.reliability.fit_split.unwrap_or(split),
            bins: self.reliability.bins,
            class_wise: self.reliability.class_wise,
        };
        if self.asked.as_ref() != Some(&request) {
            let data = (
                Arc::clone(&self.data.0),
                self.data.1.clone(),
                self.data.2.clone(),
            );
            self.worker
                .requests
                .send((request.clone(), data, self.generation))
                .ok();
            self.asked = Some(request);
        }
    }

    /// Draws the panel. `split` is the grid's split filter (the views follow it).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        dataset: &Dataset,
        split: Option<u32>,
    ) -> Option<GridFilter> {
        self.sync(split);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.view, EvalView::Balance, "Class balance");
            ui.selectable_value(&mut self.view, EvalView::Confusion, "Confusion matrix");
            ui.selectable_value(&mut self.view, EvalView::Reliability, "Reliability");
            ui.selectable_value(
                &mut self.view,
                EvalView::PrecisionRecall,
                "Precision–recall",
            );
            if !self.is_current() {
                ui.spinner();
            }
        });
        let scope = split
            .and_then(|s| dataset.splits().get(s as usize))
            .map_or_else(|| "all splits".to_string(), |s| format!("split {s}"));
        ui.weak(format!("Following the grid: {scope}"));
        if !self.data.2.is_empty() {
            ui.weak(format!(
                "{} models loaded: every number counts only the samples all of them predict",
                self.data.2.len()
            ));
        }
        ui.separator();
        let Some(views) = self.latest.clone() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Computing…");
            });
            return None;
        };
        let mut filter = None;
        let mut export_rect = None;
        egui::ScrollArea::both()
            .id_salt("evaluation-view")
            .auto_shrink([false, false])
            .max_height((ui.available_height() - self.export.reserved_height()).max(100.0))
            .show(ui, |ui| match self.view {
                EvalView::Balance => {
                    let (f, rect) = self.balance.ui(ui, dataset, &views);
                    if rect.is_some() {
                        self.balance.export.ui(ui, &self.data.0, split);
                    }
                    filter = f;
                    export_rect = rect;
                }
                EvalView::Confusion => {
                    if let Some(why) = self.missing_predictions() {
                        ui.label(why);
                        return;
                    }
                    let (f, rect) = self.confusion.ui(ui, dataset, &views);
                    filter = f;
                    export_rect = rect;
                }
                EvalView::Reliability => {
                    if let Some(why) = self.missing_predictions() {
                        ui.label(why);
                        return;
                    }
                    if !self.has_probabilities {
                        ui.label(
                            "These predictions are hard class names (a prediction column), so there \
                             is no confidence to calibrate. A reliability diagram needs prob_<class> \
                             or logit_<class> columns.",
                        );
                        return;
                    }
                    let (f, rect) = self.reliability.ui(ui, dataset, &views);
                    filter = f;
                    export_rect = rect;
                }
                EvalView::PrecisionRecall => {
                    if let Some(why) = self.missing_predictions() {
                        ui.label(why);
                        return;
                    }
                    let data = Arc::clone(&self.data.0);
                    let (f, rect) =
                        self.pr_curve
                            .ui(ui, &data, &self.models, self.generation, split);
                    filter = f;
                    export_rect = rect;
                }
            });
        let pr = (self.view == EvalView::PrecisionRecall && self.pr_curve.is_current())
            .then(|| self.pr_curve.shared_curves())
            .flatten();
        self.export
            .ui(ui, self.view, &self.data.0, &views, export_rect, pr);
        filter
    }

    fn missing_predictions(&self) -> Option<&'static str> {
        (!self.has_predictions).then_some(
            "No predictions are loaded. Use Open predictions... to load a predictions file \
             (prob_<class>, logit_<class> or prediction columns); class balance works without one.",
        )
    }
}

/// The precision–recall view's model when one is loaded: the predictions file, named by its stem.
fn models_of(predictions: Option<&Arc<Predictions>>) -> Vec<pr_curve::Model> {
    predictions
        .map(|p| {
            let name = p
                .path()
                .file_stem()
                .map_or_else(|| "model".to_string(), |s| s.to_string_lossy().into_owned());
            (name, Arc::clone(p))
        })
        .into_iter()
        .collect()
}

/// An interactive rectangle with an accessible name (for hover, click, screen readers and tests).
pub(crate) fn hit(ui: &egui::Ui, rect: egui::Rect, id: egui::Id, name: String) -> egui::Response {
    let response = ui.interact(rect, id, egui::Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, &name));
    response
}

/// Colours for series (splits), readable on the dark and the light theme.
fn series_colour(k: usize) -> egui::Color32 {
    const COLOURS: [egui::Color32; 6] = [
        egui::Color32::from_rgb(76, 144, 226),
        egui::Color32::from_rgb(240, 160, 60),
        egui::Color32::from_rgb(90, 180, 110),
        egui::Color32::from_rgb(200, 90, 170),
        egui::Color32::from_rgb(150, 150, 150),
        egui::Color32::from_rgb(220, 200, 70),
    ];
    COLOURS[k % COLOURS.len()]
}

/// Class names beside a k x k grid of `cell`-point cells whose top-left corner is `origin`: rows
/// on the left, right-aligned, columns above running upwards; every `step`-th name when cells are
/// too small for each. Shared by the confusion matrix and the Compare view's difference.
pub(crate) fn paint_class_names(
    painter: &egui::Painter,
    origin: egui::Pos2,
    cell: f32,
    classes: &[String],
    label_space: f32,
    text: egui::Color32,
) {
    let font = egui::FontId::proportional(11.0);
    let chars = ((label_space - 8.0) / 6.5) as usize;
    let step = ((12.0 / cell).ceil() as usize).max(1);
    for (i, name) in classes.iter().enumerate().step_by(step) {
        let short = abbreviate(name, chars);
        painter.text(
            egui::pos2(origin.x - 4.0, origin.y + cell * (i as f32 + 0.5)),
            egui::Align2::RIGHT_CENTER,
            &short,
            font.clone(),
            text,
        );
        // Column names run upwards.
        let galley = painter.layout_no_wrap(short, font.clone(), text);
        let pos = egui::pos2(
            origin.x + cell * (i as f32 + 0.5) - galley.size().y / 2.0,
            origin.y - 4.0,
        );
        painter.add(
            egui::epaint::TextShape::new(pos, galley, text)
                .with_angle(-std::f32::consts::FRAC_PI_2),
        );
    }
}

/// A name shortened to `max` characters (with the full name on hover where it is shown).
pub(crate) fn abbreviate(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(max.saturating_sub(1)).collect();
        s.push('.');
        s
    }
}
