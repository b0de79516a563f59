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
    /// Every candidate, in labelling order.
    pub samples: Vec<Candidate>,
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
    let mut scored: Vec<Candidate> = predictions
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
    // Highest score first; ties in dataset order.
    scored.par_sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.sample.cmp(&b.sample)));
    let num_candidates = scored.len() as u64;
    let samples = if options.per_class {
        round_robin(scored, k)
    } else {
        scored
    };
    Ok(LabelNext {
        strategy: options.strategy,
        num_candidates,
        samples,
    })
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

/// Interleaves `ranked` (already in score order) by predicted class: each round, every class (in
/// class order, which is byte order) that still has candidates gives its next one.
fn round_robin(ranked: Vec<Candidate>, k: usize) -> Vec<Candidate> {
    let mut queues: Vec<Vec<Candidate>> = vec![Vec::new(); k];
    for c in &ranked {
        if let Some(q) = queues.get_mut(c.predicted as usize) {
            q.push(*c);
        }
    }
    let mut out = Vec::with_capacity(ranked.len());
    let mut next = vec![0usize; k];
    while out.len() < ranked.len() {
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
        // Ranked: class 1 holds the three best.
        let ranked = vec![
            c(4, 1, 0.9),
            c(2, 1, 0.8),
            c(7, 1, 0.7),
            c(1, 0, 0.6),
            c(3, 2, 0.5),
            c(5, 0, 0.4),
        ];
        let order: Vec<u32> = round_robin(ranked, 3).iter().map(|c| c.sample).collect();
        assert_eq!(order, [1, 4, 3, 5, 2, 7]);
    }
}
