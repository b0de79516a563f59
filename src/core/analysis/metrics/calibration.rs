//! Reliability diagrams, ECE, MCE, NLL and the Brier score (Guo et al. 2017), plus the same after
//! temperature scaling.

use crate::core::data::load::Predictions;

use super::Scored;
use super::reliability::{BinSums, NLL_CLIP, ReliabilityDiagram};
use super::temperature::{TemperatureFit, fit_temperature};

/// Calibration of one subset: before and after temperature scaling.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationReport {
    /// The reliability diagram of the given probabilities.
    pub reliability: ReliabilityDiagram,
    /// Mean negative log-likelihood of the true class (clipped at [`NLL_CLIP`]).
    pub nll: f64,
    /// Mean over samples of the sum over classes of (p_k - y_k)^2.
    pub brier: f64,
    /// The fitted temperature.
    pub temperature: TemperatureFit,
    /// ECE of the temperature-scaled probabilities.
    pub ece_after_temperature: f64,
    /// NLL of the temperature-scaled probabilities.
    pub nll_after_temperature: f64,
    /// The reliability diagram after temperature scaling (the GUI overlays it).
    pub reliability_after_temperature: ReliabilityDiagram,
}

/// Reliability, NLL and Brier of the given probabilities (no temperature): one pass that reads only
/// each row's true-class log, confidence, top class and sum of squares (no `exp` per class).
pub fn plain_calibration(
    predictions: &Predictions,
    scored: &[Scored],
    num_bins: usize,
) -> (ReliabilityDiagram, f64, f64) {
    let (bins, nll, brier) = plain_calibration_sums(predictions, scored, num_bins);
    let denom = scored.len().max(1) as f64;
    (bins.diagram(), nll / denom, brier / denom)
}

/// The sums behind [`plain_calibration`]: reliability bin sums, the NLL sum and the Brier sum. They
/// add up across parts of a dataset, so a distributed run merges them exactly.
pub fn plain_calibration_sums(
    predictions: &Predictions,
    scored: &[Scored],
    num_bins: usize,
) -> (BinSums, f64, f64) {
    use rayon::prelude::*;
    let ln_clip = NLL_CLIP.ln();
    let (bins, nll, brier) = scored
        .par_chunks(8192)
        .map(|chunk| {
            let mut bins = BinSums::new(num_bins);
            let (mut nll, mut brier) = (0.0, 0.0);
            for s in chunk {
                let row = s.row as usize;
                let z_true = predictions
                    .row_log_probabilities(row)
                    .get(s.label as usize)
                    .copied()
                    .unwrap_or(f64::NEG_INFINITY);
                // -ln(max(p, clip)) == -max(ln p, ln clip); the stored logs are the reference's np.log(p).
                nll -= z_true.max(ln_clip);
                brier += predictions.row_sum_sq(row) - 2.0 * z_true.exp() + 1.0;
                bins.add(
                    predictions.row_confidence(row),
                    predictions.row_top(row) == Some(s.label as usize),
                );
            }
            (bins, nll, brier)
        })
        .collect::<Vec<_>>()
        // Folded in chunk order (a parallel reduce would add in a schedule-dependent order and change
        // the last bits from run to run).
        .into_iter()
        .fold((BinSums::new(num_bins), 0.0, 0.0), |a, b| {
            (a.0.merge(&b.0), a.1 + b.1, a.2 + b.2)
        });
    (bins, nll, brier)
}

/// Computes the calibration report over `scored` samples (which need probabilities).
pub fn calibration_report(
    predictions: &Predictions,
    scored: &[Scored],
    num_bins: usize,
) -> CalibrationReport {
    let (reliability, nll, brier) = plain_calibration(predictions, scored, num_bins);
    let t0 = std::time::Instant::now();
    let (temperature, scaled) = fit_temperature(predictions, scored, num_bins);
    crate::core::data::load::timing(
        &format!("  temperature fit ({} passes)", temperature.iterations),
        t0,
    );
    let reliability_after = scaled.bins.diagram();
    CalibrationReport {
        ece_after_temperature: reliability_after.ece,
        nll_after_temperature: scaled.nll,
        reliability_after_temperature: reliability_after,
        reliability,
        nll,
        brier,
        temperature,
    }
}
