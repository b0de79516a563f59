//! Accuracy, precision, recall, F1 and the confusion matrix, with scikit-learn's definitions
//! (`zero_division=0`; macro = unweighted mean over all dataset classes; weighted by support).

use crate::core::data::columns::NONE;
use crate::core::data::load::Predictions;

use super::Scored;

/// Counts of (true class, predicted class) pairs; rows are true classes, columns predicted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    num_classes: usize,
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An all-zero matrix.
    pub fn new(num_classes: usize) -> Self {
        Self {
            num_classes,
            counts: vec![0; num_classes * num_classes],
        }
    }

    /// Number of classes (rows = columns).
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// Samples of true class `t` predicted as `p`.
    pub fn get(&self, t: usize, p: usize) -> u64 {
        self.counts
            .get(t * self.num_classes + p)
            .copied()
            .unwrap_or(0)
    }

    /// Adds one sample.
    pub fn add(&mut self, t: usize, p: usize) {
        if t < self.num_classes
            && p < self.num_classes
            && let Some(c) = self.counts.get_mut(t * self.num_classes + p)
        {
            *c += 1;
        }
    }

    /// Counts `n` samples of true class `t` predicted `p` at once (merging counts made elsewhere).
    pub fn add_many(&mut self, t: usize, p: usize, n: u64) {
        if t < self.num_classes
            && p < self.num_classes
            && let Some(c) = self.counts.get_mut(t * self.num_classes + p)
        {
            *c += n;
        }
    }

    /// Row `t` (true class `t`), one count per predicted class.
    pub fn row(&self, t: usize) -> &[u64] {
        self.counts
            .get(t * self.num_classes..(t + 1) * self.num_classes)
            .unwrap_or(&[])
    }

    /// All rows, as nested vectors (the JSON shape).
    pub fn to_rows(&self) -> Vec<Vec<u64>> {
        (0..self.num_classes)
            .map(|t| self.row(t).to_vec())
            .collect()
    }

    /// Total number of samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// Builds the confusion matrix of `scored` samples (true class, predicted class).
pub fn confusion_matrix(
    predictions: &Predictions,
    scored: &[Scored],
    num_classes: usize,
) -> ConfusionMatrix {
    let mut cm = ConfusionMatrix::new(num_classes);
    for s in scored {
        if let Some(p) = predictions.row_top(s.row as usize) {
            cm.add(s.label as usize, p);
        }
    }
    cm
}

/// Builds a confusion matrix from parallel label and prediction lists ([`NONE`] entries skipped).
pub fn confusion_from_pairs(
    labels: &[u32],
    predicted: &[u32],
    num_classes: usize,
) -> ConfusionMatrix {
    let mut cm = ConfusionMatrix::new(num_classes);
    for (&t, &p) in labels.iter().zip(predicted) {
        if t != NONE && p != NONE {
            cm.add(t as usize, p as usize);
        }
    }
    cm
}

/// Scores of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassMetrics {
    /// TP / (TP + FP), 0 when the class is never predicted.
    pub precision: f64,
    /// TP / support, 0 when the class has no samples.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub f1: f64,
    /// Number of samples whose true class this is.
    pub support: u64,
}

/// Accuracy and per-class scores derived from a confusion matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationReport {
    /// Samples scored.
    pub num_samples: u64,
    /// Fraction predicted correctly (0 with no samples).
    pub accuracy: f64,
    /// Unweighted mean F1 over all classes.
    pub macro_f1: f64,
    /// Support-weighted mean F1.
    pub weighted_f1: f64,
    /// One entry per class, in class order.
    pub per_class: Vec<ClassMetrics>,
    /// The matrix the scores come from.
    pub confusion: ConfusionMatrix,
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

impl ClassificationReport {
    /// Derives every score from `cm`.
    pub fn from_confusion(cm: &ConfusionMatrix) -> Self {
        let k = cm.num_classes();
        let total = cm.total();
        let mut predicted_count = vec![0u64; k];
        let mut correct = 0u64;
        for t in 0..k {
            for (p, &c) in cm.row(t).iter().enumerate() {
                predicted_count[p] += c;
                if p == t {
                    correct += c;
                }
            }
        }
        let per_class: Vec<ClassMetrics> = (0..k)
            .map(|c| {
                let tp = cm.get(c, c) as f64;
                let support = cm.row(c).iter().sum::<u64>();
                let fp = predicted_count[c] as f64 - tp;
                let fn_ = support as f64 - tp;
                ClassMetrics {
                    precision: ratio(tp, tp + fp),
                    recall: ratio(tp, support as f64),
                    // scikit-learn >= 1.3 computes F1 from counts: 2TP / (2TP + FP + FN).
                    f1: ratio(2.0 * tp, 2.0 * tp + fp + fn_),
                    support,
                }
            })
            .collect();
        let macro_f1 = if k == 0 {
            0.0
        } else {
            per_class.iter().map(|m| m.f1).sum::<f64>() / k as f64
        };
        let weighted_f1 = ratio(
            per_class.iter().map(|m| m.f1 * m.support as f64).sum(),
            total as f64,
        );
        Self {
            num_samples: total,
            accuracy: ratio(correct as f64, total as f64),
            macro_f1,
            weighted_f1,
            per_class,
            confusion: cm.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approx(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    /// Hand-checked: y_true = [0,0,0,1,1,2], y_pred = [0,0,1,1,0,1]; class 2 is never predicted.
    /// sklearn: precision [2/3, 1/3, 0], recall [2/3, 1/2, 0], f1 [2/3, 2/5, 0],
    /// accuracy 3/6, macro f1 (2/3 + 2/5)/3, weighted (3*2/3 + 2*2/5 + 0)/6.
    #[test]
    fn hand_checked_scores_with_a_never_predicted_class() {
        let labels = [0, 0, 0, 1, 1, 2];
        let predicted = [0, 0, 1, 1, 0, 1];
        let cm = confusion_from_pairs(&labels, &predicted, 3);
        assert_eq!(
            cm.to_rows(),
            vec![vec![2, 1, 0], vec![1, 1, 0], vec![0, 1, 0]]
        );
        let r = ClassificationReport::from_confusion(&cm);
        approx(r.accuracy, 0.5);
        approx(r.per_class[0].precision, 2.0 / 3.0);
        approx(r.per_class[1].precision, 1.0 / 3.0);
        approx(r.per_class[2].precision, 0.0);
        approx(r.per_class[0].recall, 2.0 / 3.0);
        approx(r.per_class[1].recall, 0.5);
        approx(r.per_class[2].recall, 0.0);
        approx(r.per_class[1].f1, 0.4);
        approx(r.per_class[2].f1, 0.0);
        approx(r.macro_f1, (2.0 / 3.0 + 0.4) / 3.0);
        approx(r.weighted_f1, (3.0 * 2.0 / 3.0 + 2.0 * 0.4) / 6.0);
        assert_eq!(r.per_class[2].support, 1);
    }

    #[test]
    fn subsets_and_unlabelled_samples() {
        let labels = [0, NONE, 1, 1];
        let predicted = [0, 1, NONE, 1];
        let cm = confusion_from_pairs(&labels, &predicted, 2);
        assert_eq!(cm.total(), 2);
        assert_eq!(cm.to_rows(), vec![vec![1, 0], vec![0, 1]]);
        let r = ClassificationReport::from_confusion(&cm);
        approx(r.accuracy, 1.0);
        let empty = ClassificationReport::from_confusion(&ConfusionMatrix::new(2));
        approx(empty.accuracy, 0.0);
        approx(empty.macro_f1, 0.0);
    }
}
