//! Metrics over any subset of samples (a split, a GUI filter): classification scores as scikit-learn
//! defines them, and calibration as Guo et al. 2017 ("On Calibration of Modern Neural Networks") does.
//! Per-sample argmax and confidence are computed once at load, so a recompute over a new subset is one
//! pass over compact columns; only the temperature fit touches the probability matrix several times.

mod calibration;
mod classification;
mod reliability;
mod temperature;

pub use calibration::{CalibrationReport, calibration_report, plain_calibration};
pub use classification::{
    ClassMetrics, ClassificationReport, ConfusionMatrix, confusion_from_pairs, confusion_matrix,
};
pub use reliability::{
    BinSums, ReliabilityBin, ReliabilityDiagram, bin_index, reliability_diagram,
};
pub use temperature::{
    Scaled, TEMPERATURE_BOUNDS, TemperatureFit, fit_temperature, temperature_scaled,
};

use crate::core::data::columns::NONE;
use crate::core::data::load::Predictions;

/// One scorable sample: labelled, with a usable prediction. Lists of these are kept in predictions-file
/// row order, so every pass over the probability matrix reads it sequentially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scored {
    /// Sample index in the dataset.
    pub sample: u32,
    /// Row in the predictions matrix.
    pub row: u32,
    /// True class.
    pub label: u32,
}

/// The samples that can be scored (labelled, with a usable prediction) and that `keep` accepts, in
/// predictions-file row order. `labels` are the effective labels (after edits).
pub fn scored_samples(
    labels: &[u32],
    predictions: &Predictions,
    keep: impl Fn(usize) -> bool + Sync,
) -> Vec<Scored> {
    use rayon::prelude::*;
    predictions
        .sample_of_rows()
        .par_iter()
        .enumerate()
        .filter_map(|(row, &sample)| {
            if sample == NONE {
                return None;
            }
            let label = *labels.get(sample as usize)?;
            (label != NONE && keep(sample as usize)).then_some(Scored {
                sample,
                row: row as u32,
                label,
            })
        })
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

/// Computes every metric over `scored` (from [`scored_samples`]), with `num_bins` reliability bins.
pub fn evaluate(
    predictions: &Predictions,
    scored: &[Scored],
    num_classes: usize,
    num_bins: usize,
) -> Evaluation {
    let cm = confusion_matrix(predictions, scored, num_classes);
    let classification = ClassificationReport::from_confusion(&cm);
    let calibration = predictions
        .has_probabilities()
        .then(|| calibration_report(predictions, scored, num_bins));
    Evaluation {
        classification,
        calibration,
    }
}
