//! The likely-label-errors queue's data: samples flagged by confident learning (computed in the core
//! on a worker thread, from the current labels), most suspicious first. The browse state holds it;
//! `queue.rs` drives it from the grid.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use eframe::egui;

use crate::core::analysis::label_issues::{RankBy, find_label_issues};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;

/// One flagged sample, with names fixed at compute time (class ids move when classes are added).
#[derive(Debug, Clone)]
pub struct QueuedIssue {
    /// The sample.
    pub sample: u32,
    /// Its label when the queue was computed.
    pub given: String,
    /// The class the predictions favour.
    pub suggested: String,
    /// 1 - p(given label).
    pub score: f64,
}

type Computed = Result<(Vec<QueuedIssue>, u64), String>;

/// The queue and its computation.
pub struct IssueQueue {
    /// Flagged samples, most suspicious first.
    pub issues: Vec<QueuedIssue>,
    index: HashMap<u32, usize>,
    /// Labelled samples with probabilities that were looked at.
    pub num_candidates: u64,
    job: Option<Receiver<Computed>>,
    /// Labels were edited since the queue was computed.
    pub stale: bool,
    /// Why it could not be computed.
    pub error: Option<String>,
}

impl IssueQueue {
    /// Starts computing the queue for the current labels.
    pub fn start(
        dataset: Arc<Dataset>,
        predictions: Arc<Predictions>,
        split: Option<u32>,
        ctx: &egui::Context,
    ) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("label-issues".into())
            .spawn(move || {
                let result = find_label_issues(
                    &dataset,
                    dataset.labels(),
                    &predictions,
                    split.map(|s| s as usize),
                    RankBy::ConfidentLearning,
                )
                .map(|found| {
                    let name = |c: u32| {
                        dataset
                            .classes()
                            .get(c as usize)
                            .cloned()
                            .unwrap_or_default()
                    };
                    let issues = found
                        .issues
                        .iter()
                        .map(|i| QueuedIssue {
                            sample: i.sample,
                            given: name(i.label),
                            suggested: name(i.suggested),
                            score: i.score,
                        })
                        .collect();
                    (issues, found.num_candidates)
                })
                .map_err(|e| e.to_string());
                tx.send(result).ok();
                ctx.request_repaint();
            });
        let error = spawned.err().map(|e| format!("could not start: {e}"));
        Self {
            issues: Vec::new(),
            index: HashMap::new(),
            num_candidates: 0,
            job: Some(rx),
            stale: false,
            error,
        }
    }

    /// Whether the computation is still running.
    pub fn computing(&self) -> bool {
        self.job.is_some()
    }

    /// Takes a finished computation; `true` when the queue just arrived.
    pub fn poll(&mut self) -> bool {
        let Some(rx) = &self.job else {
            return false;
        };
        match rx.try_recv() {
            Ok(Ok((issues, candidates))) => {
                self.index = issues
                    .iter()
                    .enumerate()
                    .map(|(k, i)| (i.sample, k))
                    .collect();
                self.issues = issues;
                self.num_candidates = candidates;
                self.job = None;
                true
            }
            Ok(Err(e)) => {
                self.error = Some(e);
                self.job = None;
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.error = Some("the computation stopped unexpectedly".into());
                self.job = None;
                false
            }
        }
    }

    /// Marks the queue as computed from older labels.
    pub fn labels_changed(&mut self) {
        if !self.computing() {
            self.stale = true;
        }
    }

    /// The queue entry of `sample`.
    pub fn issue(&self, sample: u32) -> Option<&QueuedIssue> {
        self.index.get(&sample).and_then(|&k| self.issues.get(k))
    }
}
