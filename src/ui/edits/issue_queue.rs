//! The likely-label-errors queue's data: every labelled sample with probabilities, most suspicious
//! first, the ones confident learning flags marked (computed in the core on a worker thread, from the
//! current labels). All candidates are queued, not only the flagged ones, so a review can go past
//! confident learning's estimate when it under-counts. The browse state holds it; `queue.rs` drives
//! it from the grid.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use eframe::egui;

use crate::core::analysis::label_issues::{RankBy, find_label_issues};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;

/// One ranked sample, with names fixed at compute time (class ids move when classes are added); the
/// names are shared per class, so a queue of a million candidates is not two million strings.
#[derive(Debug, Clone)]
pub struct QueuedIssue {
    /// The sample.
    pub sample: u32,
    /// Its label when the queue was computed.
    pub given: Arc<str>,
    /// The class the predictions favour (may be the given label, for a sample low in the ranking).
    pub suggested: Arc<str>,
    /// 1 - p(given label).
    pub score: f64,
    /// Whether confident learning counts it as a label error.
    pub flagged: bool,
}

/// What the worker sends back: the ranked queue, the candidate count and the flagged count.
type Computed = Result<(Vec<QueuedIssue>, u64, u64), String>;

/// The queue and its computation.
pub struct IssueQueue {
    /// Every candidate, most suspicious first; `flagged` marks confident learning's estimate.
    pub issues: Vec<QueuedIssue>,
    index: HashMap<u32, usize>,
    /// Labelled samples with probabilities that were looked at (all of them are in `issues`).
    pub num_candidates: u64,
    /// How many of them confident learning flags: the "about N likely errors" the app shows.
    pub num_flagged: u64,
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
                    let names: Vec<Arc<str>> = dataset
                        .classes()
                        .iter()
                        .map(|c| Arc::from(c.as_str()))
                        .collect();
                    let name = |c: u32| {
                        names
                            .get(c as usize)
                            .cloned()
                            .unwrap_or_else(|| Arc::from(""))
                    };
                    let issues = found
                        .issues
                        .iter()
                        .map(|i| QueuedIssue {
                            sample: i.sample,
                            given: name(i.label),
                            suggested: name(i.suggested),
                            score: i.score,
                            flagged: i.flagged,
                        })
                        .collect();
                    (issues, found.num_candidates, found.num_flagged)
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
            num_flagged: 0,
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
            Ok(Ok((issues, candidates, flagged))) => {
                self.index = issues
                    .iter()
                    .enumerate()
                    .map(|(k, i)| (i.sample, k))
                    .collect();
                self.issues = issues;
                self.num_candidates = candidates;
                self.num_flagged = flagged;
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
