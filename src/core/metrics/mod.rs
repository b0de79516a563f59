//! Metrics over any subset of samples (a split, a GUI filter): classification scores as scikit-learn
//! defines them, and calibration as Guo et al. 2017 ("On Calibration of Modern Neural Networks") does.
//! Per-sample argmax and confidence are computed once at load, so a recompute over a new subset is one
//! pass over compact columns; only the temperature fit touches the probability matrix several times.

mod calibration;
mod classification;
mod temperature;

pub use calibration::{
    CalibrationReport, ReliabilityBin, ReliabilityDiagram, bin_index, calibration_report,
    reliability_diagram,
};
pub use classification::{ClassMetrics, ClassificationReport, ConfusionMatrix, confusion_matrix};
pub use temperature::{TemperatureFit, fit_temperature};

use crate::core::columns::NONE;
use crate::core::load::Predictions;

/// The samples that can be scored: labelled, with a usable prediction, and accepted by `keep`.
/// Sample indices come back in increasing order.
pub fn scored_samples(
    labels: &[u32],
    predictions: &Predictions,
    keep: impl Fn(usize) -> bool,
) -> Vec<u32> {
    let predicted = predictions.predicted_all();
    labels
        .iter()
        .zip(predicted)
        .enumerate()
        .filter(|&(i, (&l, &p))| l != NONE && p != NONE && keep(i))
        .map(|(i, _)| i as u32)
        .collect()
}

/// Everything `stats` reports about predictions on one subset.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Accuracy, per-class scores, the confusion matrix.
    pub classification: ClassificationReport,
    /// Reliability, ECE, NLL, Brier, temperature: only with probabilities.
    pub calibration: Option<CalibrationReport>,
}

/// Computes every metric over `samples` (from [`scored_samples`]), with `num_bins` reliability bins.
pub fn evaluate(
    labels: &[u32],
    predictions: &Predictions,
    samples: &[u32],
    num_classes: usize,
    num_bins: usize,
) -> Evaluation {
    let cm = confusion_matrix(labels, predictions.predicted_all(), samples, num_classes);
    let classification = ClassificationReport::from_confusion(&cm);
    let calibration = predictions
        .has_probabilities()
        .then(|| calibration_report(labels, predictions, samples, num_bins));
    Evaluation {
        classification,
        calibration,
    }
}
