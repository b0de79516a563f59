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

/// A score as an integer with the same order (IEEE total order, -0 taken as 0), so the curve's sort
/// is an integer sort.
pub fn score_key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn score_of_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// The precision–recall curve of `scores` against `positive` (same length). Scores are ordered as
/// IEEE numbers (`f64::total_cmp`, with -0 taken as 0); NaN would sort above everything. With no
/// positive sample the recall is 0 everywhere here (scikit-learn sets it to 1 with a warning), and
/// [`average_precision`] says there is nothing to average instead of a number.
pub fn pr_curve(scores: &[f64], positive: &[bool]) -> PrCurve {
    let (mut pos, mut neg): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    for (&x, &p) in scores.iter().zip(positive) {
        if p {
            pos.push(score_key(x));
        } else {
            neg.push(score_key(x));
        }
    }
    pr_curve_from_keys(pos, neg)
}

/// [`pr_curve`] from the positives' and the negatives' [`score_key`]s (any order): each side is
/// sorted as plain integers (a radix sort: a million-sample class in milliseconds), then the two are
/// walked together from the top; every distinct score is one point, with all the samples tied at it.
pub fn pr_curve_from_keys(mut pos: Vec<u64>, mut neg: Vec<u64>) -> PrCurve {
    radix_sort(&mut pos);
    radix_sort(&mut neg);
    let total_pos = pos.len() as u64;
    let mut tps: Vec<u64> = Vec::new();
    let mut fps: Vec<u64> = Vec::new();
    let mut thresholds: Vec<f64> = Vec::new();
    let (mut i, mut j) = (pos.len(), neg.len());
    loop {
        let top = match (
            i.checked_sub(1).and_then(|a| pos.get(a)),
            j.checked_sub(1).and_then(|b| neg.get(b)),
        ) {
            (Some(&a), Some(&b)) => a.max(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        while i > 0 && pos[i - 1] == top {
            i -= 1;
        }
        while j > 0 && neg[j - 1] == top {
            j -= 1;
        }
        tps.push((pos.len() - i) as u64);
        fps.push((neg.len() - j) as u64);
        thresholds.push(score_of_key(top));
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

/// Sorts `keys` ascending: least-significant-byte radix sort, skipping the bytes every key shares
/// (the high bytes of probabilities' logs mostly are), so a million keys take a few passes.
pub fn radix_sort(keys: &mut Vec<u64>) {
    if keys.len() < 256 {
        keys.sort_unstable();
        return;
    }
    let mut other = vec![0u64; keys.len()];
    for shift in (0..64).step_by(8) {
        let mut counts = [0usize; 256];
        for &k in keys.iter() {
            counts[((k >> shift) & 0xFF) as usize] += 1;
        }
        if counts.contains(&keys.len()) {
            continue;
        }
        let mut offsets = [0usize; 256];
        let mut sum = 0;
        for (o, &c) in offsets.iter_mut().zip(&counts) {
            *o = sum;
            sum += c;
        }
        for &k in keys.iter() {
            let b = ((k >> shift) & 0xFF) as usize;
            if let Some(slot) = other.get_mut(offsets[b]) {
                *slot = k;
            }
            offsets[b] += 1;
        }
        std::mem::swap(keys, &mut other);
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
    fn radix_sort_sorts_and_keys_keep_the_order() {
        let mut x: Vec<u64> = (0..5000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (i % 50))
            .collect();
        let mut y = x.clone();
        radix_sort(&mut x);
        y.sort_unstable();
        assert_eq!(x, y);
        let scores = [-3.5, -0.0, 0.0, 1e-300, -1e-300, 2.0, f64::NEG_INFINITY];
        let mut sorted = scores.to_vec();
        sorted.sort_by(f64::total_cmp);
        for w in sorted.windows(2) {
            assert!(score_key(w[0]) <= score_key(w[1]), "{w:?}");
        }
        assert_eq!(score_key(-0.0), score_key(0.0));
        for s in scores {
            assert_eq!(score_of_key(score_key(s)), s + 0.0);
        }
    }

    #[test]
    fn no_positive_sample_has_no_average_precision() {
        assert_eq!(average_precision(&[0.1, 0.2], &[false, false]), None);
        let perfect = average_precision(&[0.9, 0.1], &[true, false]);
        assert_eq!(perfect, Some(1.0));
        assert_eq!(average_precision(&[], &[]), None);
    }
}
