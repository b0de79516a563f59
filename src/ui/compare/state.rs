//! The Compare view's numbers, computed on a `compare` worker thread (the bootstrap over a million
//! samples takes seconds): `core::analysis::compare` for the metrics, intervals and McNemar, and per
//! model the confusion matrix, per-class scores and reliability bins on the same common samples.
//! The newest request wins; the view keeps showing the last result while the next is computed.

use std::sync::Arc;

use eframe::egui;

use crate::core::analysis::compare::{
    CompareError, CompareOptions, Comparison, DEFAULT_RESAMPLES, Interval, PairSummary,
    common_samples, compare,
};
use crate::core::analysis::metrics::{
    ClassificationReport, ReliabilityDiagram, confusion_matrix, plain_calibration, scored_samples,
};
use crate::core::analysis::report::DEFAULT_BINS;
use crate::core::data::columns::NONE;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;
use crate::ui::workers::latest::LatestWorker;

/// What one comparison is computed from.
pub struct CompareJob {
    /// The dataset with its edited labels.
    pub dataset: Arc<Dataset>,
    /// Every model, named, in order.
    pub models: Vec<(String, Arc<Predictions>)>,
    /// The two models of the 2×2 table (indices into `models`, different).
    pub pair: (usize, usize),
    /// The grid's split filter (the view follows it).
    pub split: Option<u32>,
    /// Bootstrap resamples (the contract's 1000).
    pub resamples: usize,
}

/// One model's numbers on the common samples.
#[derive(Debug, Clone)]
pub struct ModelDetail {
    /// Accuracy, per-class scores and the confusion matrix.
    pub report: ClassificationReport,
    /// The reliability bins; `None` for hard predictions.
    pub reliability: Option<ReliabilityDiagram>,
}

/// Which of the 2×2 table's cells a sample is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairCell {
    /// Both models right.
    BothRight,
    /// Model A right, model B wrong.
    OnlyARight,
    /// Model A wrong, model B right.
    OnlyBRight,
    /// Both wrong.
    BothWrong,
}

impl PairCell {
    /// The four cells in table order (row A right / wrong, column B right / wrong).
    pub const ALL: [PairCell; 4] = [
        PairCell::BothRight,
        PairCell::OnlyARight,
        PairCell::OnlyBRight,
        PairCell::BothWrong,
    ];

    /// Index into [`PairSamples::samples`].
    pub fn index(self) -> usize {
        match self {
            Self::BothRight => 0,
            Self::OnlyARight => 1,
            Self::OnlyBRight => 2,
            Self::BothWrong => 3,
        }
    }

    /// The cell's name on screen ("A right, B wrong").
    pub fn title(self) -> &'static str {
        match self {
            Self::BothRight => "both right",
            Self::OnlyARight => "A right, B wrong",
            Self::OnlyBRight => "A wrong, B right",
            Self::BothWrong => "both wrong",
        }
    }
}

/// The common samples of the pair, by cell, in dataset order (a click shows exactly these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSamples {
    /// Model A's index.
    pub a: usize,
    /// Model B's index.
    pub b: usize,
    /// Samples per [`PairCell::index`].
    pub samples: [Vec<u32>; 4],
}

/// Everything the Compare view shows.
#[derive(Debug, Clone)]
pub struct CompareResult {
    /// The `compare --json` document: metrics, intervals, pairs with McNemar.
    pub comparison: Comparison,
    /// Per model (in order), on the same common samples.
    pub details: Vec<ModelDetail>,
    /// The chosen pair's cells.
    pub pair: PairSamples,
    /// The split it was computed on.
    pub split: Option<u32>,
}

impl CompareResult {
    /// The comparison's summary of the chosen pair (listed once, as i < j).
    fn pair_summary(&self) -> Option<&PairSummary> {
        let (a, b) = (self.pair.a, self.pair.b);
        let (lo, hi) = (a.min(b), a.max(b));
        if lo == hi {
            return None;
        }
        let k = self.comparison.models.len();
        // Pairs are listed i < j in order: the index of (lo, hi).
        let index = (0..lo).map(|i| k - 1 - i).sum::<usize>() + (hi - lo - 1);
        self.comparison.pairs.get(index)
    }

    /// The 2×2 counts of (a, b) in [`PairCell::index`] order, and McNemar's p, from the
    /// comparison; a pair asked the other way round has its discordant counts swapped back.
    pub fn pair_counts(&self) -> Option<([u64; 4], f64)> {
        let p = self.pair_summary()?;
        let counts = if self.pair.a < self.pair.b {
            [p.both_right, p.a_only_right, p.b_only_right, p.both_wrong]
        } else {
            [p.both_right, p.b_only_right, p.a_only_right, p.both_wrong]
        };
        Some((counts, p.mcnemar_p))
    }

    /// The paired-bootstrap interval of accuracy(A) - accuracy(B).
    pub fn pair_diff(&self) -> Option<Interval> {
        let p = self.pair_summary()?;
        let [lo, hi] = p.accuracy_diff_ci;
        Some(if self.pair.a < self.pair.b {
            [lo, hi]
        } else {
            [-hi, -lo]
        })
    }
}

/// Computes the view's numbers for `job`.
pub fn compute(job: &CompareJob) -> Result<CompareResult, CompareError> {
    let dataset = &job.dataset;
    let refs: Vec<&Predictions> = job.models.iter().map(|(_, p)| p.as_ref()).collect();
    let names: Vec<String> = job.models.iter().map(|(n, _)| n.clone()).collect();
    let split = job.split.map(|s| s as usize);
    let options = CompareOptions {
        num_bins: DEFAULT_BINS,
        resamples: job.resamples,
        average_precision: false,
        ..CompareOptions::default()
    };
    let comparison = compare(dataset, &refs, &names, split, &options)?;
    let labels = dataset.labels();
    let common = common_samples(labels, dataset.split_ids(), &refs, split);
    let mut keep = vec![false; labels.len()];
    for &i in &common {
        if let Some(k) = keep.get_mut(i as usize) {
            *k = true;
        }
    }
    let k = dataset.classes().len();
    let details = refs
        .iter()
        .map(|p| {
            let scored = scored_samples(labels, p, |i| keep.get(i).copied().unwrap_or(false));
            ModelDetail {
                report: ClassificationReport::from_confusion(&confusion_matrix(p, &scored, k)),
                reliability: p
                    .has_probabilities()
                    .then(|| plain_calibration(p, &scored, DEFAULT_BINS).0),
            }
        })
        .collect();
    let (a, b) = job.pair;
    let mut samples: [Vec<u32>; 4] = Default::default();
    if let (Some(pa), Some(pb)) = (refs.get(a), refs.get(b)) {
        let right = |p: &Predictions, i: usize, label: u32| {
            p.row_of(i)
                .and_then(|r| p.row_top(r))
                .is_some_and(|c| c as u32 == label)
        };
        for &i in &common {
            let label = labels.get(i as usize).copied().unwrap_or(NONE);
            let (ra, rb) = (right(pa, i as usize, label), right(pb, i as usize, label));
            let cell = match (ra, rb) {
                (true, true) => PairCell::BothRight,
                (true, false) => PairCell::OnlyARight,
                (false, true) => PairCell::OnlyBRight,
                (false, false) => PairCell::BothWrong,
            };
            samples[cell.index()].push(i);
        }
    }
    Ok(CompareResult {
        comparison,
        details,
        pair: PairSamples { a, b, samples },
        split: job.split,
    })
}

/// The Compare view's state: the chosen pair, the newest result, and the worker.
pub struct CompareState {
    /// Model A and model B of the 2×2 table, the confusion difference and the tiles.
    pub pair: (usize, usize),
    /// The newest finished result.
    pub result: Option<Arc<CompareResult>>,
    /// Why the newest comparison failed (no common sample, too many classes).
    pub error: Option<String>,
    /// The request the newest result answers, to ask again only when something changed.
    asked: Option<(u64, (usize, usize), Option<u32>)>,
    /// Bumped when the labels or the models change.
    generation: u64,
    worker: Option<LatestWorker<CompareJob, Result<CompareResult, String>>>,
    /// Bootstrap resamples (tests lower it).
    pub resamples: usize,
}

impl CompareState {
    /// A state whose worker wakes `ctx` when a result arrives.
    pub fn new(ctx: &egui::Context) -> Self {
        let waker = ctx.clone();
        let worker = LatestWorker::new(
            "compare",
            |job: CompareJob, _| compute(&job).map_err(|e| e.to_string()),
            move || waker.request_repaint(),
        );
        Self {
            pair: (0, 1),
            result: None,
            error: worker
                .as_ref()
                .err()
                .map(|e| format!("could not start: {e}")),
            asked: None,
            generation: 0,
            worker: worker.ok(),
            resamples: DEFAULT_RESAMPLES,
        }
    }

    /// The labels or the models changed: the next [`CompareState::sync`] computes again.
    pub fn invalidate(&mut self) {
        self.generation += 1;
    }

    /// Asks for numbers when the data, the pair or the split changed; takes a finished result.
    pub fn sync(
        &mut self,
        dataset: &Arc<Dataset>,
        models: Vec<(String, Arc<Predictions>)>,
        split: Option<u32>,
    ) {
        if let Some(result) = self.worker.as_mut().and_then(LatestWorker::poll) {
            match result {
                Ok(r) => {
                    self.result = Some(Arc::new(r));
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
        let n = models.len();
        if self.pair.0 >= n || self.pair.1 >= n || self.pair.0 == self.pair.1 {
            self.pair = (0, 1.min(n.saturating_sub(1)));
        }
        let key = (self.generation, self.pair, split);
        if self.asked == Some(key) || n < 2 {
            return;
        }
        if let Some(worker) = &mut self.worker {
            worker.request(CompareJob {
                dataset: Arc::clone(dataset),
                models,
                pair: self.pair,
                split,
                resamples: self.resamples,
            });
        }
        self.asked = Some(key);
    }

    /// Whether a comparison is being computed.
    pub fn computing(&self) -> bool {
        self.worker.as_ref().is_some_and(LatestWorker::pending)
    }
}
