//! Which samples to label next (active learning by uncertainty sampling, Settles 2009): every
//! candidate scored by how unsure the model is, most uncertain first, so an annotator's time goes
//! where a label teaches the model most.
//!
//! Scores from a sample's probabilities (higher = label it first), as the contract defines them:
//! - least confidence: `1 - p1`;
//! - margin: `1 - (p1 - p2)`;
//! - entropy: `-sum p ln p / ln K` (`0 ln 0 = 0`; `K` = the number of classes, the width of the
//!   probability rows; with one class nothing is uncertain and the score is 0);
//!
//! where `p1 >= p2` are the two largest probabilities (`p2 = 0` with one class). Ties keep dataset
//! order. `per_class` interleaves the ranking by predicted class (round robin in class byte order), so
//! a batch is not all one class. One pass over the probability matrix in file order (in parallel),
//! then a sort: on the 1,000,000-row bench data the scoring and ranking take a few tens of
//! milliseconds; reading the file is the rest.

use std::path::PathBuf;

use rayon::prelude::*;

use crate::core::data::columns::NONE;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;
use crate::core::util::fast_math::exp_nonpositive;

/// How uncertainty is scored: the command's `--strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `1 - p1`: the model's top guess is weak.
    LeastConfidence,
    /// `1 - (p1 - p2)`: the model hesitates between its two best guesses.
    Margin,
    /// Normalised Shannon entropy: the probability is spread over many classes.
    Entropy,
}

impl Strategy {
    /// The name the command line takes and the JSON document's `strategy` echoes.
    pub fn name(self) -> &'static str {
        match self {
            Self::LeastConfidence => "least-confidence",
            Self::Margin => "margin",
            Self::Entropy => "entropy",
        }
    }
}

/// Which samples are candidates and how the ranking is arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelNextOptions {
    /// The uncertainty score.
    pub strategy: Strategy,
    /// Only this split's samples (`None`: all).
    pub split: Option<usize>,
    /// Labelled samples are candidates too (to re-check labels, or to rank a fully labelled set).
    pub include_labelled: bool,
    /// Round robin over predicted classes instead of one ranking.
    pub per_class: bool,
    /// Keep only the first K of the ranking (`None`: all). Only the K best (of each class, with
    /// `per_class`) are then sorted, which is most of the time on a million candidates.
    pub top: Option<usize>,
}

/// One sample to label, with its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Sample index in the dataset.
    pub sample: u32,
    /// The predicted class (argmax, lowest index on ties).
    pub predicted: u32,
    /// The uncertainty score, higher first.
    pub score: f64,
}

/// The ranking: every candidate, in the order to label them. Callers truncate to `--top`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelNext {
    /// The strategy that scored them.
    pub strategy: Strategy,
    /// Samples that were candidates (before any `--top` cut).
    pub num_candidates: u64,
    /// The candidates in labelling order (the first `top` of them when a top was asked for).
    pub samples: Vec<Candidate>,
    /// Every candidate's score binned by [`score_histogram`] into [`SCORE_BINS`] bins (before any
    /// `top` cut): how uncertain the model is over the whole pool, not only the batch.
    pub histogram: Vec<u64>,
}

/// Bins of the score histogram: 20 equal bins over [0, 1] (every strategy's scores lie there).
pub const SCORE_BINS: usize = 20;

/// Counts `scores` in `bins` equal bins over [0, 1]: bin `b` holds `b/bins <= s < (b+1)/bins`, the last
/// bin also 1; a score outside [0, 1] (rounding) counts in the nearest end bin, a NaN in none.
pub fn score_histogram(scores: impl Iterator<Item = f64>, bins: usize) -> Vec<u64> {
    let mut counts = vec![0u64; bins];
    if bins == 0 {
        return counts;
    }
    for s in scores.filter(|s| !s.is_nan()) {
        let b = ((s * bins as f64).floor().max(0.0) as usize).min(bins - 1);
        if let Some(c) = counts.get_mut(b) {
            *c += 1;
        }
    }
    counts
}

/// Why no ranking can be made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LabelNextError {
    /// Class names alone say nothing about how sure the model was.
    #[error(
        "{path} has hard predictions only (a prediction column); label-next needs prob_<class> or logit_<class> columns",
        path = .path.display()
    )]
    HardPredictions {
        /// The predictions file.
        path: PathBuf,
    },
}

/// Ranks the samples with probability predictions by how uncertain the model is about them.
///
/// `labels` are class ids per sample ([`NONE`] = unlabelled), passed explicitly so pending label
/// edits count: a sample labelled in the journal is no longer a candidate.
pub fn label_next(
    dataset: &Dataset,
    labels: &[u32],
    predictions: &Predictions,
    options: LabelNextOptions,
) -> Result<LabelNext, LabelNextError> {
    if !predictions.has_probabilities() {
        return Err(LabelNextError::HardPredictions {
            path: predictions.path().to_path_buf(),
        });
    }
    let k = dataset.classes().len();
    let splits = dataset.split_ids();
    let scored: Vec<Candidate> = predictions
        .sample_of_rows()
        .par_iter()
        .enumerate()
        .filter_map(|(row, &sample)| {
            let i = sample as usize;
            let label = *labels.get(i)?;
            if label != NONE && !options.include_labelled {
                return None;
            }
            if options
                .split
                .is_some_and(|s| splits.get(i).copied() != Some(s as u32))
            {
                return None;
            }
            let z = predictions.row_log_probabilities(row);
            if z.len() != k || k == 0 {
                return None;
            }
            let (top, score) = score_row(z, options.strategy);
            // The loader's argmax (on the probabilities themselves), as everywhere else.
            let predicted = predictions.row_top(row).unwrap_or(top);
            Some(Candidate {
                sample,
                predicted: predicted as u32,
                score,
            })
        })
        .collect();
    Ok(LabelNext {
        strategy: options.strategy,
        num_candidates: scored.len() as u64,
        histogram: score_histogram(scored.iter().map(|c| c.score), SCORE_BINS),
        samples: rank(scored, k, options.per_class, options.top),
    })
}

/// Labelling order: highest score first, ties in dataset order (sample index); with `per_class`,
/// interleaved by predicted class; the first `top`.
fn rank(
    mut scored: Vec<Candidate>,
    k: usize,
    per_class: bool,
    top: Option<usize>,
) -> Vec<Candidate> {
    if !per_class {
        best_first(&mut scored, top);
        return scored;
    }
    let mut queues: Vec<Vec<Candidate>> = vec![Vec::new(); k];
    for c in scored {
        if let Some(q) = queues.get_mut(c.predicted as usize) {
            q.push(c);
        }
    }
    // No class gives more than `top` to the first `top` of the round robin.
    for q in &mut queues {
        best_first(q, top);
    }
    let mut out = round_robin(queues);
    if let Some(top) = top {
        out.truncate(top);
    }
    out
}

/// Sorts `v` best first (score descending, then sample index: a total order, so the result does
/// not depend on the algorithm), keeping only the first `top`: a linear-time selection first, so
/// `--top 1000` of a million sorts a thousand.
fn best_first(v: &mut Vec<Candidate>, top: Option<usize>) {
    let order =
        |a: &Candidate, b: &Candidate| b.score.total_cmp(&a.score).then(a.sample.cmp(&b.sample));
    if let Some(top) = top
        && top < v.len()
    {
        if top == 0 {
            v.clear();
            return;
        }
        v.select_nth_unstable_by(top - 1, order);
        v.truncate(top);
    }
    v.par_sort_unstable_by(order);
}

/// The predicted class (argmax, lowest index on ties) and the score of one row of natural-log
/// probabilities (`-inf` for a probability of 0).
pub fn score_row(z: &[f64], strategy: Strategy) -> (usize, f64) {
    let mut top = 0;
    let mut z1 = f64::NEG_INFINITY;
    let mut z2 = f64::NEG_INFINITY;
    for (j, &v) in z.iter().enumerate() {
        if v > z1 {
            z2 = z1;
            z1 = v;
            top = j;
        } else if v > z2 {
            z2 = v;
        }
    }
    let score = match strategy {
        Strategy::LeastConfidence => 1.0 - prob(z1),
        Strategy::Margin => 1.0 - (prob(z1) - prob(z2)),
        Strategy::Entropy => {
            if z.len() < 2 {
                0.0
            } else {
                // -sum p ln p, with 0 ln 0 = 0 (a select keeps the loop vectorisable).
                let h: f64 = z
                    .iter()
                    .map(|&v| {
                        if v == f64::NEG_INFINITY {
                            0.0
                        } else {
                            prob(v) * v
                        }
                    })
                    .sum();
                -h / (z.len() as f64).ln()
            }
        }
    };
    // `+ 0.0` turns a -0 (a one-hot row's entropy) into 0.
    (top, score + 0.0)
}

/// A probability from its stored natural log (all logs are <= 0).
#[inline(always)]
fn prob(z: f64) -> f64 {
    if z == f64::NEG_INFINITY {
        0.0
    } else {
        exp_nonpositive(z)
    }
}

/// Interleaves per-class queues (each in labelling order): each round, every class (in class order,
/// which is byte order) that still has candidates gives its next one.
fn round_robin(queues: Vec<Vec<Candidate>>) -> Vec<Candidate> {
    let total: usize = queues.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    let mut next = vec![0usize; queues.len()];
    while out.len() < total {
        let before = out.len();
        for (q, pos) in queues.iter().zip(next.iter_mut()) {
            if let Some(c) = q.get(*pos) {
                out.push(*c);
                *pos += 1;
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_histogram_bins_by_lower_edge_and_keeps_the_ends() {
        let h = score_histogram(
            [
                0.0,
                0.04,
                0.05,
                0.12,
                0.99,
                1.0,
                1.0 + 1e-12,
                -1e-12,
                f64::NAN,
            ]
            .into_iter(),
            20,
        );
        assert_eq!(h.len(), 20);
        assert_eq!(h[0], 3, "0, 0.04 and a rounding below 0");
        assert_eq!(h[1], 1, "0.05 opens the second bin");
        assert_eq!(h[2], 1);
        assert_eq!(h[19], 3, "0.99, 1 and a rounding above 1");
        assert_eq!(h.iter().sum::<u64>(), 8, "NaN counts nowhere");
    }

    fn logs(p: &[f64]) -> Vec<f64> {
        p.iter().map(|&x| x.ln()).collect()
    }

    #[test]
    fn hand_checked_scores() {
        let z = logs(&[0.7, 0.2, 0.1]);
        let (top, lc) = score_row(&z, Strategy::LeastConfidence);
        assert_eq!(top, 0);
        assert!((lc - 0.3).abs() < 1e-12);
        let (_, m) = score_row(&z, Strategy::Margin);
        assert!((m - 0.5).abs() < 1e-12);
        // -(0.7 ln 0.7 + 0.2 ln 0.2 + 0.1 ln 0.1) / ln 3 = 0.8018186 / 1.0986123 = 0.7298467
        let (_, h) = score_row(&z, Strategy::Entropy);
        assert!((h - 0.729_846_699_162_097).abs() < 1e-12, "{h}");
    }

    #[test]
    fn one_hot_uniform_and_ties() {
        let one_hot = logs(&[0.0, 1.0, 0.0, 0.0]);
        for s in [
            Strategy::LeastConfidence,
            Strategy::Margin,
            Strategy::Entropy,
        ] {
            let (top, score) = score_row(&one_hot, s);
            assert_eq!(top, 1);
            assert_eq!(score.to_bits(), 0f64.to_bits(), "{s:?}: exactly +0");
        }
        let uniform = logs(&[0.25; 4]);
        let (top, h) = score_row(&uniform, Strategy::Entropy);
        assert_eq!(top, 0, "lowest index on ties");
        assert!((h - 1.0).abs() < 1e-12);
        assert!((score_row(&uniform, Strategy::Margin).1 - 1.0).abs() < 1e-12);
        assert!((score_row(&uniform, Strategy::LeastConfidence).1 - 0.75).abs() < 1e-12);
        // Two equal tops: margin 1, predicted the lower index.
        let (top, m) = score_row(&logs(&[0.0, 0.5, 0.5]), Strategy::Margin);
        assert_eq!((top, m), (1, 1.0));
    }

    #[test]
    fn one_class_is_never_uncertain() {
        for s in [
            Strategy::LeastConfidence,
            Strategy::Margin,
            Strategy::Entropy,
        ] {
            assert_eq!(score_row(&[0.0], s), (0, 0.0), "{s:?}");
        }
    }

    #[test]
    fn round_robin_takes_one_per_class_per_round() {
        let c = |sample, predicted, score| Candidate {
            sample,
            predicted,
            score,
        };
        // Class 1 holds the three best.
        let scored = vec![
            c(7, 1, 0.7),
            c(1, 0, 0.6),
            c(4, 1, 0.9),
            c(5, 0, 0.4),
            c(2, 1, 0.8),
            c(3, 2, 0.5),
        ];
        let order = |per_class, top| -> Vec<u32> {
            rank(scored.clone(), 3, per_class, top)
                .iter()
                .map(|c| c.sample)
                .collect()
        };
        assert_eq!(order(true, None), [1, 4, 3, 5, 2, 7]);
        assert_eq!(order(true, Some(4)), [1, 4, 3, 5]);
        assert_eq!(order(false, None), [4, 2, 7, 1, 3, 5]);
        assert_eq!(order(false, Some(2)), [4, 2]);
        assert_eq!(order(false, Some(0)), Vec::<u32>::new());
    }

    #[test]
    fn a_top_cut_is_the_first_k_of_the_full_ranking() {
        // Scores with many exact ties, so the tie-break by sample index decides.
        let mut rng = crate::core::analysis::view::SplitMix64::new(5);
        let scored: Vec<Candidate> = (0..5000)
            .map(|i| Candidate {
                sample: i,
                predicted: rng.below(4) as u32,
                score: rng.below(50) as f64 / 50.0,
            })
            .collect();
        for per_class in [false, true] {
            let full = rank(scored.clone(), 4, per_class, None);
            for top in [1, 7, 100, 4999, 5000, 9000] {
                let cut = rank(scored.clone(), 4, per_class, Some(top));
                assert_eq!(cut, full[..top.min(full.len())], "{per_class} {top}");
            }
        }
    }
}
