//! Loading a dataset on the `dataset-loader` thread: the dataset (and its label journal) first, so
//! the grid can show, then the summary's numbers. The UI polls; nothing here waits.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use eframe::egui;

use crate::core::analysis::report::{DEFAULT_BINS, StatsReport};
use crate::core::data::load::{LoadControl, Predictions, load_annotations, load_predictions};
use crate::core::data::warnings::Warnings;

use super::super::loaded::Loaded;
use super::super::models::Models;

/// What the loader thread sends: the dataset first (the grid can show), then its report.
enum LoadMessage {
    Loaded(Result<Box<Loaded>, String>),
    Report(Box<StatsReport>),
}

/// What a poll of a running load found.
pub enum LoadEvent {
    /// The dataset is in (its report follows through [`PendingReport`]).
    Loaded(Box<Loaded>),
    /// The load failed, with the reason.
    Failed(String),
}

/// A load in progress: what is loading, its progress counters and cancel flag.
pub struct Loading {
    /// The dataset path as given.
    pub path: PathBuf,
    /// Progress counters and the cancel flag the loader reads.
    pub control: LoadControl,
    /// When the load started (for the timing lines).
    pub started: Instant,
    rx: Receiver<LoadMessage>,
}

/// The summary's numbers, still being computed after the grid has shown.
pub struct PendingReport {
    rx: Receiver<LoadMessage>,
}

impl PendingReport {
    /// The report, once it has arrived.
    pub fn poll(&self) -> Option<StatsReport> {
        match self.rx.try_recv() {
            Ok(LoadMessage::Report(report)) => Some(*report),
            _ => None,
        }
    }
}

impl Loading {
    /// Starts loading `path` (and its `predictions` files, one per model, with the journal under
    /// `state_dir` when given).
    pub fn start(
        path: PathBuf,
        predictions: Vec<PathBuf>,
        annotations: Option<PathBuf>,
        state_dir: Option<PathBuf>,
        ctx: egui::Context,
    ) -> Result<Self, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        let control = LoadControl::default();
        let worker_control = control.clone();
        let worker_path = path.clone();
        std::thread::Builder::new()
            .name("dataset-loader".into())
            .spawn(move || {
                let mut warnings = Warnings::default();
                let began = Instant::now();
                let result = crate::core::labels::open_for_editing(
                    &worker_path,
                    predictions.first().map(PathBuf::as_path),
                    Some(&worker_control),
                    &mut warnings,
                    state_dir.as_deref(),
                );
                let fail = |message: String| {
                    tx.send(LoadMessage::Loaded(Err(message))).ok();
                    ctx.request_repaint();
                };
                let (mut base, first, edited) = match result {
                    Ok(r) => r,
                    Err(e) => return fail(e.to_string()),
                };
                // Further models join the same dataset (the journal's classes are in it already).
                let mut parsed: Vec<Predictions> = first.into_iter().collect();
                for file in predictions.iter().skip(1) {
                    match load_predictions(&mut base, file, Some(&worker_control), &mut warnings) {
                        Ok(p) => parsed.push(p),
                        Err(e) => return fail(e.to_string()),
                    }
                }
                // Judgements may name classes the dataset lacks: they become classes (the
                // predictions, joined before, follow the renumbering).
                let judged = match annotations.as_deref().map(|path| {
                    load_annotations(&mut base, path, Some(&worker_control), &mut warnings)
                }) {
                    None => None,
                    Some(Ok((a, remap))) => {
                        if let Some(table) = remap {
                            for p in &mut parsed {
                                p.remap_classes(&table, base.classes().len());
                            }
                        }
                        Some(Arc::new(a))
                    }
                    Some(Err(e)) => return fail(e.to_string()),
                };
                let base = Arc::new(base);
                let models = Models::new(
                    predictions
                        .into_iter()
                        .zip(parsed.into_iter().map(Arc::new))
                        .collect(),
                );
                crate::core::data::load::timing("dataset and its journal read", began);
                // Every class a pending edit names is in `base` already: no predictions remap.
                let mut edited_dataset = (*base).clone();
                let _ = edited_dataset.relabel(&edited.state.labels());
                let dataset = Arc::new(edited_dataset);
                let mut loaded = Loaded {
                    path: worker_path,
                    predictions_path: None,
                    dataset: Arc::clone(&dataset),
                    predictions: None,
                    models,
                    base,
                    annotations_path: annotations,
                    annotations: judged.clone(),
                    base_annotations: judged,
                    edited: Some(edited),
                    warnings,
                    report: None,
                };
                loaded.sync_selected_model();
                let parsed = loaded.predictions.clone();
                crate::core::data::load::timing("edits applied to the labels", began);
                tx.send(LoadMessage::Loaded(Ok(Box::new(loaded)))).ok();
                ctx.request_repaint();
                // The summary's numbers (the temperature fit is the slow part) come after the grid.
                let report = StatsReport::build(&dataset, parsed.as_deref(), None, DEFAULT_BINS);
                tx.send(LoadMessage::Report(Box::new(report))).ok();
                ctx.request_repaint();
            })
            .map_err(|e| format!("could not start loading: {e}"))?;
        Ok(Self {
            path,
            control,
            started: Instant::now(),
            rx,
        })
    }

    /// What arrived since the last poll, if anything.
    pub fn poll(&self) -> Option<LoadEvent> {
        match self.rx.try_recv() {
            Ok(LoadMessage::Loaded(Ok(loaded))) => Some(LoadEvent::Loaded(loaded)),
            Ok(LoadMessage::Loaded(Err(message))) => Some(LoadEvent::Failed(message)),
            Ok(LoadMessage::Report(_)) | Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                Some(LoadEvent::Failed("loading stopped unexpectedly".into()))
            }
        }
    }

    /// After the dataset arrived: where its report will come from.
    pub fn into_report(self) -> PendingReport {
        PendingReport { rx: self.rx }
    }
}
