//! Crowd labels: several annotators per sample. How much they agree ([`agreement`]), what they
//! agree on ([`consensus`]: majority vote or Dawid–Skene), how good each annotator is, and the soft
//! labels a training pipeline reads where people disagree. Pure functions over [`Annotations`], so
//! the CLI, the app and the tests compute the same numbers.

pub mod agreement;
pub mod analysis;
pub mod crowdlab;
pub mod dawid_skene;
pub mod report;
pub mod soft_labels;

use crate::core::data::dataset::Dataset;
use crate::core::data::load::Annotations;

pub use agreement::{AgreementScores, agreement};
pub use analysis::{CrowdAnalysis, vote_summary};
pub use report::AgreementReport;

/// How the crowd's judgements become one label per sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsensusMethod {
    /// Most votes (lowest class index on ties); the soft label is the vote fractions.
    #[default]
    Vote,
    /// Dawid and Skene (1979): each annotator's confusion matrix and the class priors estimated by
    /// EM, so a careful annotator outweighs a guesser.
    DawidSkene,
}

impl ConsensusMethod {
    /// The name the contract's JSON uses.
    pub fn json_name(self) -> &'static str {
        match self {
            Self::Vote => "vote",
            Self::DawidSkene => "dawid_skene",
        }
    }
}

/// Why a crowd analysis could not run.
#[derive(Debug, thiserror::Error)]
pub enum CrowdError {
    /// Dawid–Skene keeps a classes × classes matrix per annotator; this many would not fit.
    #[error(
        "{annotators} annotators × {classes} × {classes} classes is too large for Dawid–Skene's confusion matrices (at most {max} entries); use --method vote"
    )]
    TooLarge {
        annotators: usize,
        classes: usize,
        max: usize,
    },
}

/// The consensus of every annotated sample an analysis looks at.
#[derive(Debug, Clone)]
pub struct Consensus {
    /// How it was computed.
    pub method: ConsensusMethod,
    /// EM iterations (an M then an E step each); 0 for a vote.
    pub iterations: u32,
    /// Number of classes (the dataset's, after annotators' new ones were added).
    pub classes: usize,
    /// Dataset indices of the annotated samples, in dataset order.
    pub samples: Vec<u32>,
    /// Soft label of each sample: `classes` probabilities per row, rows in `samples` order.
    pub posterior: Vec<f64>,
    /// The consensus class of each sample (highest probability, lowest index on ties).
    pub label: Vec<u32>,
    /// Dawid–Skene's estimate of each annotator's accuracy (`sum_k prior_k * confusion_kk`), indexed
    /// like [`Annotations::annotators`]; `None` for a vote.
    pub estimated_accuracy: Option<Vec<f64>>,
}

impl Consensus {
    /// Row `r`'s soft label.
    pub fn soft(&self, r: usize) -> &[f64] {
        self.posterior
            .get(r * self.classes..(r + 1) * self.classes)
            .unwrap_or_default()
    }

    /// The probability of row `r`'s consensus class.
    pub fn confidence(&self, r: usize) -> f64 {
        self.label
            .get(r)
            .and_then(|&c| self.soft(r).get(c as usize))
            .copied()
            .unwrap_or(0.0)
    }

    /// The row of dataset sample `i`, if it is annotated (and in the analysed split).
    pub fn row_of(&self, i: usize) -> Option<usize> {
        self.samples.binary_search(&(i as u32)).ok()
    }
}

/// The annotated samples of `split` (all splits when `None`), in dataset order.
pub fn annotated_samples(
    dataset: &Dataset,
    annotations: &Annotations,
    split: Option<usize>,
) -> Vec<u32> {
    (0..dataset.len().min(annotations.samples()))
        .filter(|&i| annotations.count(i) > 0 && (split.is_none() || dataset.split(i) == split))
        .map(|i| i as u32)
        .collect()
}

/// Vote counts of sample `i` per class (a `classes`-long vector).
pub fn votes(annotations: &Annotations, i: usize, classes: usize) -> Vec<u32> {
    let mut v = vec![0u32; classes];
    for (_, l) in annotations.judgements(i) {
        if let Some(slot) = v.get_mut(l as usize) {
            *slot += 1;
        }
    }
    v
}

/// The index of the largest value, lowest index on ties.
pub fn argmax_first(values: &[f64]) -> usize {
    let mut best = 0;
    for (k, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = k;
        }
    }
    best
}

/// Majority vote: the soft label is the vote fractions, the consensus the most voted class.
pub fn vote(annotations: &Annotations, samples: &[u32], classes: usize) -> Consensus {
    let mut posterior = vec![0.0; samples.len() * classes];
    let mut label = Vec::with_capacity(samples.len());
    for (r, &s) in samples.iter().enumerate() {
        let row = &mut posterior[r * classes..(r + 1) * classes];
        let range = annotations.range(s as usize);
        let n = range.len() as f64;
        for &l in &annotations.label_ids()[range] {
            if let Some(slot) = row.get_mut(l as usize) {
                *slot += 1.0;
            }
        }
        for p in row.iter_mut() {
            *p /= n;
        }
        label.push(argmax_first(row) as u32);
    }
    Consensus {
        method: ConsensusMethod::Vote,
        iterations: 0,
        classes,
        samples: samples.to_vec(),
        posterior,
        label,
        estimated_accuracy: None,
    }
}

/// The consensus of `samples` by `method`.
pub fn consensus(
    annotations: &Annotations,
    samples: &[u32],
    classes: usize,
    method: ConsensusMethod,
) -> Result<Consensus, CrowdError> {
    match method {
        ConsensusMethod::Vote => Ok(vote(annotations, samples, classes)),
        ConsensusMethod::DawidSkene => dawid_skene::dawid_skene(
            annotations,
            samples,
            classes,
            dawid_skene::Options::default(),
        ),
    }
}

#[cfg(test)]
mod tests;
