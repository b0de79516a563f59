//! Inter-annotator agreement: observed agreement, Krippendorff's alpha (nominal) and Fleiss' kappa,
//! computed from per-sample vote counts in one pass (the `krippendorff` package and statsmodels give
//! the same numbers; the tests check them to 1e-9).

use crate::core::data::load::Annotations;

/// Agreement over samples with at least two judgements; `None` where a number is undefined.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct AgreementScores {
    /// Mean over samples of the share of judgement pairs that agree: `sum_k n_k(n_k-1) / (n(n-1))`.
    pub observed: Option<f64>,
    /// Krippendorff's alpha, nominal: 1 - observed / expected disagreement. `None` when only one
    /// label was ever given (no expected disagreement).
    pub krippendorff_alpha: Option<f64>,
    /// Fleiss' kappa, only when every annotated sample has the same number (>= 2) of judgements
    /// (its assumption); `None` otherwise.
    pub fleiss_kappa: Option<f64>,
}

/// Agreement of the judgements of `samples` (dataset indices) over `classes` classes.
pub fn agreement(annotations: &Annotations, samples: &[u32], classes: usize) -> AgreementScores {
    let labels = annotations.label_ids();
    let mut counts = vec![0u64; classes];
    let mut touched: Vec<usize> = Vec::new();
    // Per-class totals over pairable samples (>= 2 judgements): alpha's n_c and Fleiss' p_c.
    let mut totals = vec![0u64; classes];
    let (mut pairable, mut observed_sum, mut disagreement) = (0u64, 0.0f64, 0.0f64);
    let mut same_count: Option<usize> = None;
    let mut equal_counts = true;
    for &s in samples {
        let range = annotations.range(s as usize);
        let m = range.len();
        if m == 0 {
            continue;
        }
        match same_count {
            None => same_count = Some(m),
            Some(c) if c != m => equal_counts = false,
            _ => {}
        }
        if m < 2 {
            continue;
        }
        for &l in &labels[range] {
            let l = l as usize;
            if let Some(c) = counts.get_mut(l) {
                if *c == 0 {
                    touched.push(l);
                }
                *c += 1;
            }
        }
        let mut sum_sq = 0u64;
        for &l in &touched {
            sum_sq += counts[l] * counts[l];
            totals[l] += counts[l];
            counts[l] = 0;
        }
        touched.clear();
        let mf = m as f64;
        pairable += 1;
        observed_sum += (sum_sq as f64 - mf) / (mf * (mf - 1.0));
        disagreement += (mf * mf - sum_sq as f64) / (mf - 1.0);
    }
    if pairable == 0 {
        return AgreementScores::default();
    }
    let observed = observed_sum / pairable as f64;
    let n: u64 = totals.iter().sum();
    let nf = n as f64;
    let sum_sq_totals: f64 = totals.iter().map(|&t| (t as f64) * (t as f64)).sum();
    let expected = nf * nf - sum_sq_totals;
    let krippendorff_alpha = (expected > 0.0).then(|| 1.0 - (nf - 1.0) * disagreement / expected);
    let fleiss_kappa = match same_count {
        Some(m) if equal_counts && m >= 2 => {
            let p_e: f64 = totals
                .iter()
                .map(|&t| {
                    let p = t as f64 / nf;
                    p * p
                })
                .sum();
            (p_e < 1.0).then(|| (observed - p_e) / (1.0 - p_e))
        }
        _ => None,
    };
    AgreementScores {
        observed: Some(observed),
        krippendorff_alpha,
        fleiss_kappa,
    }
}
