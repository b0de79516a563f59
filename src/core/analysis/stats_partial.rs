//! `stats` over a dataset split into parts that never meet (a distributed pipeline's buckets of
//! samples, each holding every row of its files): each part gives a [`StatsPartial`] (counts by
//! class name, confusion counts, calibration sums, the temperature fit's derivative sums on a grid
//! of b = 1/T), partials merge exactly, and [`finish`] turns the merge into the same `stats --json`
//! document. The temperature is then refined by passes at the b the previous pass chose
//! ([`TemperaturePartial`], merged the same way, stepped with the same Halley step as `stats`).
//!
//! Classes are kept by name: a part only knows the classes it sees, and the dataset's classes are the
//! union in byte order, as the loader sorts them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::metrics::{
    BinSums, ClassificationReport, ConfusionMatrix, LogProbRows, Scored, TEMPERATURE_BOUNDS,
    TemperatureSums, TooManyClasses, check_class_count, confusion_matrix, halley_step,
    plain_calibration_sums, scored_samples, temperature_pass,
};
use super::report::{
    BinSummary, CalibrationSummary, ClassCounts, DatasetSummary, MetricsSummary, PredictionSummary,
    StatsReport,
};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::{PredictionKind, Predictions};

/// Points of the warm-start grid of b, log-spaced over the temperature bounds: the minimiser lies
/// between two neighbours (a factor of 1.47 apart), and two Halley passes from there land within
/// 1e-9.
pub const GRID_POINTS: usize = 25;

/// Refinement passes the pipeline runs after the grid (Halley converges cubically: 1e-1, 1e-3,
/// 1e-9, below 1e-15).
pub const REFINEMENT_PASSES: usize = 3;

/// Partials that cannot be merged or finished, said for a person.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartialError {
    /// Two partials disagree on something every part must share.
    #[error("the parts do not fit together: {0}")]
    Mismatch(String),
    /// The request cannot be answered (e.g. `--split` names no split).
    #[error("{0}")]
    Request(String),
    /// Too many classes for the metrics.
    #[error(transparent)]
    TooManyClasses(#[from] TooManyClasses),
}

/// The samples of `dataset` that `predictions` scores, restricted to the split named `split` (a part
/// without that split scores nothing): what every partial of a part sums over.
fn part_scored(dataset: &Dataset, predictions: &Predictions, split: Option<&str>) -> Vec<Scored> {
    let split_id = split.map(|name| dataset.split_id(name));
    scored_samples(dataset.labels(), predictions, |i| match split_id {
        None => true,
        Some(None) => false,
        Some(Some(s)) => dataset.split(i) == Some(s),
    })
}

/// The b values of the warm-start grid.
pub fn grid() -> Vec<f64> {
    let (b_min, b_max) = (1.0 / TEMPERATURE_BOUNDS.1, 1.0 / TEMPERATURE_BOUNDS.0);
    (0..GRID_POINTS)
        .map(|i| b_min * (b_max / b_min).powf(i as f64 / (GRID_POINTS - 1) as f64))
        .collect()
}

/// One part's share of the predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionPart {
    /// Probabilities or logits (calibration applies) rather than hard class names.
    pub probabilities: bool,
    /// Rows naming a sample.
    pub matched: u64,
    /// Rows naming other files.
    pub unmatched: u64,
    /// Scored samples by true class, then predicted class.
    pub confusion: BTreeMap<String, BTreeMap<String, u64>>,
    /// Samples scored (labelled, predicted, in the split).
    pub scored: u64,
    /// Reliability bin sums of the given confidences.
    pub bins: BinSums,
    /// Sum of -ln(max(p_true, 1e-12)).
    pub nll_sum: f64,
    /// Sum of the per-sample Brier scores.
    pub brier_sum: f64,
    /// The temperature fit's derivative sums at each [`grid`] point.
    pub grid: Vec<TemperatureSums>,
}

/// One part's share of the `stats` document; see the module doc.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsPartial {
    /// Reliability bins asked for.
    pub num_bins: usize,
    /// The split the metrics are restricted to.
    pub split: Option<String>,
    /// Samples, labelled or not.
    pub num_samples: u64,
    /// Class names seen (labels and the predictions' classes).
    pub classes: BTreeSet<String>,
    /// Split names seen.
    pub splits: BTreeSet<String>,
    /// Labelled samples per class.
    pub counts: BTreeMap<String, u64>,
    /// Labelled samples per split, then class.
    pub split_counts: BTreeMap<String, BTreeMap<String, u64>>,
    /// The predictions' share, when a predictions file was given.
    pub predictions: Option<PredictionPart>,
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_insert(0) += v;
    }
}

impl StatsPartial {
    /// The partial of one part: `dataset` with `predictions` joined to it (the loader's join),
    /// metrics restricted to the split named `split` (a part without that split scores nothing).
    pub fn of_part(
        dataset: &Dataset,
        predictions: Option<&Predictions>,
        split: Option<&str>,
        num_bins: usize,
    ) -> Self {
        let classes = dataset.classes();
        let named = |counts: Vec<u64>| -> BTreeMap<String, u64> {
            classes
                .iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .map(|(c, n)| (c.clone(), n))
                .collect()
        };
        let split_counts = dataset
            .splits()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), named(dataset.class_counts(Some(i)))))
            .collect();
        let predictions = predictions.map(|p| {
            let scored = part_scored(dataset, p, split);
            let cm = confusion_matrix(p, &scored, classes.len());
            let mut confusion: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            for (t, true_name) in classes.iter().enumerate() {
                for (q, predicted_name) in classes.iter().enumerate() {
                    let n = cm.get(t, q);
                    if n > 0 {
                        confusion
                            .entry(true_name.clone())
                            .or_default()
                            .insert(predicted_name.clone(), n);
                    }
                }
            }
            let probabilities = p.kind() != PredictionKind::Hard;
            let (bins, nll_sum, brier_sum, grid) = if probabilities && !scored.is_empty() {
                let (bins, nll, brier) = plain_calibration_sums(p, &scored, num_bins);
                let grid = grid()
                    .into_iter()
                    .map(|b| temperature_pass(p, &scored, b, None).0)
                    .collect();
                (bins, nll, brier, grid)
            } else {
                (
                    BinSums::new(num_bins),
                    0.0,
                    0.0,
                    vec![TemperatureSums::default(); GRID_POINTS],
                )
            };
            PredictionPart {
                probabilities,
                matched: p.matched(),
                unmatched: p.unmatched(),
                confusion,
                scored: scored.len() as u64,
                bins,
                nll_sum,
                brier_sum,
                grid,
            }
        });
        Self {
            num_bins,
            split: split.map(str::to_string),
            num_samples: dataset.len() as u64,
            classes: classes.iter().cloned().collect(),
            splits: dataset.splits().iter().cloned().collect(),
            counts: named(dataset.class_counts(None)),
            split_counts,
            predictions,
        }
    }

    /// The partial of a part that has predictions rows but no dataset rows: every row is unmatched,
    /// and the classes it names are the dataset's too (the join adopts them).
    pub fn unmatched_only(
        num_bins: usize,
        split: Option<&str>,
        classes: &[String],
        probabilities: bool,
        rows: u64,
    ) -> Self {
        Self {
            num_bins,
            split: split.map(str::to_string),
            num_samples: 0,
            classes: classes.iter().cloned().collect(),
            splits: BTreeSet::new(),
            counts: BTreeMap::new(),
            split_counts: BTreeMap::new(),
            predictions: Some(PredictionPart {
                probabilities,
                matched: 0,
                unmatched: rows,
                confusion: BTreeMap::new(),
                scored: 0,
                bins: BinSums::new(num_bins),
                nll_sum: 0.0,
                brier_sum: 0.0,
                grid: vec![TemperatureSums::default(); GRID_POINTS],
            }),
        }
    }

    /// Both parts together. Parts must agree on the bins, the split and whether predictions (and
    /// which kind) were given.
    pub fn merge(mut self, other: &Self) -> Result<Self, PartialError> {
        if self.num_bins != other.num_bins || self.split != other.split {
            return Err(PartialError::Mismatch(format!(
                "one part has {} bins and split {:?}, another {} and {:?}",
                self.num_bins, self.split, other.num_bins, other.split
            )));
        }
        self.num_samples += other.num_samples;
        self.classes.extend(other.classes.iter().cloned());
        self.splits.extend(other.splits.iter().cloned());
        add_counts(&mut self.counts, &other.counts);
        for (split, counts) in &other.split_counts {
            add_counts(self.split_counts.entry(split.clone()).or_default(), counts);
        }
        self.predictions = match (self.predictions, &other.predictions) {
            (None, None) => None,
            (Some(a), Some(b)) => {
                if a.probabilities != b.probabilities {
                    return Err(PartialError::Mismatch(
                        "one part has probabilities, another hard predictions".into(),
                    ));
                }
                let mut confusion = a.confusion;
                for (t, row) in &b.confusion {
                    add_counts(confusion.entry(t.clone()).or_default(), row);
                }
                Some(PredictionPart {
                    probabilities: a.probabilities,
                    matched: a.matched + b.matched,
                    unmatched: a.unmatched + b.unmatched,
                    confusion,
                    scored: a.scored + b.scored,
                    bins: a.bins.merge(&b.bins),
                    nll_sum: a.nll_sum + b.nll_sum,
                    brier_sum: a.brier_sum + b.brier_sum,
                    grid: a
                        .grid
                        .iter()
                        .zip(&b.grid)
                        .map(|(x, y)| x.merge(y))
                        .collect(),
                })
            }
            _ => {
                return Err(PartialError::Mismatch(
                    "one part has predictions, another none".into(),
                ));
            }
        };
        Ok(self)
    }

    /// Where the refinement passes start: between the two grid points where the NLL's slope in b
    /// turns positive (interpolated in ln b), or at a bound when it never does.
    pub fn temperature_start(&self) -> f64 {
        let Some(p) = &self.predictions else {
            return 1.0;
        };
        let points = grid();
        let slopes: Vec<f64> = p.grid.iter().map(TemperatureSums::mean_slope).collect();
        if p.grid.iter().all(|s| s.count() == 0) {
            return 1.0;
        }
        match slopes.iter().position(|&g| g > 0.0) {
            None => points.last().copied().unwrap_or(1.0),
            Some(0) => points.first().copied().unwrap_or(1.0),
            Some(i) => {
                let (b0, b1) = (points[i - 1], points[i]);
                let (g0, g1) = (slopes[i - 1], slopes[i]);
                let t = g0 / (g0 - g1);
                (b0.ln() + t * (b1.ln() - b0.ln())).exp()
            }
        }
    }
}

/// One refinement pass's share: the derivative sums, the scaled reliability bins and the scaled NLL
/// sum, all at `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemperaturePartial {
    /// The b (= 1/T) of this pass.
    pub b: f64,
    /// Derivative sums at `b`.
    pub sums: TemperatureSums,
    /// Reliability bin sums of the probabilities scaled by T = 1/b.
    pub bins: BinSums,
    /// Sum of the scaled NLL (clipped as `stats` clips).
    pub nll_sum: f64,
}

impl TemperaturePartial {
    /// A pass over a part with nothing to score.
    pub fn empty(b: f64, num_bins: usize) -> Self {
        Self {
            b,
            sums: TemperatureSums::default(),
            bins: BinSums::new(num_bins),
            nll_sum: 0.0,
        }
    }

    /// A pass's sums (and its scaled bins and NLL, when it collected them) as a partial at `b`.
    fn from_pass(b: f64, pass: (TemperatureSums, Option<(BinSums, f64)>), empty: Self) -> Self {
        match pass {
            (sums, Some((bins, nll_sum))) => Self {
                b,
                sums,
                bins,
                nll_sum,
            },
            (sums, None) => Self { sums, ..empty },
        }
    }

    /// The pass at `b` over one part (nothing for a part without probabilities).
    pub fn of_part(
        dataset: &Dataset,
        predictions: Option<&Predictions>,
        split: Option<&str>,
        num_bins: usize,
        b: f64,
    ) -> Self {
        let empty = Self::empty(b, num_bins);
        let Some(p) = predictions.filter(|p| p.kind() != PredictionKind::Hard) else {
            return empty;
        };
        let scored = part_scored(dataset, p, split);
        if scored.is_empty() {
            return empty;
        }
        Self::from_pass(b, temperature_pass(p, &scored, b, Some(num_bins)), empty)
    }

    /// Both parts' sums (taken at the same b).
    pub fn merge(self, other: &Self) -> Result<Self, PartialError> {
        if self.b != other.b {
            return Err(PartialError::Mismatch(format!(
                "temperature passes at different b ({} and {})",
                self.b, other.b
            )));
        }
        Ok(Self {
            b: self.b,
            sums: self.sums.merge(&other.sums),
            bins: self.bins.merge(&other.bins),
            nll_sum: self.nll_sum + other.nll_sum,
        })
    }

    /// The b of the next pass: a Halley step (as `stats` takes it), kept inside the bounds.
    pub fn next_b(&self) -> f64 {
        if self.sums.count() == 0 {
            return 1.0;
        }
        let (b_min, b_max) = (1.0 / TEMPERATURE_BOUNDS.1, 1.0 / TEMPERATURE_BOUNDS.0);
        halley_step(self.b, &self.sums).clamp(b_min, b_max)
    }
}

/// A part's scored rows as the temperature passes read them (log-probabilities, true and top class,
/// in the order the part's pass visits them), kept by a distributed pipeline between passes: each
/// refinement pass then reads these instead of loading the part's files again. A pass over them
/// gives exactly the sums a pass over the loaded part gives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoredRows {
    classes: usize,
    /// Row-major, `classes` per row.
    log_probs: Vec<f64>,
    labels: Vec<u32>,
    tops: Vec<u32>,
}

/// Marks [`ScoredRows::to_bytes`]'s format (and its version).
const SCORED_ROWS_MAGIC: &[u8; 4] = b"SCR1";

impl ScoredRows {
    /// The rows of one part a temperature pass scores (none without probabilities).
    pub fn of_part(
        dataset: &Dataset,
        predictions: Option<&Predictions>,
        split: Option<&str>,
    ) -> Self {
        let Some(p) = predictions.filter(|p| p.kind() != PredictionKind::Hard) else {
            return Self::default();
        };
        let scored = part_scored(dataset, p, split);
        let classes = scored
            .first()
            .map_or(0, |s| p.row_log_probabilities(s.row as usize).len());
        let mut rows = Self {
            classes,
            log_probs: Vec::with_capacity(scored.len() * classes),
            labels: Vec::with_capacity(scored.len()),
            tops: Vec::with_capacity(scored.len()),
        };
        for s in &scored {
            let z = p.row_log_probabilities(s.row as usize);
            if z.len() != classes {
                continue; // every row of a matrix has the same width; never taken
            }
            rows.log_probs.extend_from_slice(z);
            rows.labels.push(s.label);
            rows.tops
                .push(p.row_top(s.row as usize).map_or(u32::MAX, |t| t as u32));
        }
        rows
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// No rows (a part without probabilities or without a scored sample).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Compact bytes for the pipeline to keep: magic, classes and rows (u32 each), then labels and
    /// top classes (u32) and the log-probabilities (f64), little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + self.len() * (8 + 8 * self.classes));
        out.extend_from_slice(SCORED_ROWS_MAGIC);
        out.extend_from_slice(&(self.classes as u32).to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for v in self.labels.iter().chain(&self.tops) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in &self.log_probs {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads [`Self::to_bytes`]'s form back; anything else is an error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PartialError> {
        let bad = |what: &str| PartialError::Mismatch(format!("not scored rows: {what}"));
        let (head, rest) = bytes.split_at_checked(12).ok_or_else(|| bad("too short"))?;
        if &head[..4] != SCORED_ROWS_MAGIC {
            return Err(bad("wrong magic"));
        }
        let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let (classes, n) = (word(4) as usize, word(8) as usize);
        let want = n
            .checked_mul(8)
            .and_then(|ids| n.checked_mul(classes)?.checked_mul(8)?.checked_add(ids))
            .ok_or_else(|| bad("sizes overflow"))?;
        if rest.len() != want {
            return Err(bad(&format!(
                "{} bytes where {want} were expected",
                rest.len()
            )));
        }
        let (ids, values) = rest.split_at(8 * n);
        let ids: Vec<u32> = ids
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let (labels, tops) = ids.split_at(n);
        let log_probs = values
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        Ok(Self {
            classes,
            log_probs,
            labels: labels.to_vec(),
            tops: tops.to_vec(),
        })
    }
}

impl LogProbRows for ScoredRows {
    fn log_probabilities(&self, row: usize) -> &[f64] {
        let start = row * self.classes;
        self.log_probs
            .get(start..start + self.classes)
            .unwrap_or_default()
    }

    fn top(&self, row: usize) -> Option<usize> {
        self.tops
            .get(row)
            .filter(|&&t| t != u32::MAX)
            .map(|&t| t as usize)
    }
}

impl TemperaturePartial {
    /// The pass at `b` over a part's kept [`ScoredRows`]: the same sums [`Self::of_part`] gives.
    pub fn of_rows(rows: &ScoredRows, num_bins: usize, b: f64) -> Self {
        let empty = Self::empty(b, num_bins);
        if rows.is_empty() {
            return empty;
        }
        let scored: Vec<Scored> = rows
            .labels
            .iter()
            .enumerate()
            .map(|(i, &label)| Scored {
                sample: i as u32,
                row: i as u32,
                label,
            })
            .collect();
        Self::from_pass(b, temperature_pass(rows, &scored, b, Some(num_bins)), empty)
    }
}

/// The `stats` document of the merged `partial`, with the temperature from the last refinement
/// pass `temperature` (its next step is the reported T; its scaled sums give the "after" numbers).
pub fn finish(
    partial: &StatsPartial,
    temperature: Option<&TemperaturePartial>,
) -> Result<StatsReport, PartialError> {
    let classes: Vec<String> = partial.classes.iter().cloned().collect();
    let splits: Vec<String> = partial.splits.iter().cloned().collect();
    if let Some(name) = &partial.split {
        if splits.is_empty() {
            return Err(PartialError::Request(format!(
                "--split {name}: the dataset has no splits"
            )));
        }
        if !partial.splits.contains(name) {
            return Err(PartialError::Request(format!(
                "--split {name}: no such split (the dataset has: {})",
                splits.join(", ")
            )));
        }
    }
    let class_counts = ClassCounts::listed(&classes, &splits, |split| {
        let counts = match split {
            None => Some(&partial.counts),
            Some(i) => splits.get(i).and_then(|s| partial.split_counts.get(s)),
        };
        classes
            .iter()
            .map(|c| counts.and_then(|m| m.get(c)).copied().unwrap_or(0))
            .collect()
    });
    let index: BTreeMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let (metrics, calibration) = match &partial.predictions {
        Some(p) if p.scored > 0 => {
            check_class_count(classes.len())?;
            let mut cm = ConfusionMatrix::new(classes.len());
            for (t, row) in &p.confusion {
                for (q, &n) in row {
                    if let (Some(&t), Some(&q)) = (index.get(t.as_str()), index.get(q.as_str())) {
                        cm.add_many(t, q, n);
                    }
                }
            }
            let report = ClassificationReport::from_confusion(&cm);
            let metrics = MetricsSummary::new(&report, &classes);
            let calibration = p.probabilities.then(|| {
                let diagram = p.bins.diagram();
                let n = p.scored as f64;
                let (t, ece_after, nll_after) = match temperature {
                    Some(tp) if tp.sums.count() > 0 => {
                        let after = tp.bins.diagram();
                        let count = after.total.max(1) as f64;
                        (1.0 / tp.next_b(), after.ece, tp.nll_sum / count)
                    }
                    _ => (1.0, diagram.ece, p.nll_sum / n),
                };
                CalibrationSummary {
                    num_bins: partial.num_bins,
                    ece: diagram.ece,
                    mce: diagram.mce,
                    nll: p.nll_sum / n,
                    brier: p.brier_sum / n,
                    bins: BinSummary::list(&diagram),
                    temperature: t,
                    ece_after_temperature: ece_after,
                    nll_after_temperature: nll_after,
                }
            });
            (Some(metrics), calibration)
        }
        _ => (None, None),
    };
    Ok(StatsReport {
        dataset: DatasetSummary {
            num_samples: partial.num_samples,
            classes,
            splits,
        },
        class_counts,
        predictions: partial.predictions.as_ref().map(|p| PredictionSummary {
            matched: p.matched,
            unmatched: p.unmatched,
        }),
        metrics,
        calibration,
        metrics_refused: None,
    })
}
