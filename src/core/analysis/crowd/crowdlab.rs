//! CROWDLAB (Goh, Tkachenko & Mueller, "CROWDLAB: Supervised learning to infer consensus labels and
//! quality scores for data with multiple annotators", 2022): a consensus label per sample and a score
//! for how likely that consensus is wrong, from the crowd's judgements *and* a model's out-of-sample
//! probabilities. Computed the way cleanlab 2.x's
//! `cleanlab.multiannotator.get_label_quality_multiannotator(labels, pred_probs)` does with its
//! defaults (`consensus_method="best_quality"`, `quality_method="crowdlab"`, `calibrate_probs=False`),
//! so the two can be compared sample for sample:
//!
//! 1. the majority vote, ties broken as `get_majority_vote_label` does: by the model's probability,
//!    then the class with fewer judgements overall, then the mean agreement (with the non-tied
//!    majority) of the annotators who chose each tied class;
//! 2. weights from agreement, over the samples with more than one judgement: the most-likely-class
//!    error `e0` (how often the consensus is not the most common consensus class, at least 1e-6);
//!    each annotator's weight `max(1 - (1 - a_j) / e0, 1e-6)` where `a_j` is how often the others
//!    on the same samples agree with them; the model's weight
//!    `max(1 - model_error / e0, 1e-6) * sqrt(mean judgements per sample)`;
//! 3. the ensemble `post = (w_model * p + sum_j w_j * L_j) / (w_model + sum_j w_j)`, where annotator
//!    `j`'s vote `L_j` puts the mean per-sample agreement with the consensus `c` on their class and
//!    `(1 - c) / (K - 1)` on each other class;
//! 4. "best quality": the consensus becomes the ensemble's argmax (the vote where the maximum is
//!    tied), and steps 2–3 are computed again for it;
//! 5. the consensus quality score is the ensemble's probability of the consensus class (cleanlab's
//!    `self_confidence`); the annotator quality mixes the ensemble's mean probability of each
//!    annotator's labels with their agreement with the consensus, weighted by the model's share.
//!
//! Where this differs from cleanlab, and why:
//! - samples without judgements (or, with `--split`, outside the split) are left out, where cleanlab
//!   refuses them; an annotator with no judgement among the samples analysed is left out too (cleanlab
//!   refuses an empty column), so the number of annotators `M` in step 5 counts the others only;
//! - the last majority-vote tie-break is the lowest class index where cleanlab draws at random (and
//!   warns): a rerun gives the same answer. When tie-break 3 has nothing to go on (no sample without
//!   a tie at all), the tied classes are kept as they are instead of cleanlab's failing random choice;
//! - the probabilities are the predictions file's rows renormalised and held as logarithms (as every
//!   spotcheck analysis reads them), so they reach the arithmetic through `exp(ln p)`: values agree
//!   with cleanlab's to about 1e-15, and an exact tie in cleanlab (steps 1 and 4 compare floats for
//!   equality) can become a one-ulp difference here, which only matters if two classes' ensemble
//!   probabilities are exactly equal;
//! - every sample's judgements are summed in annotator order, like cleanlab's column loop, so the
//!   ensemble probabilities are bit-for-bit the same sums; the per-annotator agreement is summed in
//!   sample order where numpy sums pairwise (a difference of a few ulps).
//!
//! Everything is a few passes over the judgements: O(judgements + samples · K), no per-sample
//! allocation but the sorted copy of the judgements.

use crate::core::data::columns::NONE;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Annotations;

use super::argmax_first;
use crate::core::analysis::label_issues::{IssueRow, LabelIssue, LabelIssuesReport};

/// cleanlab's `CLIPPING_LOWER_BOUND`: the floor of every weight and of the most-likely-class error.
const CLIP: f64 = 1e-6;

/// Why CROWDLAB cannot run on the given data (cleanlab refuses the same inputs).
#[derive(Debug, Clone, thiserror::Error)]
pub enum CrowdlabError {
    /// Agreement between annotators needs at least two of them.
    #[error(
        "CROWDLAB needs judgements from at least two annotators ({annotators} among the samples analysed)"
    )]
    OneAnnotator {
        /// Annotators with a judgement among the samples analysed.
        annotators: usize,
    },
    /// Agreement needs samples judged more than once.
    #[error(
        "every sample analysed has a single judgement: CROWDLAB estimates annotator quality from samples judged more than once"
    )]
    SingleJudgements,
    /// The non-consensus share `(1 - c) / (K - 1)` needs two classes.
    #[error("CROWDLAB needs at least two classes ({classes} here)")]
    TooFewClasses {
        /// Number of classes.
        classes: usize,
    },
    /// The probability matrix does not hold `samples × classes` values.
    #[error("{values} probabilities for {samples} samples × {classes} classes")]
    Shape {
        /// Values passed.
        values: usize,
        /// Samples passed.
        samples: usize,
        /// Classes.
        classes: usize,
    },
}

/// CROWDLAB's result for the samples analysed (rows in the order of the `samples` passed in).
#[derive(Debug, Clone)]
pub struct Crowdlab {
    /// Number of classes (the width of `posterior`).
    pub classes: usize,
    /// Dataset indices of the samples analysed.
    pub samples: Vec<u32>,
    /// Number of judgements per row.
    pub num_annotations: Vec<u32>,
    /// cleanlab's majority vote (`get_majority_vote_label`): CROWDLAB's starting point, kept so a
    /// caller can see where the model changed the crowd's answer.
    pub majority_vote: Vec<u32>,
    /// The consensus label ("best quality").
    pub label: Vec<u32>,
    /// `consensus_quality_score`: the ensemble's probability of the consensus class; low means the
    /// consensus is likely wrong.
    pub quality: Vec<f64>,
    /// `annotator_agreement`: the share of the row's judgements equal to the consensus.
    pub agreement: Vec<f64>,
    /// The ensemble's probabilities (`post_pred_probs`), `classes` per row.
    pub posterior: Vec<f64>,
    /// How much the model counts against one annotator (cleanlab's `model_weight`).
    pub model_weight: f64,
    /// Per annotator (indexed like [`Annotations::annotators`]): the ensemble weight; NaN for an
    /// annotator with no judgement among the samples analysed.
    pub annotator_weight: Vec<f64>,
    /// Per annotator: cleanlab's `annotator_quality` (NaN when the annotator has no judgement on a
    /// sample judged more than once, as in cleanlab, or none at all).
    pub annotator_quality: Vec<f64>,
    /// Per annotator: the share of their judgements equal to the consensus (NaN: none).
    pub agreement_with_consensus: Vec<f64>,
    /// Per annotator: judgements among the samples analysed.
    pub annotator_judgements: Vec<u64>,
}

impl Crowdlab {
    /// Row `r`'s ensemble probabilities.
    pub fn posterior_row(&self, r: usize) -> &[f64] {
        self.posterior
            .get(r * self.classes..(r + 1) * self.classes)
            .unwrap_or_default()
    }

    /// The samples ranked by how likely their consensus is wrong (`1 - quality`, highest first; ties
    /// by sample index), as label-issues rows: `label` the consensus, `suggested` the ensemble's
    /// argmax, `flagged` where the consensus is not `given[sample]` (the dataset's label; an
    /// unlabelled sample counts as differing, since taking the consensus would change it).
    pub fn ranked(&self, given: &[u32]) -> Vec<LabelIssue> {
        let mut issues: Vec<LabelIssue> = self
            .samples
            .iter()
            .enumerate()
            .map(|(r, &sample)| {
                let label = self.label.get(r).copied().unwrap_or(0);
                LabelIssue {
                    sample,
                    label,
                    suggested: argmax_first(self.posterior_row(r)) as u32,
                    score: 1.0 - self.quality.get(r).copied().unwrap_or(0.0),
                    flagged: given.get(sample as usize).copied().unwrap_or(NONE) != label,
                }
            })
            .collect();
        issues.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.sample.cmp(&b.sample)));
        issues
    }

    /// The `label-issues --json` document for this result (method `crowdlab`): the first `top` of
    /// [`Self::ranked`] against the dataset's labels, class names from `dataset`.
    pub fn report<'a>(&self, dataset: &'a Dataset, top: Option<usize>) -> LabelIssuesReport<'a> {
        let name = |id: u32| {
            dataset
                .classes()
                .get(id as usize)
                .map_or("", String::as_str)
        };
        let ranked = self.ranked(dataset.labels());
        let num_flagged = ranked.iter().filter(|i| i.flagged).count() as u64;
        LabelIssuesReport {
            method: "crowdlab",
            num_candidates: self.samples.len() as u64,
            num_flagged,
            issues: ranked
                .iter()
                .take(top.unwrap_or(usize::MAX))
                .map(|i| IssueRow {
                    file: dataset.file(i.sample as usize),
                    label: name(i.label),
                    suggested: name(i.suggested),
                    score: i.score,
                    flagged: i.flagged,
                })
                .collect(),
        }
    }
}

/// The judgements of the samples analysed, each sample's sorted by annotator (cleanlab's column
/// order), as flat arrays.
struct Rows {
    offsets: Vec<usize>,
    annotator: Vec<u32>,
    label: Vec<u32>,
}

impl Rows {
    fn new(annotations: &Annotations, samples: &[u32]) -> Self {
        let mut offsets = Vec::with_capacity(samples.len() + 1);
        offsets.push(0);
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for &s in samples {
            let start = pairs.len();
            pairs.extend(annotations.judgements(s as usize));
            if let Some(row) = pairs.get_mut(start..) {
                row.sort_unstable();
            }
            offsets.push(pairs.len());
        }
        let (annotator, label) = pairs.into_iter().unzip();
        Self {
            offsets,
            annotator,
            label,
        }
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Row `r`'s (annotator, label) pairs, in annotator order.
    fn row(&self, r: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let range = self.offsets[r]..self.offsets[r + 1];
        self.annotator[range.clone()]
            .iter()
            .zip(&self.label[range])
            .map(|(&a, &l)| (a as usize, l as usize))
    }

    fn count(&self, r: usize) -> usize {
        self.offsets[r + 1] - self.offsets[r]
    }

    /// How many of row `r`'s judgements say `class`.
    fn votes_for(&self, r: usize, class: usize) -> usize {
        self.row(r).filter(|&(_, l)| l == class).count()
    }
}

/// Runs CROWDLAB on `samples` (dataset indices; each must have at least one judgement) with
/// `pred_probs`, `samples.len() × classes` out-of-sample probabilities, rows in `samples` order.
/// No sample at all is not an error: the result is empty.
pub fn crowdlab(
    annotations: &Annotations,
    samples: &[u32],
    pred_probs: &[f64],
    classes: usize,
) -> Result<Crowdlab, CrowdlabError> {
    let k = classes;
    if pred_probs.len() != samples.len() * k {
        return Err(CrowdlabError::Shape {
            values: pred_probs.len(),
            samples: samples.len(),
            classes: k,
        });
    }
    let m_all = annotations.annotators().len();
    let rows = Rows::new(annotations, samples);
    let n = rows.len();
    let mut judgements = vec![0u64; m_all];
    for &a in &rows.annotator {
        if let Some(slot) = judgements.get_mut(a as usize) {
            *slot += 1;
        }
    }
    if n == 0 {
        return Ok(empty(k, judgements));
    }
    if k < 2 {
        return Err(CrowdlabError::TooFewClasses { classes: k });
    }
    let active = judgements.iter().filter(|&&c| c > 0).count();
    if active < 2 {
        return Err(CrowdlabError::OneAnnotator { annotators: active });
    }
    if (0..n).all(|r| rows.count(r) <= 1) {
        return Err(CrowdlabError::SingleJudgements);
    }
    let pairwise = agreement_with_annotators(&rows, &judgements, k);

    let majority_vote = majority_vote(&rows, pred_probs, k, m_all);
    let first = stats(&rows, pred_probs, k, &majority_vote, &pairwise);
    // Best quality: the ensemble's argmax where it is unique, the vote where it is tied.
    let label: Vec<u32> = (0..n)
        .map(|r| {
            let row = &first.posterior[r * k..(r + 1) * k];
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut at = row.iter().enumerate().filter(|&(_, &v)| v == max);
            match (at.next(), at.next()) {
                (Some((c, _)), None) => c as u32,
                _ => majority_vote[r],
            }
        })
        .collect();
    drop(first);
    let last = stats(&rows, pred_probs, k, &label, &pairwise);
    let quality: Vec<f64> = (0..n)
        .map(|r| last.posterior[r * k + label[r] as usize])
        .collect();

    // Annotator statistics (cleanlab's `_get_annotator_stats`).
    let mut lqs_sum = vec![0.0; m_all];
    let mut agree_all = vec![0u64; m_all];
    let mut multi_agree = vec![0u64; m_all];
    let mut multi_count = vec![0u64; m_all];
    for (r, &consensus) in label.iter().enumerate() {
        let multi = rows.count(r) > 1;
        for (a, l) in rows.row(r) {
            lqs_sum[a] += last.posterior[r * k + l];
            let agrees = l == consensus as usize;
            agree_all[a] += u64::from(agrees);
            if multi {
                multi_count[a] += 1;
                multi_agree[a] += u64::from(agrees);
            }
        }
    }
    let mean_annotations = rows.annotator.len() as f64 / n as f64;
    let weight_sum: f64 = last.weights.iter().filter(|w| !w.is_nan()).sum();
    let adjusted = weight_sum * (mean_annotations / active as f64);
    let w = last.model_weight / (last.model_weight + adjusted);
    let ratio = |num: f64, den: u64| if den == 0 { f64::NAN } else { num / den as f64 };
    let annotator_quality = (0..m_all)
        .map(|a| {
            let lqs = ratio(lqs_sum[a], judgements[a]);
            let agreement = ratio(multi_agree[a] as f64, multi_count[a]);
            w * lqs + (1.0 - w) * agreement
        })
        .collect();
    let agreement_with_consensus = (0..m_all)
        .map(|a| ratio(agree_all[a] as f64, judgements[a]))
        .collect();
    Ok(Crowdlab {
        classes: k,
        samples: samples.to_vec(),
        num_annotations: (0..n).map(|r| rows.count(r) as u32).collect(),
        majority_vote,
        label,
        quality,
        agreement: last.agreement,
        posterior: last.posterior,
        model_weight: last.model_weight,
        annotator_weight: last.weights,
        annotator_quality,
        agreement_with_consensus,
        annotator_judgements: judgements,
    })
}

/// The result for no sample.
fn empty(classes: usize, judgements: Vec<u64>) -> Crowdlab {
    let m = judgements.len();
    Crowdlab {
        classes,
        samples: Vec::new(),
        num_annotations: Vec::new(),
        majority_vote: Vec::new(),
        label: Vec::new(),
        quality: Vec::new(),
        agreement: Vec::new(),
        posterior: Vec::new(),
        model_weight: f64::NAN,
        annotator_weight: vec![f64::NAN; m],
        annotator_quality: vec![f64::NAN; m],
        agreement_with_consensus: vec![f64::NAN; m],
        annotator_judgements: judgements,
    }
}

/// cleanlab's `_get_annotator_agreement_with_annotators`: per annotator, over the samples they
/// judged with others, the share of the others' judgements equal to theirs (each sample weighted by
/// its number of others). An annotator who never shares a sample gets the mean of the rest; one
/// with no judgement at all gets NaN (and no weight).
fn agreement_with_annotators(rows: &Rows, judgements: &[u64], k: usize) -> Vec<f64> {
    let m = judgements.len();
    let mut num = vec![0.0; m];
    let mut den = vec![0.0; m];
    let mut votes = vec![0usize; k];
    for r in 0..rows.len() {
        let n = rows.count(r);
        if n < 2 {
            continue;
        }
        votes.iter_mut().for_each(|v| *v = 0);
        for (_, l) in rows.row(r) {
            votes[l] += 1;
        }
        let others = (n - 1) as f64;
        for (a, l) in rows.row(r) {
            // cleanlab's per-sample agreement times its weight (n - 1).
            num[a] += (votes[l] - 1) as f64 / others * others;
            den[a] += others;
        }
    }
    let mut out: Vec<f64> = (0..m)
        .map(|a| {
            if den[a] > 0.0 {
                num[a] / den[a]
            } else {
                f64::NAN
            }
        })
        .collect();
    let known: Vec<f64> = out.iter().copied().filter(|v| !v.is_nan()).collect();
    let mean = known.iter().sum::<f64>() / known.len() as f64;
    for (a, v) in out.iter_mut().enumerate() {
        if v.is_nan() && judgements[a] > 0 {
            *v = mean;
        }
    }
    out
}

/// cleanlab's `get_majority_vote_label` with `pred_probs`: the most judged class; ties broken by the
/// model's probability, then the class with the fewest judgements overall, then the mean agreement
/// with the untied majority of the annotators who chose each class, then the lowest class index
/// (cleanlab: at random).
fn majority_vote(rows: &Rows, pred_probs: &[f64], k: usize, m: usize) -> Vec<u32> {
    let n = rows.len();
    let mut counts = vec![0usize; n * k];
    let mut class_total = vec![0usize; k];
    for r in 0..n {
        for (_, l) in rows.row(r) {
            counts[r * k + l] += 1;
            class_total[l] += 1;
        }
    }
    let mut label = vec![0u32; n];
    let mut untied = vec![false; n];
    let mut tied: Vec<(usize, Vec<usize>)> = Vec::new();
    // The candidates with the largest value (all of them when several share it).
    let keep_best = |cands: &[usize], value: &dyn Fn(usize) -> f64| -> Vec<usize> {
        let best = cands
            .iter()
            .map(|&c| value(c))
            .fold(f64::NEG_INFINITY, f64::max);
        cands
            .iter()
            .copied()
            .filter(|&c| value(c) == best)
            .collect()
    };
    for r in 0..n {
        let row = &counts[r * k..(r + 1) * k];
        let max = row.iter().copied().max().unwrap_or(0);
        let modes: Vec<usize> = (0..k).filter(|&c| row[c] == max).collect();
        if let [only] = modes[..] {
            label[r] = only as u32;
            untied[r] = true;
            continue;
        }
        // Tie-break 1: the model's probability.
        let kept = keep_best(&modes, &|c| pred_probs[r * k + c]);
        match kept[..] {
            [only] => label[r] = only as u32,
            _ => tied.push((r, kept)),
        }
    }
    // Tie-break 2: the class with the fewest judgements overall.
    for (r, modes) in tied.iter_mut() {
        let kept = keep_best(modes, &|c| -(class_total[c] as f64));
        if let [only] = kept[..] {
            label[*r] = only as u32;
        }
        *modes = kept;
    }
    tied.retain(|(_, modes)| modes.len() > 1);
    if !tied.is_empty() {
        // Tie-break 3: each annotator's agreement with the untied majority votes.
        let mut agree = vec![0u64; m];
        let mut count = vec![0u64; m];
        for r in (0..n).filter(|&r| untied[r]) {
            for (a, l) in rows.row(r) {
                count[a] += 1;
                agree[a] += u64::from(l == label[r] as usize);
            }
        }
        let mut quality: Vec<f64> = (0..m)
            .map(|a| {
                if count[a] == 0 {
                    f64::NAN
                } else {
                    agree[a] as f64 / count[a] as f64
                }
            })
            .collect();
        let known: Vec<f64> = quality.iter().copied().filter(|v| !v.is_nan()).collect();
        let mean = known.iter().sum::<f64>() / known.len() as f64;
        quality
            .iter_mut()
            .filter(|v| v.is_nan())
            .for_each(|v| *v = mean);
        for (r, modes) in &tied {
            let score = |c: usize| {
                let (sum, count) = rows
                    .row(*r)
                    .filter(|&(_, l)| l == c)
                    .fold((0.0, 0usize), |(s, n), (a, _)| (s + quality[a], n + 1));
                sum / count as f64
            };
            let kept = keep_best(modes, &score);
            // Still tied (or nothing to compare): the lowest class, where cleanlab draws at random.
            label[*r] = kept.first().or(modes.first()).copied().unwrap_or(0) as u32;
        }
    }
    label
}

/// cleanlab's `_get_consensus_stats` for one consensus (the parts CROWDLAB uses).
struct Stats {
    agreement: Vec<f64>,
    posterior: Vec<f64>,
    model_weight: f64,
    /// Per annotator; NaN for one without judgements.
    weights: Vec<f64>,
}

fn stats(rows: &Rows, pred_probs: &[f64], k: usize, label: &[u32], pairwise: &[f64]) -> Stats {
    let n = rows.len();
    let agreement: Vec<f64> = (0..n)
        .map(|r| rows.votes_for(r, label[r] as usize) as f64 / rows.count(r) as f64)
        .collect();
    let multi: Vec<usize> = (0..n).filter(|&r| rows.count(r) != 1).collect();
    let m_rows = multi.len() as f64;
    // Likelihood that an annotator gives the consensus label, and each other class.
    let consensus_likelihood = multi.iter().map(|&r| agreement[r]).sum::<f64>() / m_rows;
    let non_consensus_likelihood = (1.0 - consensus_likelihood) / (k - 1) as f64;
    // The error of always answering the most common consensus class.
    let mut bincount = vec![0usize; k];
    for &r in &multi {
        bincount[label[r] as usize] += 1;
    }
    let common = bincount
        .iter()
        .enumerate()
        .fold(
            (0, 0),
            |best, (c, &v)| if v > best.1 { (c, v) } else { best },
        )
        .0;
    let most_likely_class_error = (multi
        .iter()
        .filter(|&&r| label[r] as usize != common)
        .count() as f64
        / m_rows)
        .max(CLIP);
    let weights: Vec<f64> = pairwise
        .iter()
        .map(|&a| {
            if a.is_nan() {
                a
            } else {
                (1.0 - (1.0 - a) / most_likely_class_error).max(CLIP)
            }
        })
        .collect();
    let model_error = multi
        .iter()
        .filter(|&&r| argmax_first(&pred_probs[r * k..(r + 1) * k]) != label[r] as usize)
        .count() as f64
        / m_rows;
    let mean_annotations = rows.annotator.len() as f64 / n as f64;
    let model_weight =
        (1.0 - model_error / most_likely_class_error).max(CLIP) * mean_annotations.sqrt();
    let mut posterior = vec![0.0; n * k];
    for r in 0..n {
        let mut total = 0.0;
        for (a, _) in rows.row(r) {
            total += weights[a];
        }
        total += model_weight;
        for c in 0..k {
            let mut v = pred_probs[r * k + c] * model_weight;
            for (a, l) in rows.row(r) {
                v += weights[a]
                    * if l == c {
                        consensus_likelihood
                    } else {
                        non_consensus_likelihood
                    };
            }
            posterior[r * k + c] = v / total;
        }
    }
    Stats {
        agreement,
        posterior,
        model_weight,
        weights,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::core::data::warnings::Warnings;

    /// A dataset of `n` unlabelled samples and the judgements `(sample, annotator, label)`.
    fn crowd(n: usize, rows: &[(usize, &str, &str)]) -> (Dataset, Annotations) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("m.csv");
        let mut text = String::from("file_name\n");
        for i in 0..n {
            text.push_str(&format!("s{i:02}.jpg\n"));
        }
        std::fs::write(&manifest, text).unwrap();
        let mut ds = crate::core::data::load::open(&manifest, None, None, &mut Warnings::default())
            .unwrap()
            .0;
        let (ann, _) = Annotations::from_rows(&mut ds, Path::new("ann.csv"), rows).unwrap();
        (ds, ann)
    }

    fn close(got: &[f64], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-12, "{what}[{i}]: {g} vs {w}");
        }
    }

    /// Eight samples, annotators x, y, z, classes a, b, c; s1 is a vote tie the model breaks, s5 a
    /// tie the model cannot break (0.5 / 0.5) so the class with fewer judgements (c: 5 against a's
    /// 7) wins, s3 has one judgement. The numbers are cleanlab 2.9's
    /// `get_label_quality_multiannotator(df, P, return_weights=True)` on the same matrix.
    #[test]
    fn eight_samples_equal_cleanlab() {
        let table: [[Option<&str>; 3]; 8] = [
            [Some("a"), Some("a"), Some("b")],
            [Some("b"), Some("c"), None],
            [Some("c"), Some("c"), Some("c")],
            [Some("a"), None, None],
            [Some("b"), Some("b"), Some("a")],
            [None, Some("c"), Some("a")],
            [Some("b"), Some("b"), Some("b")],
            [Some("a"), Some("a"), None],
        ];
        let mut rows = Vec::new();
        for (s, row) in table.iter().enumerate() {
            for (who, label) in ["x", "y", "z"].iter().zip(row) {
                if let Some(l) = label {
                    rows.push((s, *who, *l));
                }
            }
        }
        let (ds, ann) = crowd(8, &rows);
        assert_eq!(ds.classes(), ["a", "b", "c"]);
        let probs = [
            0.2, 0.7, 0.1, 0.1, 0.3, 0.6, 0.1, 0.1, 0.8, 0.5, 0.3, 0.2, 0.6, 0.3, 0.1, 0.5, 0.0,
            0.5, 0.1, 0.8, 0.1, 0.7, 0.2, 0.1,
        ];
        let samples: Vec<u32> = (0..8).collect();
        let r = crowdlab(&ann, &samples, &probs, 3).unwrap();
        assert_eq!(r.majority_vote, [0, 2, 2, 0, 1, 2, 1, 0]);
        assert_eq!(r.label, [0, 2, 2, 0, 1, 2, 1, 0]);
        close(
            &r.quality,
            &[
                0.5746814968286778,
                0.4614460116510076,
                0.7736306493073128,
                0.6446103110562387,
                0.6054619512603737,
                0.6089959737434292,
                0.7736306493073128,
                0.7424177345146542,
            ],
            "consensus_quality_score",
        );
        close(
            &r.agreement,
            &[2.0 / 3.0, 0.5, 1.0, 1.0, 2.0 / 3.0, 0.5, 1.0, 1.0],
            "annotator_agreement",
        );
        close(&[r.model_weight], &[0.385275875185561], "model_weight");
        close(
            &r.annotator_weight,
            &[
                0.47499999999999987,
                0.36363636363636354,
                0.02777777777777768,
            ],
            "annotator_weight",
        );
        close(
            &r.annotator_quality,
            &[0.7668763392888299, 0.8736146112404028, 0.43393563913705724],
            "annotator_quality",
        );
        // Ranked by 1 - quality: s1 (0.539) first, s6 and s2 tie (0.226) in sample order.
        let ranked = r.ranked(ds.labels());
        let order: Vec<u32> = ranked.iter().map(|i| i.sample).collect();
        assert_eq!(order, [1, 0, 4, 5, 3, 7, 2, 6]);
        assert!(
            ranked.iter().all(|i| i.flagged),
            "unlabelled: taking the consensus changes them"
        );
    }

    #[test]
    fn refuses_what_cleanlab_refuses() {
        let (_, ann) = crowd(2, &[(0, "x", "a"), (1, "x", "b")]);
        let probs = [0.5, 0.5, 0.5, 0.5];
        assert!(matches!(
            crowdlab(&ann, &[0, 1], &probs, 2),
            Err(CrowdlabError::OneAnnotator { annotators: 1 })
        ));
        let (_, ann) = crowd(2, &[(0, "x", "a"), (1, "y", "b")]);
        assert!(matches!(
            crowdlab(&ann, &[0, 1], &probs, 2),
            Err(CrowdlabError::SingleJudgements)
        ));
        assert!(matches!(
            crowdlab(&ann, &[0, 1], &probs[..3], 2),
            Err(CrowdlabError::Shape { .. })
        ));
        assert!(crowdlab(&ann, &[], &[], 2).unwrap().samples.is_empty());
    }

    /// The weights and annotator statistics on the simulated crowd, against cleanlab's (the CLI test
    /// checks the per-sample numbers and the ranking).
    #[test]
    fn simulated_crowd_weights_equal_cleanlab() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/crowd/sim");
        let mut warnings = Warnings::default();
        let (mut ds, predictions) = crate::core::data::load::open(
            &dir.join("manifest.csv"),
            Some(&dir.join("predictions.csv")),
            None,
            &mut warnings,
        )
        .unwrap();
        let predictions = predictions.unwrap();
        let (ann, remap) = crate::core::data::load::load_annotations(
            &mut ds,
            &dir.join("annotations.csv"),
            None,
            &mut warnings,
        )
        .unwrap();
        assert!(remap.is_none());
        let reference: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("crowdlab.json")).unwrap())
                .unwrap();
        let k = ds.classes().len();
        let samples: Vec<u32> = (0..ds.len() as u32).collect();
        let probs: Vec<f64> = samples
            .iter()
            .flat_map(|&s| predictions.probabilities(s as usize).unwrap())
            .collect();
        let r = crowdlab(&ann, &samples, &probs, k).unwrap();
        let ids = |key: &str| -> Vec<u32> {
            reference[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u32)
                .collect()
        };
        assert_eq!(r.majority_vote, ids("majority_vote_label"));
        assert_eq!(r.label, ids("consensus_label"));
        close(
            &[r.model_weight],
            &[reference["model_weight"].as_f64().unwrap()],
            "model_weight",
        );
        for (a, name) in ann.annotators().iter().enumerate() {
            let want = &reference["annotators"][name];
            for (key, got) in [
                ("weight", r.annotator_weight[a]),
                ("annotator_quality", r.annotator_quality[a]),
                ("agreement_with_consensus", r.agreement_with_consensus[a]),
            ] {
                close(
                    &[got],
                    &[want[key].as_f64().unwrap()],
                    &format!("{name} {key}"),
                );
            }
            assert_eq!(
                r.annotator_judgements[a],
                want["num_examples_labeled"].as_u64().unwrap()
            );
        }
    }
}
