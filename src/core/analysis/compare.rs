//! Comparing several models on one dataset (`spotcheck compare`): the `stats` metrics of each model
//! on the samples every model predicts, with 95% percentile-bootstrap intervals, and for each pair the
//! 2×2 table of right/wrong with McNemar's exact p-value. A 0.5-point difference between two models
//! on a few thousand samples is often noise; the intervals and the paired test say when it is not.
//!
//! The bootstrap draws real indices (n draws with replacement from the n common samples, the same
//! draws for every model, so the comparison is paired) from a generator fixed here, so a seed gives the
//! same intervals on every machine and in every version. Each resample is folded into per-class
//! counts and reliability-bin sums without visiting the models' data per draw: the draws are counted
//! per sample (a byte each), and each model keeps its samples sorted once by (label, predicted class,
//! bin), so a resample is one sequential pass per model over runs of counts (and confidences, for
//! ECE). That is what makes 1000 resamples of a million samples take about two seconds on two cores.

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use serde::ser::SerializeMap as _;

use super::metrics::{
    ClassificationReport, Scored, TooManyClasses, bin_index, check_class_count, confusion_matrix,
    plain_calibration,
};
use super::precision_recall::{average_precision_of, pr_curve_from_keys, radix_sort, score_key};
use super::view::SplitMix64;
use crate::core::data::columns::NONE;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;

/// Resamples of the bootstrap (the contract's 1000).
pub const DEFAULT_RESAMPLES: usize = 1000;
/// Seed of the bootstrap when none is given (the contract's 0).
pub const DEFAULT_SEED: u64 = 0;
/// Coverage of the intervals: the 2.5th and 97.5th percentiles.
pub const INTERVAL_PERCENTILES: (f64, f64) = (2.5, 97.5);

/// Why models could not be compared.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CompareError {
    /// Too many classes for the metrics.
    #[error(transparent)]
    TooManyClasses(#[from] TooManyClasses),
    /// Fewer than two predictions files.
    #[error("compare needs at least two --predictions files (got {0}); `stats` scores one model")]
    TooFewModels(usize),
    /// No labelled sample is predicted by every model (in the split).
    #[error(
        "no labelled sample{split} has a usable prediction in every predictions file ({files})"
    )]
    NoCommonSamples {
        /// " in split NAME", or empty.
        split: String,
        /// The files, comma-separated.
        files: String,
    },
}

/// The contract's model names: each file's name without its extension, a repeated name getting
/// `_2`, `_3`, ... in the order given (so `a/model.csv b/model.csv` is `model`, `model_2`).
pub fn model_names(paths: &[PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(paths.len());
    for path in paths {
        let base = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let mut name = base.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        names.push(name);
    }
    names
}

/// The labelled samples (in `split` when given) that every model has a usable prediction for, in
/// dataset order.
pub fn common_samples(
    labels: &[u32],
    split_ids: &[u32],
    models: &[&Predictions],
    split: Option<usize>,
) -> Vec<u32> {
    (0..labels.len())
        .into_par_iter()
        .filter(|&i| {
            labels[i] != NONE
                && split.is_none_or(|s| split_ids.get(i).is_some_and(|&x| x as usize == s))
                && models.iter().all(|p| p.row_of(i).is_some())
        })
        .map(|i| i as u32)
        .collect()
}

/// A `[low, high]` interval.
pub type Interval = [f64; 2];

/// Average precision per class, serialised as a map from class name in class order.
#[derive(Debug, Clone, PartialEq)]
pub struct PerClassAp(pub Vec<(String, Option<f64>)>);

impl Serialize for PerClassAp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One model in the `compare --json` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// The predictions file's name without its extension (made unique).
    pub name: String,
    /// Fraction correct on the common samples.
    pub accuracy: f64,
    /// Unweighted mean F1 over the dataset's classes.
    pub macro_f1: f64,
    /// Expected calibration error; null for hard predictions.
    pub ece: Option<f64>,
    /// Mean negative log-likelihood; null for hard predictions.
    pub nll: Option<f64>,
    /// 95% percentile-bootstrap interval of the accuracy.
    pub accuracy_ci: Interval,
    /// 95% percentile-bootstrap interval of the macro F1.
    pub macro_f1_ci: Interval,
    /// 95% percentile-bootstrap interval of the ECE; null for hard predictions.
    pub ece_ci: Option<Interval>,
    /// spotcheck's addition: average precision per class, one class against the rest, as
    /// scikit-learn's `average_precision_score`; a class with no sample is null; the whole key is
    /// null for hard predictions.
    pub average_precision: Option<PerClassAp>,
}

/// One pair of models: who is right where, and McNemar's exact test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairSummary {
    /// The first model's name.
    pub a: String,
    /// The second model's name.
    pub b: String,
    /// Samples both predict correctly.
    pub both_right: u64,
    /// Samples only `a` predicts correctly.
    pub a_only_right: u64,
    /// Samples only `b` predicts correctly.
    pub b_only_right: u64,
    /// Samples both get wrong.
    pub both_wrong: u64,
    /// Exact two-sided McNemar p-value on the discordant counts.
    pub mcnemar_p: f64,
    /// spotcheck's addition: 95% paired-bootstrap interval of accuracy(a) - accuracy(b) (the same
    /// resamples as the models' intervals); a difference is significant when it excludes 0.
    pub accuracy_diff_ci: Interval,
    /// spotcheck's addition: the same for macro F1.
    pub macro_f1_diff_ci: Interval,
    /// spotcheck's addition: the same for ECE; null unless both models have probabilities.
    pub ece_diff_ci: Option<Interval>,
}

/// The whole `compare --json` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Labelled samples every model predicts (after the split).
    pub num_samples: u64,
    /// One entry per model, in the order given.
    pub models: Vec<ModelSummary>,
    /// Every pair i < j in that order.
    pub pairs: Vec<PairSummary>,
}

/// How the comparison is computed: the `stats` binning, and the bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareOptions {
    /// Equal-width reliability bins for ECE.
    pub num_bins: usize,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Whether to compute the per-class average precision (one sort per class and model).
    pub average_precision: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            num_bins: super::report::DEFAULT_BINS,
            resamples: DEFAULT_RESAMPLES,
            seed: DEFAULT_SEED,
            average_precision: true,
        }
    }
}

/// Compares `models` (named `names`) on the common labelled samples of `dataset` (in `split`).
pub fn compare(
    dataset: &Dataset,
    models: &[&Predictions],
    names: &[String],
    split: Option<usize>,
    options: &CompareOptions,
) -> Result<Comparison, CompareError> {
    if models.len() < 2 {
        return Err(CompareError::TooFewModels(models.len()));
    }
    let k = dataset.classes().len();
    check_class_count(k)?;
    let labels = dataset.labels();
    let started = std::time::Instant::now();
    let common = common_samples(labels, dataset.split_ids(), models, split);
    if common.is_empty() {
        return Err(CompareError::NoCommonSamples {
            split: split
                .and_then(|s| dataset.splits().get(s))
                .map(|s| format!(" in split {s}"))
                .unwrap_or_default(),
            files: models
                .iter()
                .map(|p| p.path().display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    crate::core::data::load::timing("  common samples", started);
    let n = common.len();

    // Per model, per common sample: predicted class, bin (probabilities only) and confidence.
    let per_model: Vec<ModelColumns> = models
        .iter()
        .map(|p| ModelColumns::new(p, &common, options.num_bins))
        .collect();
    crate::core::data::load::timing("  model columns", started);
    let label_of: Vec<u32> = common.iter().map(|&i| labels[i as usize]).collect();

    // Point estimates, exactly as `stats` computes them (rows in file order).
    let mut summaries: Vec<ModelSummary> = models
        .par_iter()
        .zip(names)
        .map(|(p, name)| point_estimates(p, name, &common, labels, dataset.classes(), options))
        .collect();
    crate::core::data::load::timing("  point estimates", started);

    // Paired tables and McNemar.
    let mut pairs = Vec::new();
    for a in 0..models.len() {
        for b in a + 1..models.len() {
            let mut t = [0u64; 4];
            for (j, &l) in label_of.iter().enumerate() {
                let ra = per_model[a].pred[j] == l;
                let rb = per_model[b].pred[j] == l;
                t[usize::from(!ra) * 2 + usize::from(!rb)] += 1;
            }
            pairs.push(PairSummary {
                a: names.get(a).cloned().unwrap_or_default(),
                b: names.get(b).cloned().unwrap_or_default(),
                both_right: t[0],
                a_only_right: t[1],
                b_only_right: t[2],
                both_wrong: t[3],
                mcnemar_p: mcnemar_exact_p(t[1], t[2]),
                accuracy_diff_ci: [0.0; 2],
                macro_f1_diff_ci: [0.0; 2],
                ece_diff_ci: None,
            });
        }
    }

    // The bootstrap.
    let boot = Bootstrap::new(&label_of, &per_model, k, options.num_bins);
    crate::core::data::load::timing("  bootstrap groups", started);
    let draws = boot.run(options.resamples, options.seed);
    crate::core::data::load::timing("  bootstrap", started);
    let column = |m: usize, f: fn(&ResampleMetrics) -> f64| -> Vec<f64> {
        draws.iter().filter_map(|r| r.get(m)).map(f).collect()
    };
    let diff = |a: usize, b: usize, f: fn(&ResampleMetrics) -> f64| -> Interval {
        percentile_interval(
            draws
                .iter()
                .filter_map(|r| Some(f(r.get(a)?) - f(r.get(b)?)))
                .collect(),
        )
    };
    for (m, summary) in summaries.iter_mut().enumerate() {
        summary.accuracy_ci = percentile_interval(column(m, |r| r.accuracy));
        summary.macro_f1_ci = percentile_interval(column(m, |r| r.macro_f1));
        if summary.ece.is_some() {
            summary.ece_ci = Some(percentile_interval(column(m, |r| r.ece)));
        }
    }
    let mut pair_index = 0;
    for a in 0..models.len() {
        for b in a + 1..models.len() {
            if let Some(pair) = pairs.get_mut(pair_index) {
                pair.accuracy_diff_ci = diff(a, b, |r| r.accuracy);
                pair.macro_f1_diff_ci = diff(a, b, |r| r.macro_f1);
                let both_soft = per_model[a].bin.is_some() && per_model[b].bin.is_some();
                pair.ece_diff_ci = both_soft.then(|| diff(a, b, |r| r.ece));
            }
            pair_index += 1;
        }
    }
    Ok(Comparison {
        num_samples: n as u64,
        models: summaries,
        pairs,
    })
}

/// The `stats` numbers of one model on the common samples, and its average precision per class.
fn point_estimates(
    p: &Predictions,
    name: &str,
    common: &[u32],
    labels: &[u32],
    classes: &[String],
    options: &CompareOptions,
) -> ModelSummary {
    let k = classes.len();
    let mut scored: Vec<Scored> = common
        .iter()
        .filter_map(|&i| {
            Some(Scored {
                sample: i,
                row: p.row_of(i as usize)? as u32,
                label: labels[i as usize],
            })
        })
        .collect();
    // File row order, as `stats` reads them: the same sums in the same order.
    scored.sort_unstable_by_key(|s| s.row);
    let report = ClassificationReport::from_confusion(&confusion_matrix(p, &scored, k));
    let calibration = p
        .has_probabilities()
        .then(|| plain_calibration(p, &scored, options.num_bins));
    let average_precision = (p.has_probabilities() && options.average_precision)
        .then(|| per_class_average_precision(p, &scored, k));
    ModelSummary {
        name: name.to_string(),
        accuracy: report.accuracy,
        macro_f1: report.macro_f1,
        ece: calibration.as_ref().map(|c| c.0.ece),
        nll: calibration.as_ref().map(|c| c.1),
        accuracy_ci: [report.accuracy; 2],
        macro_f1_ci: [report.macro_f1; 2],
        ece_ci: None,
        average_precision: average_precision
            .map(|v| PerClassAp(classes.iter().cloned().zip(v).collect())),
    }
}

/// Average precision of every class, one against the rest, over `scored`: one pass over the rows
/// sorts each row's log-probabilities (they rank the samples as the probabilities do) into per-class
/// positive and negative keys; the classes' curves are then computed in parallel.
fn per_class_average_precision(p: &Predictions, scored: &[Scored], k: usize) -> Vec<Option<f64>> {
    let mut pos: Vec<Vec<u64>> = vec![Vec::new(); k];
    let mut neg: Vec<Vec<u64>> = (0..k).map(|_| Vec::with_capacity(scored.len())).collect();
    for s in scored {
        let row = p.row_log_probabilities(s.row as usize);
        for (c, (pc, nc)) in pos.iter_mut().zip(neg.iter_mut()).enumerate() {
            let key = score_key(row.get(c).copied().unwrap_or(f64::NEG_INFINITY));
            if s.label as usize == c {
                pc.push(key);
            } else {
                nc.push(key);
            }
        }
    }
    pos.into_par_iter()
        .zip(neg)
        .map(|(pc, nc)| average_precision_of(&pr_curve_from_keys(pc, nc)))
        .collect()
}

/// One model's columns over the common samples (in `common` order).
struct ModelColumns {
    pred: Vec<u32>,
    /// Reliability bin per sample; `None` for hard predictions.
    bin: Option<Vec<u32>>,
    conf: Vec<f64>,
}

impl ModelColumns {
    fn new(p: &Predictions, common: &[u32], num_bins: usize) -> Self {
        let rows: Vec<usize> = common
            .iter()
            .map(|&i| p.row_of(i as usize).unwrap_or(usize::MAX))
            .collect();
        let pred = rows
            .iter()
            .map(|&r| p.row_top(r).map_or(NONE, |c| c as u32))
            .collect();
        if !p.has_probabilities() {
            return Self {
                pred,
                bin: None,
                conf: Vec::new(),
            };
        }
        let conf: Vec<f64> = rows.iter().map(|&r| p.row_confidence(r)).collect();
        let bin = conf
            .iter()
            .map(|&c| bin_index(c, num_bins) as u32)
            .collect();
        Self {
            pred,
            bin: Some(bin),
            conf,
        }
    }
}

/// One resample's metrics for one model.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ResampleMetrics {
    accuracy: f64,
    macro_f1: f64,
    ece: f64,
}

/// One model's view of the common samples for the bootstrap: the samples sorted by (label, predicted
/// class, bin), so every number a resample needs for this model is a sum over a contiguous run.
struct ModelPass {
    /// Per group: end (exclusive) in this model's order, label, predicted class, bin.
    groups: Vec<(usize, u32, u32, u32)>,
    /// This model's order as positions of the draw order; `None` when it is the draw order itself.
    perm: Option<Vec<u32>>,
    /// Confidences in this model's order, rounded to f32 (half the memory traffic per resample; the
    /// relative error, < 6e-8, is far below what an interval resolves). Empty for hard predictions.
    conf: Vec<f32>,
}

/// The common samples prepared for resampling. Draws index positions `0..n` of the first model's
/// order (any fixed order of the samples would do: a uniform draw does not care).
struct Bootstrap {
    passes: Vec<ModelPass>,
    has_probabilities: Vec<bool>,
    num_classes: usize,
    num_bins: usize,
    n: usize,
}

/// A draw count per sample: `u8` normally (a quarter of the memory traffic), `u32` for the rare
/// resample where one sample is drawn more than 255 times.
trait Count: Copy + Default + Send {
    fn bump(&mut self) -> bool;
    fn get(self) -> u64;
}

impl Count for u8 {
    fn bump(&mut self) -> bool {
        match self.checked_add(1) {
            Some(v) => {
                *self = v;
                true
            }
            None => false,
        }
    }
    fn get(self) -> u64 {
        u64::from(self)
    }
}

impl Count for u32 {
    fn bump(&mut self) -> bool {
        *self = self.saturating_add(1);
        true
    }
    fn get(self) -> u64 {
        u64::from(self)
    }
}

/// Uniform indices in `0..n` from SplitMix64, two per 64-bit output: Lemire's multiply-shift on each
/// 32-bit half, with his rejection step, so every index is exactly equally likely (n < 2^32).
struct IndexDraws {
    rng: SplitMix64,
    n: u64,
    threshold: u32,
    spare: Option<u32>,
}

impl IndexDraws {
    fn new(seed: u64, n: usize) -> Self {
        let n = (n as u64).clamp(1, u64::from(u32::MAX));
        Self {
            rng: SplitMix64::new(seed),
            n,
            // 2^32 mod n: low products below it are rejected.
            threshold: ((1u64 << 32) % n) as u32,
            spare: None,
        }
    }

    /// Calls `f` with the next `count` indices: the same sequence as [`Self::next_index`], two per
    /// generator output without a branch on a spare half.
    fn take(&mut self, count: usize, mut f: impl FnMut(usize)) {
        let mut left = count;
        if left > 0 && self.spare.is_some() {
            f(self.next_index());
            left -= 1;
        }
        while left > 0 {
            let r = self.rng.next_u64();
            for half in [(r >> 32) as u32, r as u32] {
                if left == 0 {
                    break;
                }
                let m = u64::from(half) * self.n;
                if (m as u32) >= self.threshold {
                    f((m >> 32) as usize);
                    left -= 1;
                }
            }
        }
    }

    fn half(&mut self) -> u32 {
        if let Some(x) = self.spare.take() {
            return x;
        }
        let r = self.rng.next_u64();
        self.spare = Some(r as u32);
        (r >> 32) as u32
    }

    fn next_index(&mut self) -> usize {
        loop {
            let m = u64::from(self.half()) * self.n;
            if (m as u32) >= self.threshold {
                return (m >> 32) as usize;
            }
        }
    }
}

impl Bootstrap {
    fn new(labels: &[u32], models: &[ModelColumns], k: usize, num_bins: usize) -> Self {
        let n = labels.len();
        let key = |mc: &ModelColumns, j: usize| -> (u32, u32, u32) {
            (labels[j], mc.pred[j], mc.bin.as_ref().map_or(0, |b| b[j]))
        };
        // Keys as integers: (label * k + predicted) * bins + bin. When a key and a position fit in
        // 64 bits (k * k * bins < 2^32: up to 1,000 classes at 1,000 bins), each sort is a radix sort of
        // (key << 32 | position), a few tens of milliseconds for a million samples.
        let nb = num_bins.max(1) as u64;
        let packs = (k as u64)
            .checked_mul(k as u64)
            .and_then(|x| x.checked_mul(nb))
            .is_some_and(|x| x <= 1 << 32);
        let id = |mc: &ModelColumns, j: usize| -> u64 {
            let (l, p, b) = key(mc, j);
            (u64::from(l) * k as u64 + u64::from(p)) * nb + u64::from(b)
        };
        // Sorts positions 0..n by `key_of` (ties by position: a stable order that depends on the data
        // alone).
        let sort_by = |key_of: &(dyn Fn(usize) -> u64 + Sync)| -> Vec<u32> {
            if packs {
                let mut packed: Vec<u64> = (0..n)
                    .into_par_iter()
                    .map(|t| (key_of(t) << 32) | t as u64)
                    .collect();
                radix_sort(&mut packed);
                packed.into_iter().map(|x| x as u32).collect()
            } else {
                let mut o: Vec<u32> = (0..n as u32).collect();
                o.par_sort_by_key(|&t| (key_of(t as usize), t));
                o
            }
        };
        // The draw order: the first model's.
        let draw_order: Vec<u32> = match models.first() {
            Some(first) => sort_by(&|j| id(first, j)),
            None => (0..n as u32).collect(),
        };
        let passes = models
            .par_iter()
            .enumerate()
            .map(|(m, mc)| {
                // Positions (in the draw order) sorted by this model's key.
                let order: Vec<u32> = if m == 0 {
                    (0..n as u32).collect()
                } else {
                    sort_by(&|pos| id(mc, draw_order[pos] as usize))
                };
                let sample = |t: usize| draw_order[order[t] as usize] as usize;
                let mut groups: Vec<(usize, u32, u32, u32)> = Vec::new();
                for t in 0..n {
                    let (l, p, b) = key(mc, sample(t));
                    match groups.last_mut() {
                        Some(g) if (g.1, g.2, g.3) == (l, p, b) => g.0 = t + 1,
                        _ => groups.push((t + 1, l, p, b)),
                    }
                }
                let conf = if mc.bin.is_some() {
                    (0..n).map(|t| mc.conf[sample(t)] as f32).collect()
                } else {
                    Vec::new()
                };
                ModelPass {
                    groups,
                    perm: (m > 0).then_some(order),
                    conf,
                }
            })
            .collect();
        Self {
            passes,
            has_probabilities: models.iter().map(|mc| mc.bin.is_some()).collect(),
            num_classes: k,
            num_bins: num_bins.max(1),
            n,
        }
    }

    /// Runs `resamples` resamples in parallel; each resample's draws depend only on (seed, its
    /// index), so the result is the same whatever the thread count.
    fn run(&self, resamples: usize, seed: u64) -> Vec<Vec<ResampleMetrics>> {
        (0..resamples)
            .into_par_iter()
            .map_init(
                || vec![0u8; self.n],
                |counts, r| {
                    let s = resample_seed(seed, r);
                    self.resample(counts, s).unwrap_or_else(|| {
                        // A sample drawn more than 255 times: the same draws, counted in u32.
                        let mut wide = vec![0u32; self.n];
                        self.resample(&mut wide, s).unwrap_or_default()
                    })
                },
            )
            .collect()
    }

    /// One resample: `n` draws counted per position, then one pass per model. `None` when a count
    /// does not fit `C`.
    fn resample<C: Count>(&self, counts: &mut [C], seed: u64) -> Option<Vec<ResampleMetrics>> {
        counts.fill(C::default());
        let mut draws = IndexDraws::new(seed, self.n);
        let mut overflow = false;
        draws.take(self.n, |j| {
            if let Some(c) = counts.get_mut(j) {
                overflow |= !c.bump();
            }
        });
        if overflow {
            return None;
        }
        let (k, nb) = (self.num_classes, self.num_bins);
        let mut support = vec![0u64; k];
        let mut out = Vec::with_capacity(self.passes.len());
        for (m, pass) in self.passes.iter().enumerate() {
            let mut tp = vec![0u64; k];
            let mut predicted = vec![0u64; k];
            let mut bin_count = vec![0u64; nb];
            let mut bin_correct = vec![0u64; nb];
            let mut bin_conf = vec![0.0f64; nb];
            let mut start = 0;
            for &(end, label, pred, bin) in &pass.groups {
                let (c, s) = group_sums(counts, pass, start, end);
                start = end;
                let (label, pred, bin) = (label as usize, pred as usize, bin as usize);
                if m == 0
                    && let Some(x) = support.get_mut(label)
                {
                    *x += c;
                }
                let right = label == pred;
                if right && let Some(x) = tp.get_mut(label) {
                    *x += c;
                }
                if let Some(x) = predicted.get_mut(pred) {
                    *x += c;
                }
                if !pass.conf.is_empty() {
                    let b = bin.min(nb - 1);
                    bin_count[b] += c;
                    if right {
                        bin_correct[b] += c;
                    }
                    bin_conf[b] += s;
                }
            }
            let total = self.n as f64;
            let correct: u64 = tp.iter().sum();
            let f1_sum: f64 = (0..k)
                .map(|c| {
                    // 2TP / (2TP + FP + FN) = 2TP / (predicted + support).
                    let den = predicted[c] + support[c];
                    if den > 0 {
                        2.0 * tp[c] as f64 / den as f64
                    } else {
                        0.0
                    }
                })
                .sum();
            let ece = if self.has_probabilities.get(m).copied().unwrap_or(false) {
                (0..nb)
                    .map(|b| (bin_correct[b] as f64 - bin_conf[b]).abs())
                    .sum::<f64>()
                    / total
            } else {
                f64::NAN
            };
            out.push(ResampleMetrics {
                accuracy: correct as f64 / total,
                macro_f1: if k == 0 { 0.0 } else { f1_sum / k as f64 },
                ece,
            });
        }
        Some(out)
    }
}

/// The draws of one group (`start..end` in the pass's order) and, with probabilities, the sum of
/// count × confidence.
fn group_sums<C: Count>(counts: &[C], pass: &ModelPass, start: usize, end: usize) -> (u64, f64) {
    let (mut c, mut s) = (0u64, 0.0f64);
    match (&pass.perm, pass.conf.is_empty()) {
        (None, true) => {
            for &x in counts.get(start..end).unwrap_or(&[]) {
                c += x.get();
            }
        }
        (None, false) => {
            let conf = pass.conf.get(start..end).unwrap_or(&[]);
            for (&x, &f) in counts.get(start..end).unwrap_or(&[]).iter().zip(conf) {
                let x = x.get();
                c += x;
                s += x as f64 * f64::from(f);
            }
        }
        (Some(perm), true) => {
            for &p in perm.get(start..end).unwrap_or(&[]) {
                c += counts.get(p as usize).map_or(0, |x| x.get());
            }
        }
        (Some(perm), false) => {
            let conf = pass.conf.get(start..end).unwrap_or(&[]);
            for (&p, &f) in perm.get(start..end).unwrap_or(&[]).iter().zip(conf) {
                let x = counts.get(p as usize).map_or(0, |x| x.get());
                c += x;
                s += x as f64 * f64::from(f);
            }
        }
    }
    (c, s)
}

/// The generator seed of resample `r`: SplitMix64's output for `seed` mixed with `r`, so resamples
/// are independent streams and any one can be recomputed alone.
pub fn resample_seed(seed: u64, r: usize) -> u64 {
    let mut g = SplitMix64::new(seed ^ (r as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    g.next_u64()
}

/// The 2.5th and 97.5th percentiles of `values` with linear interpolation (numpy's default).
pub fn percentile_interval(mut values: Vec<f64>) -> Interval {
    values.sort_unstable_by(f64::total_cmp);
    [
        percentile_sorted(&values, INTERVAL_PERCENTILES.0),
        percentile_sorted(&values, INTERVAL_PERCENTILES.1),
    ]
}

/// The `q`-th percentile (0..=100) of sorted `values`, numpy's `percentile(..., method="linear")`:
/// position `q/100 * (n - 1)`, interpolated between its neighbours. NaN for no values.
pub fn percentile_sorted(values: &[f64], q: f64) -> f64 {
    let Some(&last) = values.last() else {
        return f64::NAN;
    };
    let pos = (q / 100.0).clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    let a = values.get(lo).copied().unwrap_or(last);
    let b = values.get(lo + 1).copied().unwrap_or(a);
    // numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) when t >= 0.5.
    let d = b - a;
    if frac >= 0.5 {
        b - d * (1.0 - frac)
    } else {
        a + d * frac
    }
}

/// McNemar's exact test (statsmodels `mcnemar(table, exact=True)`): the two-sided binomial test of
/// `min(b, c)` successes in `b + c` trials at p = 1/2, `min(1, 2 * P(X <= min(b, c)))`. The tail is
/// summed from its largest term down, relative to it, and the largest term is taken in log space,
/// so a million discordant pairs neither underflow nor lose precision. `b + c = 0` gives 1.
pub fn mcnemar_exact_p(b: u64, c: u64) -> f64 {
    let n = b + c;
    let m = b.min(c);
    if 2 * m >= n {
        return 1.0;
    }
    // ln C(n, m) = sum_{j=1..m} ln((n - m + j) / j), summed with compensation (Neumaier).
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for j in 1..=m {
        let t = ((n - m + j) as f64 / j as f64).ln();
        let s = sum + t;
        comp += if sum.abs() >= t.abs() {
            (sum - s) + t
        } else {
            (t - s) + sum
        };
        sum = s;
    }
    let ln_top = sum + comp - n as f64 * std::f64::consts::LN_2;
    // P(X <= m) / P(X = m) = sum_{i <= m} prod ratios t_{i-1} / t_i = i / (n - i + 1).
    let (mut term, mut tail) = (1.0f64, 1.0f64);
    let mut i = m;
    while i > 0 {
        term *= i as f64 / (n - i + 1) as f64;
        tail += term;
        if term < tail * 1e-17 {
            break;
        }
        i -= 1;
    }
    (std::f64::consts::LN_2 + ln_top + tail.ln()).exp().min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1e-300), "{a} != {b}");
    }

    /// By hand: b = 1, c = 5, n = 6. P(X <= 1) = (C(6,0) + C(6,1)) / 64 = 7/64; p = 14/64.
    /// b = 2, c = 10: P(X <= 2) = (1 + 12 + 66) / 4096 = 79/4096; p = 158/4096.
    #[test]
    fn mcnemar_small_tables_by_hand() {
        close(mcnemar_exact_p(1, 5), 14.0 / 64.0, 1e-14);
        close(mcnemar_exact_p(5, 1), 14.0 / 64.0, 1e-14);
        close(mcnemar_exact_p(2, 10), 158.0 / 4096.0, 1e-14);
        close(mcnemar_exact_p(0, 7), 2.0 / 128.0, 1e-14);
        assert_eq!(mcnemar_exact_p(0, 0), 1.0);
        assert_eq!(mcnemar_exact_p(3, 3), 1.0);
        // n = 7, m = 3: 2 * (1 + 7 + 21 + 35) / 128 = 1 exactly.
        assert_eq!(mcnemar_exact_p(3, 4), 1.0);
    }

    /// Large counts neither underflow nor overflow: scipy.stats.binom.cdf(m, n, 0.5) * 2 gives
    /// 1.7404316412268293e-89 for (4000, 10000) and 0.0456082998653896 for (499000, 1000000); a tail
    /// below f64's range is 0.
    #[test]
    fn mcnemar_large_counts() {
        close(mcnemar_exact_p(4000, 6000), 1.7404316412268293e-89, 1e-9);
        close(mcnemar_exact_p(499_000, 501_000), 0.0456082998653896, 1e-9);
        assert_eq!(mcnemar_exact_p(0, 2_000_000), 0.0);
    }

    /// numpy: np.percentile([1, 2, 3, 4], [2.5, 97.5]) = [1.075, 3.925].
    #[test]
    fn percentiles_interpolate_linearly() {
        let v = [1.0, 2.0, 3.0, 4.0];
        close(percentile_sorted(&v, 2.5), 1.075, 1e-15);
        close(percentile_sorted(&v, 97.5), 3.925, 1e-15);
        assert_eq!(percentile_sorted(&v, 0.0), 1.0);
        assert_eq!(percentile_sorted(&v, 100.0), 4.0);
        assert!(percentile_sorted(&[], 50.0).is_nan());
    }

    /// The batched draws are the one-at-a-time sequence, and cover `0..n` uniformly enough to see.
    #[test]
    fn batched_draws_are_the_single_draws() {
        let mut a = IndexDraws::new(9, 7);
        let mut one = Vec::new();
        for _ in 0..1001 {
            one.push(a.next_index());
        }
        let mut batched = Vec::new();
        IndexDraws::new(9, 7).take(1001, |j| batched.push(j));
        assert_eq!(one, batched);
        let mut hist = [0u32; 7];
        for j in one {
            hist[j] += 1;
        }
        assert!(hist.iter().all(|&h| (100..190).contains(&h)), "{hist:?}");
    }

    #[test]
    fn repeated_names_get_a_suffix() {
        let paths: Vec<PathBuf> = ["a/model.csv", "b/model.jsonl", "c/other.csv", "model"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(
            model_names(&paths),
            vec!["model", "model_2", "other", "model_3"]
        );
    }
}
