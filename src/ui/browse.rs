//! Browsing a loaded dataset: the filters and the spot-check order (a visible, editable seed), the
//! list of samples they give, and the toolbar that edits them.

use eframe::egui;

use std::sync::Arc;

use crate::core::analysis::report::StatsReport;
use crate::core::analysis::view::{Correctness, SampleFilter, SampleOrder, shown_samples};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;
use crate::ui::workers::latest::LatestWorker;

use super::loaded::Loaded;

/// Which view of a loaded dataset is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The grid of samples (and the inspector over it).
    Samples,
    /// Metrics, class balance, warnings.
    Summary,
}

/// The state of browsing one dataset.
pub struct Browse {
    /// The dataset and what came with it.
    pub loaded: Box<Loaded>,
    /// What is kept.
    pub filter: SampleFilter,
    /// In what order.
    pub order: SampleOrder,
    /// The seed as typed (an invalid entry leaves the last valid seed in use).
    pub seed_text: String,
    /// Samples per class for a stratified draw.
    pub per_class: usize,
    /// Sample indices shown, in order.
    pub shown: Vec<u32>,
    /// Tile edge in points.
    pub tile_size: f32,
    /// Position in `shown` of the selected sample.
    pub selected: Option<usize>,
    /// Whether the inspector covers the grid.
    pub inspecting: bool,
    /// The view on screen.
    pub tab: Tab,
    /// Confidence range filter as edited (applied when `confidence_on`).
    pub confidence_range: (f64, f64),
    /// Whether the confidence filter is on.
    pub confidence_on: bool,
    /// Zoom, pan and the EXIF toggle of the inspector.
    pub inspector: super::inspector_state::InspectorState,
    /// A scroll offset to force on the grid this frame (the scripted scroll bench).
    pub forced_scroll: Option<f32>,
    /// Whether the evaluation panel is open beside the grid.
    pub evaluation_open: bool,
    /// The evaluation views (made when first opened).
    pub evaluation: Option<super::evaluation::EvaluationPanel>,
    /// Whether the Health view is open beside the grid.
    pub health_open: bool,
    /// The Health view (its scan starts when first opened).
    pub health: Option<super::health::HealthPanel>,
    /// Where the on-disk caches live (the thumbnail store's folder; `None`: no caches).
    pub cache_dir: Option<std::path::PathBuf>,
    /// While the grid shows a set the Health view picked (a duplicate group, the darkest images):
    /// what the set is. Any filter change leaves it.
    pub pinned: Option<String>,
    /// Whether the pinned set's tiles show each image as stored beside it upright.
    pub pinned_as_stored: bool,
    /// Visible tiles still waiting for their thumbnail (set by the grid each frame).
    pub visible_pending: usize,
    /// When the open began, until the first screen of thumbnails is complete (for timing).
    pub opened_at: Option<std::time::Instant>,
    /// The label journal (`None` when it could not be read: the reason is in the warnings).
    pub edits: Option<super::edits::session::EditSession>,
    /// Whether the edits panel is open beside the grid.
    pub edits_open: bool,
    /// Multi-selection, per sample (empty until the first Ctrl/Shift-click).
    pub selection: Vec<bool>,
    /// Samples in the multi-selection.
    pub selection_count: usize,
    /// Position (in `shown`) of the last Ctrl/Shift-clicked tile, where a Shift range starts.
    pub anchor: Option<usize>,
    /// The sample under the pointer (set by the grid each frame): the target of a key press.
    pub hovered: Option<u32>,
    /// The class picker, while open.
    pub picker: Option<super::edits::picker::ClassPicker>,
    /// The likely-label-errors queue, while open (the grid shows it).
    pub queue: Option<super::edits::issue_queue::IssueQueue>,
    /// The write-back preview, while open.
    pub apply_preview: Option<super::edits::apply_preview::ApplyPreview>,
    /// Audio tiles show the mel spectrogram instead of the waveform.
    pub spectrogram_tiles: bool,
    /// Whether any sample is an audio clip (the tile toggle shows then).
    pub has_audio: bool,
    /// Hovering an audio tile plays it (a setting).
    pub hover_preview: bool,
    /// The audio tile under the pointer and since when (for the hover preview).
    pub hover_since: Option<(u32, std::time::Instant)>,
    /// The crowd analysis, when annotations were opened with the dataset.
    pub crowd: Option<super::crowd::state::CrowdState>,
    /// Whether the Annotators view is open beside the grid.
    pub crowd_open: bool,
    /// The Annotators view's sort and selection.
    pub crowd_view: super::crowd::panel::AnnotatorsView,
    /// Whether the grid shows the disagreement queue (A takes the consensus, K keeps the label).
    pub crowd_queue: bool,
    /// The crowd filter ("annotators disagree", "consensus ≠ label").
    pub filter_crowd: super::crowd::state::CrowdFilter,
    /// Whether the Compare view is open beside the grid (two or more models).
    pub compare_open: bool,
    /// The Compare view's pair and numbers (made when first opened).
    pub compare: Option<super::compare::state::CompareState>,
    /// The grid keeps only the samples every model predicts: set by a click in an evaluation view
    /// while two or more models are loaded (the views count only those), cleared by the filters.
    pub common_only: bool,
    /// "Add predictions…" was clicked in a panel: the app opens the dialog.
    pub add_predictions_asked: bool,
    /// The Label next batch, while the grid shows it.
    pub label_next: Option<super::label_next::state::LabelNextState>,
    /// The summary's numbers, computed again after each edit (newest labels win).
    pub report_worker: Option<LatestWorker<ReportJob, StatsReport>>,
    /// The filter of a large dataset, computed off the UI thread (newest filter wins).
    filter_worker: Option<LatestWorker<FilterJob, Vec<u32>>>,
}

/// What the summary is computed from: the edited dataset and its predictions.
pub type ReportJob = (Arc<Dataset>, Option<Arc<Predictions>>);

/// A filter and order over a dataset, for the filter worker.
struct FilterJob {
    dataset: Arc<Dataset>,
    predictions: Option<Arc<Predictions>>,
    filter: SampleFilter,
    order: SampleOrder,
}

/// From this many samples on, filtering runs off the UI thread (below it takes well under a frame).
pub const FILTER_OFF_THREAD: usize = 200_000;

impl Browse {
    /// Starts browsing in dataset order with nothing filtered.
    pub fn new(loaded: Box<Loaded>) -> Self {
        let mut browse = Self {
            loaded,
            filter: SampleFilter::default(),
            order: SampleOrder::Dataset,
            seed_text: "42".into(),
            per_class: 8,
            shown: Vec::new(),
            tile_size: 160.0,
            selected: None,
            inspecting: false,
            tab: Tab::Samples,
            confidence_range: (0.0, 1.0),
            confidence_on: false,
            inspector: Default::default(),
            forced_scroll: None,
            visible_pending: 0,
            evaluation_open: false,
            evaluation: None,
            health_open: false,
            health: None,
            cache_dir: None,
            pinned: None,
            pinned_as_stored: false,
            opened_at: None,
            edits: None,
            edits_open: false,
            selection: Vec::new(),
            selection_count: 0,
            anchor: None,
            hovered: None,
            picker: None,
            queue: None,
            apply_preview: None,
            report_worker: None,
            filter_worker: None,
            crowd: None,
            label_next: None,
            compare_open: false,
            compare: None,
            add_predictions_asked: false,
            common_only: false,
            crowd_open: false,
            crowd_view: Default::default(),
            crowd_queue: false,
            filter_crowd: Default::default(),
            spectrogram_tiles: false,
            has_audio: false,
            hover_preview: false,
            hover_since: None,
        };
        browse.has_audio = (0..browse.loaded.dataset.len()).any(|i| {
            crate::core::media::MediaKind::of(browse.loaded.dataset.file(i))
                == Some(crate::core::media::MediaKind::Audio)
        });
        if browse.loaded.dataset.len() >= FILTER_OFF_THREAD {
            browse.filter_worker = LatestWorker::new(
                "filter",
                |job: FilterJob, _| {
                    shown_samples(
                        &job.dataset,
                        job.dataset.labels(),
                        job.predictions.as_deref(),
                        &job.filter,
                        job.order,
                    )
                },
                || {},
            )
            .ok();
        }
        browse.refresh();
        browse
    }

    /// Whether a filter is being computed off the UI thread.
    pub fn filtering(&self) -> bool {
        self.filter_worker
            .as_ref()
            .is_some_and(LatestWorker::pending)
    }

    /// Takes the filter worker's newest list; `true` when the shown samples changed.
    pub fn poll_filter(&mut self) -> bool {
        let Some(mut shown) = self.filter_worker.as_mut().and_then(LatestWorker::poll) else {
            return false;
        };
        if self.pinned.is_some() {
            // A filter computed before the Health view pinned a set: the set stays.
            return false;
        }
        self.retain_crowd(&mut shown);
        self.retain_common(&mut shown);
        self.shown = shown;
        self.selected = None;
        self.inspecting = false;
        true
    }

    /// Shows exactly `samples` (a Health view pick) until a filter changes or Back is pressed.
    pub fn show_pinned(&mut self, action: super::health::HealthAction) {
        self.pinned = Some(action.title);
        self.pinned_as_stored = action.as_stored_beside;
        self.crowd_queue = false;
        self.label_next = None;
        self.shown = action.samples;
        self.selected = None;
        self.inspecting = false;
        self.queue = None;
        self.clear_selection();
    }

    /// Recomputes the shown samples from the filter and the order.
    pub fn refresh(&mut self) {
        self.pinned = None;
        self.pinned_as_stored = false;
        self.crowd_queue = false;
        self.label_next = None;
        self.filter.confidence = self.confidence_on.then_some(self.confidence_range);
        let loaded = &self.loaded;
        match &mut self.filter_worker {
            Some(worker) => {
                worker.request(FilterJob {
                    dataset: Arc::clone(&loaded.dataset),
                    predictions: loaded.predictions.clone(),
                    filter: self.filter.clone(),
                    order: self.order,
                });
            }
            None => {
                let mut shown = shown_samples(
                    &loaded.dataset,
                    loaded.dataset.labels(),
                    loaded.predictions.as_deref(),
                    &self.filter,
                    self.order,
                );
                self.retain_crowd(&mut shown);
                self.retain_common(&mut shown);
                self.shown = shown;
            }
        }
        self.selected = None;
        self.inspecting = false;
        self.queue = None;
    }

    /// The seed typed in the box, if it is a number.
    pub fn seed(&self) -> Option<u64> {
        self.seed_text.trim().parse().ok()
    }

    /// Paths of the shown samples (tests and the header use it).
    pub fn shown_files(&self) -> Vec<&str> {
        self.shown
            .iter()
            .map(|&i| self.loaded.dataset.file(i as usize))
            .collect()
    }

    /// Shows what a click in an evaluation view stands for: exactly those samples (other filters
    /// are cleared; the split is kept unless the click names one; a stratified draw becomes the
    /// dataset order, since it would hide some of them).
    pub fn apply_grid_filter(&mut self, f: super::evaluation::GridFilter) {
        if let Some(model) = f.model {
            // A point on another model's curve: the grid follows that model, whose scores the
            // filter then compares.
            self.select_model(model);
        }
        let split = f.split.unwrap_or(self.filter.split);
        self.filter = SampleFilter {
            split,
            label: f.label,
            predicted: f.predicted,
            probability_bin: f.probability_bin,
            score_at_least: f.score_at_least,
            ..SampleFilter::default()
        };
        self.confidence_on = false;
        self.common_only = self.loaded.models.len() >= 2;
        if matches!(self.order, SampleOrder::Stratified { .. }) {
            self.order = SampleOrder::Dataset;
        }
        self.selected = None;
        self.inspecting = false;
        self.refresh();
    }

    /// The filter and order toolbar; returns whether the shown list changed.
    pub fn toolbar_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let mut changed = false;
        let splits = self.loaded.dataset.splits().to_vec();
        let classes = self.loaded.dataset.classes().to_vec();
        let has_predictions = self.loaded.predictions.is_some();
        ui.horizontal_wrapped(|ui| {
            let seed_label = ui.label("Seed");
            let seed_ok = self.seed().is_some();
            let edit = egui::TextEdit::singleline(&mut self.seed_text)
                .desired_width(70.0)
                .text_color_opt((!seed_ok).then(|| ui.visuals().error_fg_color));
            ui.add(edit)
                .labelled_by(seed_label.id)
                .on_hover_text("The same seed gives the same order");
            if ui
                .add_enabled(seed_ok, egui::Button::new("Shuffle"))
                .on_hover_text(
                    "Show every sample that passes the filters, in a random order from the seed",
                )
                .clicked()
                && let Some(seed) = self.seed()
            {
                self.order = SampleOrder::Shuffled { seed };
                changed = true;
            }
            if ui
                .add_enabled(seed_ok, egui::Button::new("Stratified"))
                .on_hover_text("Random samples from each class, drawn from the seed")
                .clicked()
                && let Some(seed) = self.seed()
            {
                self.order = SampleOrder::Stratified {
                    seed,
                    per_class: self.per_class,
                };
                changed = true;
            }
            let per_class = ui.add(
                egui::DragValue::new(&mut self.per_class)
                    .range(1..=10_000)
                    .suffix(" per class"),
            );
            if per_class.changed()
                && let SampleOrder::Stratified { seed, .. } = self.order
            {
                self.order = SampleOrder::Stratified {
                    seed,
                    per_class: self.per_class,
                };
                changed = true;
            }
            if ui.button("Dataset order").clicked() {
                self.order = SampleOrder::Dataset;
                changed = true;
            }
            ui.separator();

            if !splits.is_empty() {
                changed |= id_combo(ui, "Split", &mut self.filter.split, &splits);
            }
            changed |= id_combo(ui, "Label", &mut self.filter.label, &classes);
            if has_predictions {
                changed |= id_combo(ui, "Predicted", &mut self.filter.predicted, &classes);
                let before = self.filter.correctness;
                let label = ui.label("Prediction");
                egui::ComboBox::from_id_salt("Prediction")
                    .selected_text(match self.filter.correctness {
                        Correctness::Any => "correct or wrong",
                        Correctness::Correct => "correct",
                        Correctness::Wrong => "wrong",
                    })
                    .show_ui(ui, |ui| {
                        ui.selectable_value(
                            &mut self.filter.correctness,
                            Correctness::Any,
                            "correct or wrong",
                        );
                        ui.selectable_value(
                            &mut self.filter.correctness,
                            Correctness::Correct,
                            "correct",
                        );
                        ui.selectable_value(
                            &mut self.filter.correctness,
                            Correctness::Wrong,
                            "wrong",
                        );
                    })
                    .response
                    .labelled_by(label.id);
                changed |= before != self.filter.correctness;
                changed |= ui.checkbox(&mut self.confidence_on, "Confidence").changed();
                let (lo, hi) = &mut self.confidence_range;
                let lo_changed = ui
                    .add_enabled(
                        self.confidence_on,
                        egui::DragValue::new(lo)
                            .range(0.0..=1.0)
                            .speed(0.01)
                            .max_decimals(2),
                    )
                    .changed();
                ui.label("to");
                let hi_changed = ui
                    .add_enabled(
                        self.confidence_on,
                        egui::DragValue::new(hi)
                            .range(0.0..=1.0)
                            .speed(0.01)
                            .max_decimals(2),
                    )
                    .changed();
                changed |= self.confidence_on && (lo_changed || hi_changed);
            }
            if let Some(pb) = self.filter.probability_bin {
                let (lo, hi) = (
                    pb.bin as f64 / pb.bins as f64,
                    (pb.bin + 1) as f64 / pb.bins as f64,
                );
                let what = match pb.class.and_then(|k| classes.get(k as usize)) {
                    None => "confidence".to_string(),
                    Some(name) => format!("P({name})"),
                };
                // Each filter's text is one piece: in the wrapped toolbar it moves to the next row whole.
                ui.add(
                    egui::Label::new(format!("Reliability bin: {what} in ({lo:.2}, {hi:.2}]"))
                        .wrap_mode(egui::TextWrapMode::Extend),
                );
                if ui
                    .small_button("x")
                    .on_hover_text("Remove this filter")
                    .clicked()
                {
                    self.filter.probability_bin = None;
                    changed = true;
                }
            }
            if self.common_only {
                ui.add(
                    egui::Label::new("Only samples every model predicts")
                        .wrap_mode(egui::TextWrapMode::Extend),
                );
                if ui
                    .small_button("x")
                    .on_hover_text("Remove this filter")
                    .clicked()
                {
                    self.common_only = false;
                    changed = true;
                }
            }
            if let Some(at_least) = self.filter.score_at_least {
                let class = classes
                    .get(at_least.class as usize)
                    .map_or("?", String::as_str);
                // Which model's scores, when there are several to choose from.
                let model = match self.loaded.models.selected() {
                    Some(m) if self.loaded.models.len() >= 2 => format!("{} ", m.name),
                    _ => String::new(),
                };
                ui.add(
                    egui::Label::new(format!(
                        "PR point: {model}P({class}) >= {:.4}",
                        at_least.threshold
                    ))
                    .wrap_mode(egui::TextWrapMode::Extend),
                );
                if ui
                    .small_button("x")
                    .on_hover_text("Remove this filter")
                    .clicked()
                {
                    self.filter.score_at_least = None;
                    changed = true;
                }
            }
            if self.crowd.is_some() {
                let before = self.filter_crowd;
                let label = ui.label("Crowd");
                egui::ComboBox::from_id_salt("Crowd filter")
                    .selected_text(self.filter_crowd.title())
                    .show_ui(ui, |ui| {
                        for f in [
                            super::crowd::state::CrowdFilter::Any,
                            super::crowd::state::CrowdFilter::Disagree,
                            super::crowd::state::CrowdFilter::ConsensusDiffers,
                        ] {
                            ui.selectable_value(&mut self.filter_crowd, f, f.title());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                changed |= before != self.filter_crowd;
            }
            let search_label = ui.label("Search");
            changed |= ui
                .add(
                    egui::TextEdit::singleline(&mut self.filter.search)
                        .hint_text("file name")
                        .desired_width(140.0),
                )
                .labelled_by(search_label.id)
                .changed();
            if (self.filter.is_active()
                || self.common_only
                || self.confidence_on
                || self.filter_crowd != super::crowd::state::CrowdFilter::Any)
                && ui.button("Clear filters").clicked()
            {
                self.filter = SampleFilter::default();
                self.common_only = false;
                self.filter_crowd = super::crowd::state::CrowdFilter::Any;
                self.confidence_on = false;
                changed = true;
            }
            ui.separator();
            ui.add(egui::Slider::new(&mut self.tile_size, 64.0..=320.0).text("Tile size"));
            if self.has_audio {
                ui.separator();
                ui.label("Audio tiles");
                ui.selectable_value(&mut self.spectrogram_tiles, false, "Waveform");
                ui.selectable_value(&mut self.spectrogram_tiles, true, "Spectrogram");
                ui.checkbox(&mut self.hover_preview, "Play on hover")
                    .on_hover_text("Hovering an audio tile for a moment plays it");
            }
        });
        if changed {
            self.refresh();
        }
        changed
    }
}

/// A combo box over names; `None` is "all". Returns whether the choice changed.
fn id_combo(ui: &mut egui::Ui, label: &str, value: &mut Option<u32>, names: &[String]) -> bool {
    let before = *value;
    let selected = value
        .and_then(|v| names.get(v as usize))
        .map_or("all", String::as_str);
    let shown_label = ui.label(label);
    egui::ComboBox::from_id_salt(label)
        .width(120.0)
        .selected_text(selected)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, "all");
            for (k, name) in names.iter().enumerate() {
                ui.selectable_value(value, Some(k as u32), name);
            }
        })
        .response
        .labelled_by(shown_label.id);
    before != *value
}
