//! Precision–recall curves and average precision for one class against the rest, exactly as
//! scikit-learn's `precision_recall_curve` and `average_precision_score` compute them: one point per
//! distinct score (tied scores enter together), and the step-wise integral
//! `AP = sum_n (R_n - R_{n-1}) P_n` (no interpolation). A single AUC-PR number hides where a model
//! loses precision; the curve points are kept for a view that draws them.

/// The curve of one class, in scikit-learn's order: recall decreasing, the last point (recall 0,
/// precision 1) added, one threshold per point but the last.
#[derive(Debug, Clone, PartialEq)]
pub struct PrCurve {
    /// Precision at each threshold, then 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold, then 0.
    pub recall: Vec<f64>,
    /// The distinct scores, increasing (a sample is predicted positive when its score is >= it).
    pub thresholds: Vec<f64>,
    /// Positive samples (the class's support among the scored samples).
    pub positives: u64,
}

/// The precision–recall curve of `scores` against `positive` (same length). Scores are compared
/// as given (NaN sorts last and is never a threshold of its own). With no positive sample the recall
/// is 0 everywhere here (scikit-learn sets it to 1 with a warning), and [`average_precision`] says
/// there is nothing to average instead of a number.
pub fn pr_curve(scores: &[f64], positive: &[bool]) -> PrCurve {
    let n = scores.len().min(positive.len());
    let mut order: Vec<u32> = (0..n as u32).collect();
    // Descending score; the order inside a tie does not matter (a tie is one step).
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (scores[a as usize], scores[b as usize]);
        y.total_cmp(&x)
    });
    let total_pos = positive.iter().take(n).filter(|&&p| p).count() as u64;
    // One point per distinct score: the cumulated true and false positives at its last sample.
    let mut tps: Vec<u64> = Vec::new();
    let mut fps: Vec<u64> = Vec::new();
    let mut thresholds: Vec<f64> = Vec::new();
    let (mut tp, mut seen) = (0u64, 0u64);
    for (k, &i) in order.iter().enumerate() {
        let i = i as usize;
        seen += 1;
        if positive[i] {
            tp += 1;
        }
        let last_of_tie = order
            .get(k + 1)
            .is_none_or(|&j| scores[j as usize].to_bits() != scores[i].to_bits());
        if last_of_tie {
            tps.push(tp);
            fps.push(seen - tp);
            thresholds.push(scores[i]);
        }
    }
    let mut precision: Vec<f64> = tps
        .iter()
        .zip(&fps)
        .map(|(&t, &f)| {
            if t + f > 0 {
                t as f64 / (t + f) as f64
            } else {
                0.0
            }
        })
        .collect();
    let mut recall: Vec<f64> = tps
        .iter()
        .map(|&t| {
            if total_pos > 0 {
                t as f64 / total_pos as f64
            } else {
                0.0
            }
        })
        .collect();
    precision.reverse();
    recall.reverse();
    thresholds.reverse();
    precision.push(1.0);
    recall.push(0.0);
    PrCurve {
        precision,
        recall,
        thresholds,
        positives: total_pos,
    }
}

/// Average precision of a curve: `-sum(diff(recall) * precision[:-1])`, clipped at 0 as
/// scikit-learn does; `None` when the class has no positive sample (scikit-learn answers 0 with a
/// warning, which reads like a model that ranks the class last).
pub fn average_precision_of(curve: &PrCurve) -> Option<f64> {
    if curve.positives == 0 {
        return None;
    }
    let sum: f64 = curve
        .recall
        .windows(2)
        .zip(&curve.precision)
        .map(|(r, &p)| (r[1] - r[0]) * p)
        .sum();
    Some((-sum).max(0.0))
}

/// Average precision of `scores` for the samples marked `positive`, as scikit-learn's
/// `average_precision_score(positive, scores)`; `None` without a positive sample.
pub fn average_precision(scores: &[f64], positive: &[bool]) -> Option<f64> {
    average_precision_of(&pr_curve(scores, positive))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand: labels [1,0,1,0,1], scores [0.9,0.8,0.8,0.3,0.1]. Thresholds 0.9, 0.8 (the tie enters
    /// at once), 0.3, 0.1 give (tp, fp) = (1,0), (2,1), (2,2), (3,2): precision 1, 2/3, 1/2, 3/5 and
    /// recall 1/3, 2/3, 2/3, 1. AP = 1/3*1 + 1/3*2/3 + 0*1/2 + 1/3*3/5 = 34/45 (scikit-learn 1.9:
    /// 0.7555555555555555).
    #[test]
    fn five_samples_by_hand_with_a_tie() {
        let scores = [0.9, 0.8, 0.8, 0.3, 0.1];
        let positive = [true, false, true, false, true];
        let c = pr_curve(&scores, &positive);
        assert_eq!(c.thresholds, vec![0.1, 0.3, 0.8, 0.9]);
        assert_eq!(c.recall, vec![1.0, 2.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0, 0.0]);
        assert_eq!(c.precision, vec![0.6, 0.5, 2.0 / 3.0, 1.0, 1.0]);
        let ap = average_precision(&scores, &positive).unwrap_or(f64::NAN);
        assert!((ap - 34.0 / 45.0).abs() < 1e-15, "{ap}");
    }

    #[test]
    fn no_positive_sample_has_no_average_precision() {
        assert_eq!(average_precision(&[0.1, 0.2], &[false, false]), None);
        let perfect = average_precision(&[0.9, 0.1], &[true, false]);
        assert_eq!(perfect, Some(1.0));
        assert_eq!(average_precision(&[], &[]), None);
    }
}
