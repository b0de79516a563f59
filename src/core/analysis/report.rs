//! The `stats --json` document, exactly as the contract specifies it. Built from the same core calls the
//! GUI makes, so the app and the CLI can never disagree.

use serde::Serialize;
use serde::ser::SerializeMap as _;

use super::metrics::{Evaluation, TooManyClasses, evaluate, scored_samples};
use crate::core::data::dataset::Dataset;
use crate::core::data::error::LoadError;
use crate::core::data::load::Predictions;

/// Default number of reliability bins (the contract's and the reference's).
pub const DEFAULT_BINS: usize = 15;

/// `dataset` in the stats document.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetSummary {
    /// All samples, labelled or not.
    pub num_samples: u64,
    /// Class names in class-id order.
    pub classes: Vec<String>,
    /// Split names, sorted.
    pub splits: Vec<String>,
}

/// `class_counts`: "all" first, then one entry per split, each listing every class (0 included).
#[derive(Debug, Clone)]
pub struct ClassCounts(pub Vec<(String, Vec<(String, u64)>)>);

impl ClassCounts {
    /// "all" first, then each split in order (a split named "all" is keyed "all (split)"), each
    /// listing every class with `count(split index)`'s count (class order, 0 included).
    pub fn listed(
        classes: &[String],
        splits: &[String],
        count: impl Fn(Option<usize>) -> Vec<u64>,
    ) -> Self {
        let named = |split: Option<usize>| -> Vec<(String, u64)> {
            classes.iter().cloned().zip(count(split)).collect()
        };
        let mut out = vec![("all".to_string(), named(None))];
        for (i, name) in splits.iter().enumerate() {
            let key = if name == "all" {
                "all (split)".to_string()
            } else {
                name.clone()
            };
            out.push((key, named(Some(i))));
        }
        Self(out)
    }
}

struct CountsMap<'a>(&'a [(String, u64)]);

impl Serialize for CountsMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for ClassCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, &CountsMap(v))?;
        }
        m.end()
    }
}

/// `predictions`: how the predictions file joined.
#[derive(Debug, Clone, Serialize)]
pub struct PredictionSummary {
    /// Rows naming a sample of the dataset.
    pub matched: u64,
    /// Rows naming other files.
    pub unmatched: u64,
}

/// One `metrics.per_class` entry.
#[derive(Debug, Clone, Serialize)]
pub struct PerClass {
    /// Class name.
    pub class: String,
    /// See [`crate::core::analysis::metrics::ClassMetrics`].
    pub precision: f64,
    /// See [`crate::core::analysis::metrics::ClassMetrics`].
    pub recall: f64,
    /// See [`crate::core::analysis::metrics::ClassMetrics`].
    pub f1: f64,
    /// True samples of the class.
    pub support: u64,
}

/// `metrics`.
#[derive(Debug, Clone, Serialize)]
pub struct MetricsSummary {
    /// Samples with both a label and a prediction (after `--split`).
    pub num_samples: u64,
    /// Fraction correct.
    pub accuracy: f64,
    /// Unweighted mean F1.
    pub macro_f1: f64,
    /// Support-weighted mean F1.
    pub weighted_f1: f64,
    /// Per class, in class order.
    pub per_class: Vec<PerClass>,
    /// Rows = true class, columns = predicted.
    pub confusion_matrix: Vec<Vec<u64>>,
}

/// One reliability bin.
#[derive(Debug, Clone, Serialize)]
pub struct BinSummary {
    /// Lower edge (exclusive).
    pub lower: f64,
    /// Upper edge (inclusive).
    pub upper: f64,
    /// Samples in the bin.
    pub count: u64,
    /// Their mean confidence.
    pub confidence: f64,
    /// Their accuracy.
    pub accuracy: f64,
}

/// `calibration`.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationSummary {
    /// Number of equal-width bins.
    pub num_bins: usize,
    /// Expected calibration error.
    pub ece: f64,
    /// Maximum calibration error.
    pub mce: f64,
    /// Mean negative log-likelihood (p clipped at 1e-12).
    pub nll: f64,
    /// Mean Brier score (sum over classes).
    pub brier: f64,
    /// The bins, empty ones included.
    pub bins: Vec<BinSummary>,
    /// Fitted temperature.
    pub temperature: f64,
    /// ECE after temperature scaling.
    pub ece_after_temperature: f64,
    /// NLL after temperature scaling.
    pub nll_after_temperature: f64,
}

/// The whole `stats --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    /// Samples, classes, splits.
    pub dataset: DatasetSummary,
    /// Labelled samples per class, overall and per split.
    pub class_counts: ClassCounts,
    /// Join counts, or null without predictions.
    pub predictions: Option<PredictionSummary>,
    /// Classification metrics, or null without predictions (or with no scorable sample).
    pub metrics: Option<MetricsSummary>,
    /// Calibration, or null without probabilities.
    pub calibration: Option<CalibrationSummary>,
    /// Why metrics and calibration were not computed although there are predictions (too many
    /// classes). Not part of the document: `stats` fails with it, the GUI shows it.
    #[serde(skip)]
    pub metrics_refused: Option<TooManyClasses>,
}

/// Resolves a `--split` name to a split id, with an error that lists the choices.
pub fn resolve_split(dataset: &Dataset, split: Option<&str>) -> Result<Option<usize>, LoadError> {
    let Some(name) = split else { return Ok(None) };
    if dataset.splits().is_empty() {
        return Err(LoadError::Request(format!(
            "--split {name}: the dataset has no splits"
        )));
    }
    dataset.split_id(name).map(Some).ok_or_else(|| {
        LoadError::Request(format!(
            "--split {name}: no such split (the dataset has: {})",
            dataset.splits().join(", ")
        ))
    })
}

impl StatsReport {
    /// Computes the report over all samples, or over one split's samples for the metrics.
    pub fn build(
        dataset: &Dataset,
        predictions: Option<&Predictions>,
        split: Option<usize>,
        num_bins: usize,
    ) -> Self {
        let classes = dataset.classes().to_vec();
        let class_counts = ClassCounts::listed(&classes, dataset.splits(), |split| {
            dataset.class_counts(split)
        });
        let evaluation = predictions.and_then(|p| {
            let t0 = std::time::Instant::now();
            let scored = scored_samples(dataset.labels(), p, |i| {
                split.is_none_or(|s| dataset.split(i) == Some(s))
            });
            crate::core::data::load::timing("  scored samples", t0);
            (!scored.is_empty()).then(|| evaluate(p, &scored, classes.len(), num_bins))
        });
        let (metrics, calibration, metrics_refused) = match evaluation {
            Some(Ok(e)) => {
                let (m, c) = summarise(&e, &classes, num_bins);
                (m, c, None)
            }
            Some(Err(refused)) => (None, None, Some(refused)),
            None => (None, None, None),
        };
        Self {
            dataset: DatasetSummary {
                num_samples: dataset.len() as u64,
                classes,
                splits: dataset.splits().to_vec(),
            },
            class_counts,
            predictions: predictions.map(|p| PredictionSummary {
                matched: p.matched(),
                unmatched: p.unmatched(),
            }),
            metrics,
            calibration,
            metrics_refused,
        }
    }
}

fn summarise(
    e: &Evaluation,
    classes: &[String],
    num_bins: usize,
) -> (Option<MetricsSummary>, Option<CalibrationSummary>) {
    let metrics = MetricsSummary::new(&e.classification, classes);
    let calibration = e.calibration.as_ref().map(|cal| CalibrationSummary {
        num_bins,
        ece: cal.reliability.ece,
        mce: cal.reliability.mce,
        nll: cal.nll,
        brier: cal.brier,
        bins: BinSummary::list(&cal.reliability),
        temperature: cal.temperature.temperature,
        ece_after_temperature: cal.ece_after_temperature,
        nll_after_temperature: cal.nll_after_temperature,
    });
    (Some(metrics), calibration)
}

impl BinSummary {
    /// The document's bins of a reliability diagram.
    pub fn list(diagram: &crate::core::analysis::metrics::ReliabilityDiagram) -> Vec<Self> {
        diagram
            .bins
            .iter()
            .map(|b| BinSummary {
                lower: b.lower,
                upper: b.upper,
                count: b.count,
                confidence: b.confidence,
                accuracy: b.accuracy,
            })
            .collect()
    }
}

impl MetricsSummary {
    /// The document's `metrics` from a classification report over `classes` (in class-id order).
    pub fn new(
        c: &crate::core::analysis::metrics::ClassificationReport,
        classes: &[String],
    ) -> Self {
        MetricsSummary {
            num_samples: c.num_samples,
            accuracy: c.accuracy,
            macro_f1: c.macro_f1,
            weighted_f1: c.weighted_f1,
            per_class: classes
                .iter()
                .zip(&c.per_class)
                .map(|(name, m)| PerClass {
                    class: name.clone(),
                    precision: m.precision,
                    recall: m.recall,
                    f1: m.f1,
                    support: m.support,
                })
                .collect(),
            confusion_matrix: c.confusion.to_rows(),
        }
    }
}
