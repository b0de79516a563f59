//! The `agreement` document (the contract's JSON): agreement, consensus, annotators and the
//! disagreements, built from a dataset, its annotations and a method.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::core::data::dataset::Dataset;
use crate::core::data::load::Annotations;

use super::{
    AgreementScores, Consensus, ConsensusMethod, CrowdError, agreement, annotated_samples,
    consensus,
};

/// Default length of the disagreement list.
pub const DEFAULT_TOP: usize = 20;

/// The whole `agreement --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementReport {
    /// Samples with at least one judgement (after the split filter).
    pub num_samples: usize,
    /// Judgements of those samples.
    pub num_annotations: usize,
    /// Annotators with at least one of those judgements.
    pub num_annotators: usize,
    /// Dataset classes plus those only annotators used, byte order.
    pub classes: Vec<String>,
    /// How much the annotators agree.
    pub agreement: AgreementScores,
    /// How the consensus was taken and how often it matches the given labels.
    pub consensus: ConsensusSummary,
    /// Each annotator, by name (byte order).
    pub annotators: Vec<AnnotatorSummary>,
    /// Samples whose judgements differ, least certain consensus first.
    pub disagreements: Vec<Disagreement>,
}

/// The consensus part of the document.
#[derive(Debug, Clone, Serialize)]
pub struct ConsensusSummary {
    /// "vote" or "dawid_skene".
    pub method: &'static str,
    /// EM iterations; 0 for a vote.
    pub iterations: u32,
    /// Share of labelled annotated samples whose consensus is their given label.
    pub agrees_with_given_label: Option<f64>,
}

/// One annotator's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct AnnotatorSummary {
    /// The annotator's name as in the file.
    pub annotator: String,
    /// Judgements this annotator gave.
    pub num_annotations: usize,
    /// Share of them equal to the consensus.
    pub agreement_with_consensus: f64,
    /// Dawid–Skene's accuracy estimate; `None` for a vote.
    pub estimated_accuracy: Option<f64>,
}

/// A sample the annotators disagree on.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// Sample identity.
    pub file: String,
    /// Its label in the dataset, if any.
    pub given: Option<String>,
    /// The consensus class.
    pub consensus: String,
    /// Judgements per class (classes with at least one).
    pub votes: BTreeMap<String, u32>,
    /// The consensus class's probability.
    pub confidence: f64,
}

/// Per-annotator tallies against a consensus, shared by the report and the app's Annotators view.
#[derive(Debug, Clone, Default)]
pub struct AnnotatorTally {
    /// Judgements per annotator (in the analysed samples).
    pub judgements: Vec<usize>,
    /// Of those, how many equal the consensus.
    pub agreeing: Vec<usize>,
}

impl AnnotatorTally {
    /// Counts every annotator's judgements of the consensus's samples.
    pub fn count(annotations: &Annotations, consensus: &Consensus) -> Self {
        let w = annotations.annotators().len();
        let mut t = Self {
            judgements: vec![0; w],
            agreeing: vec![0; w],
        };
        for (r, &s) in consensus.samples.iter().enumerate() {
            let c = consensus.label[r];
            for (a, l) in annotations.judgements(s as usize) {
                let a = a as usize;
                t.judgements[a] += 1;
                if l == c {
                    t.agreeing[a] += 1;
                }
            }
        }
        t
    }

    /// Share of annotator `a`'s judgements equal to the consensus (0 with no judgements).
    pub fn agreement(&self, a: usize) -> f64 {
        match self.judgements.get(a) {
            Some(&n) if n > 0 => self.agreeing[a] as f64 / n as f64,
            _ => 0.0,
        }
    }
}

/// Rows (indices into `consensus.samples`) whose judgements are not all the same, least certain
/// consensus first (ties: dataset order).
pub fn disagreement_rows(annotations: &Annotations, consensus: &Consensus) -> Vec<usize> {
    let labels = annotations.label_ids();
    let mut rows: Vec<usize> = (0..consensus.samples.len())
        .filter(|&r| {
            let range = annotations.range(consensus.samples[r] as usize);
            labels[range].windows(2).any(|w| w[0] != w[1])
        })
        .collect();
    rows.sort_by(|&a, &b| consensus.confidence(a).total_cmp(&consensus.confidence(b)));
    rows
}

impl AgreementReport {
    /// Computes the whole document for `split` (`None`: every split).
    pub fn build(
        dataset: &Dataset,
        annotations: &Annotations,
        split: Option<usize>,
        method: ConsensusMethod,
        top: usize,
    ) -> Result<(Self, Consensus), CrowdError> {
        let classes = dataset.classes();
        let k = classes.len();
        let samples = annotated_samples(dataset, annotations, split);
        let scores = agreement(annotations, &samples, k);
        let consensus = consensus(annotations, &samples, k, method)?;
        let tally = AnnotatorTally::count(annotations, &consensus);
        let annotators: Vec<AnnotatorSummary> = annotations
            .annotators()
            .iter()
            .enumerate()
            .filter(|&(a, _)| tally.judgements[a] > 0)
            .map(|(a, name)| AnnotatorSummary {
                annotator: name.clone(),
                num_annotations: tally.judgements[a],
                agreement_with_consensus: tally.agreement(a),
                estimated_accuracy: consensus
                    .estimated_accuracy
                    .as_ref()
                    .and_then(|e| e.get(a).copied()),
            })
            .collect();
        let (mut labelled, mut agreeing) = (0usize, 0usize);
        for (r, &s) in samples.iter().enumerate() {
            if let Some(given) = dataset.label(s as usize) {
                labelled += 1;
                if given == consensus.label[r] as usize {
                    agreeing += 1;
                }
            }
        }
        let class_name = |c: usize| classes.get(c).cloned().unwrap_or_default();
        let disagreements = disagreement_rows(annotations, &consensus)
            .into_iter()
            .take(top)
            .map(|r| {
                let s = consensus.samples[r] as usize;
                let mut votes = BTreeMap::new();
                for (_, l) in annotations.judgements(s) {
                    *votes.entry(class_name(l as usize)).or_insert(0) += 1;
                }
                Disagreement {
                    file: dataset.file(s).to_string(),
                    given: dataset.label(s).map(class_name),
                    consensus: class_name(consensus.label[r] as usize),
                    votes,
                    confidence: consensus.confidence(r),
                }
            })
            .collect();
        let report = Self {
            num_samples: samples.len(),
            num_annotations: samples.iter().map(|&s| annotations.count(s as usize)).sum(),
            num_annotators: annotators.len(),
            classes: classes.to_vec(),
            agreement: scores,
            consensus: ConsensusSummary {
                method: method.json_name(),
                iterations: consensus.iterations,
                agrees_with_given_label: (labelled > 0).then(|| agreeing as f64 / labelled as f64),
            },
            annotators,
            disagreements,
        };
        Ok((report, consensus))
    }
}
