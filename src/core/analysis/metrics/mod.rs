//! Metrics over any subset of samples (a split, a GUI filter): classification scores as scikit-learn
//! defines them, and calibration as Guo et al. 2017 ("On Calibration of Modern Neural Networks") does.
//! Per-sample argmax and confidence are computed once at load, so a recompute over a new subset is one
//! pass over compact columns; only the temperature fit touches the probability matrix several times.

mod calibration;
mod classification;
mod reliability;
mod temperature;

pub use calibration::{
    CalibrationReport, calibration_report, plain_calibration, plain_calibration_sums,
};
pub use classification::{
    ClassMetrics, ClassificationReport, ConfusionMatrix, confusion_from_pairs, confusion_matrix,
};
pub use reliability::{
    BinSums, ReliabilityBin, ReliabilityDiagram, bin_index, reliability_diagram,
};
pub use temperature::{
    LogProbRows, Scaled, Sums as TemperatureSums, TEMPERATURE_BOUNDS, TemperatureFit,
    fit_temperature, halley_step, temperature_pass, temperature_scaled,
};

use crate::core::data::columns::NONE;
use crate::core::data::load::Predictions;

/// Most classes the metrics are computed for. A confusion matrix holds k×k counts, and label issues
/// keep one per thread: 10,000 classes is 800 MB each, while 100,000 free-text labels would ask for
/// 80 GB and abort with no message. Past this, callers get [`TooManyClasses`] instead.
pub const MAX_METRIC_CLASSES: usize = 10_000;

/// Metrics were refused because the dataset has more classes than [`MAX_METRIC_CLASSES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{classes} classes: metrics are computed for at most {max} classes (one {classes}×{classes} confusion matrix would need {gib:.0} GB); is the label column free text?",
    gib = (*.classes as f64).powi(2) * 8.0 / 1e9
)]
pub struct TooManyClasses {
    /// Classes in the dataset.
    pub classes: usize,
    /// The limit, [`MAX_METRIC_CLASSES`].
    pub max: usize,
}

/// Refuses a class count past [`MAX_METRIC_CLASSES`] before anything k×k is allocated.
pub fn check_class_count(classes: usize) -> Result<(), TooManyClasses> {
    if classes > MAX_METRIC_CLASSES {
        return Err(TooManyClasses {
            classes,
            max: MAX_METRIC_CLASSES,
        });
    }
    Ok(())
}

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

/// Computes every metric over `scored` (from [`scored_samples`]), with `num_bins` reliability bins;
/// refuses more than [`MAX_METRIC_CLASSES`] classes.
pub fn evaluate(
    predictions: &Predictions,
    scored: &[Scored],
    num_classes: usize,
    num_bins: usize,
) -> Result<Evaluation, TooManyClasses> {
    check_class_count(num_classes)?;
    let cm = confusion_matrix(predictions, scored, num_classes);
    let classification = ClassificationReport::from_confusion(&cm);
    let calibration = predictions
        .has_probabilities()
        .then(|| calibration_report(predictions, scored, num_bins));
    Ok(Evaluation {
        classification,
        calibration,
    })
}
