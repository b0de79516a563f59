//! Everything the app shows about a crowd, computed once per method off the UI thread: the
//! consensus, agreement, per-annotator tallies, and per-sample lookups the grid's tiles and filters
//! read in O(1).

use crate::core::data::columns::NONE;
use crate::core::data::load::Annotations;

use super::report::{AnnotatorTally, disagreement_rows};
use super::{AgreementScores, Consensus, ConsensusMethod, CrowdError, agreement, consensus};

/// A crowd analysed over every annotated sample of a dataset.
#[derive(Debug, Clone)]
pub struct CrowdAnalysis {
    /// The consensus of every annotated sample.
    pub consensus: Consensus,
    /// Agreement over all of them.
    pub scores: AgreementScores,
    /// Judgements and agreement with the consensus, per annotator.
    pub tally: AnnotatorTally,
    /// The consensus class of each dataset sample (`NONE`: not annotated).
    pub consensus_of: Vec<u32>,
    /// Whether each sample's judgements are not all the same.
    pub disagrees: Vec<bool>,
    /// Samples whose judgements differ, least certain consensus first (the disagreement queue).
    pub queue: Vec<u32>,
}

impl CrowdAnalysis {
    /// Analyses `annotations` over a dataset of `samples` samples and `classes` classes.
    pub fn compute(
        samples: usize,
        annotations: &Annotations,
        classes: usize,
        method: ConsensusMethod,
    ) -> Result<Self, CrowdError> {
        let annotated: Vec<u32> = (0..samples.min(annotations.samples()))
            .filter(|&i| annotations.count(i) > 0)
            .map(|i| i as u32)
            .collect();
        let scores = agreement(annotations, &annotated, classes);
        let consensus = consensus(annotations, &annotated, classes, method)?;
        let tally = AnnotatorTally::count(annotations, &consensus);
        let mut consensus_of = vec![NONE; samples];
        for (r, &s) in consensus.samples.iter().enumerate() {
            consensus_of[s as usize] = consensus.label[r];
        }
        let rows = disagreement_rows(annotations, &consensus);
        let mut disagrees = vec![false; samples];
        let queue: Vec<u32> = rows.iter().map(|&r| consensus.samples[r]).collect();
        for &s in &queue {
            disagrees[s as usize] = true;
        }
        Ok(Self {
            consensus,
            scores,
            tally,
            consensus_of,
            disagrees,
            queue,
        })
    }

    /// The consensus class of sample `i`, if it is annotated.
    pub fn consensus_class(&self, i: usize) -> Option<usize> {
        self.consensus_of
            .get(i)
            .filter(|&&c| c != NONE)
            .map(|&c| c as usize)
    }

    /// The soft label of sample `i`, if it is annotated.
    pub fn soft_label(&self, i: usize) -> Option<&[f64]> {
        self.consensus.row_of(i).map(|r| self.consensus.soft(r))
    }

    /// Annotator `a`'s judgements against the consensus: `classes × classes` counts, rows the
    /// consensus class, columns the label the annotator gave.
    pub fn annotator_confusion(&self, annotations: &Annotations, a: u32) -> Vec<u64> {
        let k = self.consensus.classes;
        let mut m = vec![0u64; k * k];
        for (r, &s) in self.consensus.samples.iter().enumerate() {
            let c = self.consensus.label[r] as usize;
            for (who, l) in annotations.judgements(s as usize) {
                if who == a
                    && let Some(cell) = m.get_mut(c * k + l as usize)
                {
                    *cell += 1;
                }
            }
        }
        m
    }

    /// The samples annotator `a` judged, in dataset order.
    pub fn judged_by(&self, annotations: &Annotations, a: u32) -> Vec<u32> {
        self.consensus
            .samples
            .iter()
            .copied()
            .filter(|&s| annotations.judgements(s as usize).any(|(who, _)| who == a))
            .collect()
    }
}

/// "cat 4/5": the consensus class's share of the votes, for a tile caption. `None` when the sample
/// has no judgements.
pub fn vote_summary(
    annotations: &Annotations,
    i: usize,
    consensus_class: Option<usize>,
    classes: &[String],
) -> Option<String> {
    let c = consensus_class?;
    let total = annotations.count(i);
    let agreeing = annotations
        .judgements(i)
        .filter(|&(_, l)| l as usize == c)
        .count();
    Some(format!(
        "{} {agreeing}/{total}",
        classes.get(c).map_or("?", String::as_str)
    ))
}
