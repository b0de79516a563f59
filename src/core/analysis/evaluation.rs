//! What the evaluation views show, computed in one call from the same metric functions as `stats`:
//! class balance per split, the confusion matrix and per-class scores of one split, and calibration
//! of that split with a temperature fitted on another. Plain data in and out, so the GUI runs it on
//! a worker thread and tests compare it with `stats --json`.

use crate::core::analysis::metrics::{
    BinSums, ClassificationReport, ReliabilityDiagram, Scored, TooManyClasses, calibration_report,
    check_class_count, confusion_matrix, fit_temperature, plain_calibration, scored_samples,
    temperature_scaled,
};
use crate::core::data::columns::NONE;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;

/// Which numbers to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationRequest {
    /// The split evaluated (`None`: all samples).
    pub split: Option<u32>,
    /// The split the temperature is fitted on (`None`: all samples). Same as `split` gives the
    /// numbers `stats` prints for that split.
    pub fit_split: Option<u32>,
    /// Reliability bins.
    pub bins: usize,
    /// Class-wise reliability for this class (`None`: top-label).
    pub class_wise: Option<u32>,
}

/// Calibration of the evaluated split.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationView {
    /// The reliability diagram (top-label, or class-wise for the chosen class).
    pub reliability: ReliabilityDiagram,
    /// NLL of the true class (top-label and class-wise alike: it is a property of the samples).
    pub nll: f64,
    /// Multi-class Brier score.
    pub brier: f64,
    /// The temperature fitted on `fit_split`.
    pub temperature: f64,
    /// How many samples the fit used.
    pub fit_samples: usize,
    /// The diagram of the evaluated split after scaling by `temperature`.
    pub reliability_after: ReliabilityDiagram,
    /// NLL after scaling.
    pub nll_after: f64,
}

/// Everything the views show.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationViews {
    /// The request answered.
    pub request: EvaluationRequest,
    /// `counts[split][class]`; one row (all samples) when the dataset has no splits.
    pub class_counts: Vec<Vec<u64>>,
    /// Scores on the evaluated split, when there are predictions and scorable samples.
    pub classification: Option<ClassificationReport>,
    /// Calibration, when the predictions have probabilities and scorable samples.
    pub calibration: Option<CalibrationView>,
    /// Labelled samples with a prediction in the evaluated split.
    pub scored: usize,
    /// Why there are no scores although there are predictions (too many classes), for the panel to say.
    pub refused: Option<TooManyClasses>,
}

/// Computes the views for `request`. `labels` are the effective labels (after edits).
pub fn evaluate_views(
    dataset: &Dataset,
    labels: &[u32],
    predictions: Option<&Predictions>,
    request: &EvaluationRequest,
) -> EvaluationViews {
    let class_counts = class_counts(dataset, labels);
    let in_split = |split: Option<u32>| {
        move |i: usize| split.is_none_or(|s| dataset.split_ids().get(i) == Some(&s))
    };
    let num_classes = dataset.classes().len();
    let mut views = EvaluationViews {
        request: request.clone(),
        class_counts,
        classification: None,
        calibration: None,
        scored: 0,
        refused: None,
    };
    let Some(p) = predictions else {
        return views;
    };
    if let Err(refused) = check_class_count(num_classes) {
        views.refused = Some(refused);
        return views;
    }
    let scored = scored_samples(labels, p, in_split(request.split));
    views.scored = scored.len();
    if scored.is_empty() {
        return views;
    }
    let cm = confusion_matrix(p, &scored, num_classes);
    views.classification = Some(ClassificationReport::from_confusion(&cm));
    if !p.has_probabilities() {
        return views;
    }
    let bins = request.bins.max(1);
    let fit_scored = if request.fit_split == request.split {
        None
    } else {
        Some(scored_samples(labels, p, in_split(request.fit_split)))
    };
    let fit_on = fit_scored.as_deref().unwrap_or(&scored);
    if fit_on.is_empty() {
        return views;
    }
    let calibration = if fit_scored.is_none() && request.class_wise.is_none() {
        // Fit and evaluation on the same samples: exactly what `stats` computes.
        let r = calibration_report(p, &scored, bins);
        CalibrationView {
            reliability: r.reliability,
            nll: r.nll,
            brier: r.brier,
            temperature: r.temperature.temperature,
            fit_samples: scored.len(),
            reliability_after: r.reliability_after_temperature,
            nll_after: r.nll_after_temperature,
        }
    } else {
        let base = plain_calibration(p, &scored, bins);
        let (fit, _) = fit_temperature(p, fit_on, bins);
        let t = fit.temperature;
        let scaled = temperature_scaled(p, &scored, t, bins);
        let (reliability, reliability_after) = match request.class_wise {
            None => (base.0, scaled.bins.diagram()),
            Some(k) => (
                class_wise_diagram(p, &scored, k as usize, 1.0, bins),
                class_wise_diagram(p, &scored, k as usize, t, bins),
            ),
        };
        CalibrationView {
            reliability,
            nll: base.1,
            brier: base.2,
            temperature: t,
            fit_samples: fit_on.len(),
            reliability_after,
            nll_after: scaled.nll,
        }
    };
    views.calibration = Some(calibration);
    views
}

/// `counts[split][class]` of labelled samples (one row when there are no splits).
pub fn class_counts(dataset: &Dataset, labels: &[u32]) -> Vec<Vec<u64>> {
    let classes = dataset.classes().len();
    let rows = dataset.splits().len().max(1);
    let mut counts = vec![vec![0u64; classes]; rows];
    let splits = dataset.split_ids();
    for (i, &label) in labels.iter().enumerate() {
        if label == NONE {
            continue;
        }
        let s = splits.get(i).copied().filter(|&s| s != NONE).unwrap_or(0) as usize;
        if let Some(c) = counts
            .get_mut(s.min(rows - 1))
            .and_then(|r| r.get_mut(label as usize))
        {
            *c += 1;
        }
    }
    counts
}

/// Class-wise reliability for class `k` (Kull et al. 2019's class-wise calibration): every scored
/// sample's probability of `k` (after temperature `t`) against whether its label is `k`.
pub fn class_wise_diagram(
    p: &Predictions,
    scored: &[Scored],
    k: usize,
    t: f64,
    bins: usize,
) -> ReliabilityDiagram {
    let mut sums = BinSums::new(bins);
    for s in scored {
        if let Some(prob) = class_probability(p, s.row as usize, k, t) {
            sums.add(prob, s.label as usize == k);
        }
    }
    sums.diagram()
}

/// The probability of class `k` in predictions row `row` after temperature `t`.
pub fn class_probability(p: &Predictions, row: usize, k: usize, t: f64) -> Option<f64> {
    let logs = p.row_log_probabilities(row);
    let zk = *logs.get(k)?;
    if t == 1.0 {
        return Some(zk.exp());
    }
    let b = 1.0 / t;
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let denom: f64 = logs.iter().map(|&z| ((z - max) * b).exp()).sum();
    Some(((zk - max) * b).exp() / denom)
}
