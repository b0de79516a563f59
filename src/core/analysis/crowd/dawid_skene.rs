//! Dawid and Skene (1979): the true class of each sample and a confusion matrix per annotator,
//! estimated together by EM. Starts from the vote fractions; each iteration is an M step (class
//! priors = mean posterior; confusion rows = posterior-weighted counts of (true class, given label),
//! normalised) then an E step (posterior ∝ prior × the product of the annotators' confusion entries).
//! No smoothing: a zero stays zero. Parallel over samples; the judgements are the flat arrays of
//! [`Annotations`], so a million samples × five judgements take a few passes over 45 MB.

use rayon::prelude::*;

use crate::core::data::load::Annotations;

use super::{Consensus, ConsensusMethod, CrowdError, argmax_first, vote};

/// Largest annotators × classes × classes the confusion matrices may take (512 MB of f64).
pub const MAX_CONFUSION_ENTRIES: usize = 64 << 20;

/// When EM stops.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Stop once no posterior moves by more than this.
    pub tolerance: f64,
    /// Stop after this many iterations in any case.
    pub max_iterations: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            tolerance: 1e-5,
            max_iterations: 100,
        }
    }
}

/// Samples per parallel task.
const CHUNK: usize = 16 * 1024;

/// Class priors and per-annotator confusion matrices, laid out `[annotator][given][true]` so one
/// judgement touches one contiguous row in both steps (the probabilities of a true class, row
/// `[annotator][true]` of the textbook matrix, are a column here).
struct Model {
    priors: Vec<f64>,
    /// P(given | true) at `(a * k + given) * k + true`.
    confusion: Vec<f64>,
}

impl Model {
    /// P(annotator `a` says `given` | the truth is `truth`).
    fn entry(&self, k: usize, a: usize, truth: usize, given: usize) -> f64 {
        self.confusion[(a * k + given) * k + truth]
    }
}

/// Runs Dawid–Skene on `samples` (dataset indices, dataset order).
pub fn dawid_skene(
    annotations: &Annotations,
    samples: &[u32],
    classes: usize,
    options: Options,
) -> Result<Consensus, CrowdError> {
    let annotators = annotations.annotators().len();
    let size = annotators
        .checked_mul(classes)
        .and_then(|x| x.checked_mul(classes));
    if size.is_none_or(|s| s > MAX_CONFUSION_ENTRIES) {
        return Err(CrowdError::TooLarge {
            annotators,
            classes,
            max: MAX_CONFUSION_ENTRIES,
        });
    }
    let mut result = vote(annotations, samples, classes);
    result.method = ConsensusMethod::DawidSkene;
    if samples.is_empty() || classes == 0 {
        result.estimated_accuracy = Some(vec![0.0; annotators]);
        return Ok(result);
    }
    let mut posterior = std::mem::take(&mut result.posterior);
    let mut next = vec![0.0; posterior.len()];
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let model = m_step(annotations, samples, classes, &posterior);
        let moved = e_step(annotations, samples, classes, &model, &posterior, &mut next);
        std::mem::swap(&mut posterior, &mut next);
        if moved <= options.tolerance {
            break;
        }
    }
    let model = m_step(annotations, samples, classes, &posterior);
    let accuracy = (0..annotators)
        .map(|w| {
            (0..classes)
                .map(|k| model.priors[k] * model.entry(classes, w, k, k))
                .sum()
        })
        .collect();
    result.label = posterior
        .chunks_exact(classes)
        .map(|row| argmax_first(row) as u32)
        .collect();
    result.posterior = posterior;
    result.iterations = iterations;
    result.estimated_accuracy = Some(accuracy);
    Ok(result)
}

/// Priors and confusion matrices from the posteriors.
fn m_step(annotations: &Annotations, samples: &[u32], k: usize, posterior: &[f64]) -> Model {
    let w = annotations.annotators().len();
    let (who, what) = (annotations.annotator_ids(), annotations.label_ids());
    // One accumulator per task: k priors then w × k × k counts. Large matrices get fewer tasks, so
    // the accumulators stay a small multiple of one.
    let size = k + w * k * k;
    let tasks = if size > 1 << 20 {
        rayon::current_num_threads()
    } else {
        4 * rayon::current_num_threads()
    };
    let chunk = samples.len().div_ceil(tasks.max(1)).max(CHUNK);
    let sums = samples
        .par_chunks(chunk)
        .zip(posterior.par_chunks(chunk * k))
        .fold(
            || vec![0.0f64; size],
            |mut acc, (chunk, post)| {
                let (priors, counts) = acc.split_at_mut(k);
                for (&s, row) in chunk.iter().zip(post.chunks_exact(k)) {
                    for (p, &q) in priors.iter_mut().zip(row) {
                        *p += q;
                    }
                    for j in annotations.range(s as usize) {
                        let base = (who[j] as usize * k + what[j] as usize) * k;
                        for (c, &q) in counts[base..base + k].iter_mut().zip(row) {
                            *c += q;
                        }
                    }
                }
                acc
            },
        )
        .reduce_with(|mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        })
        .unwrap_or_else(|| vec![0.0; size]);
    let (priors, counts) = sums.split_at(k);
    let n = samples.len() as f64;
    let priors: Vec<f64> = priors.iter().map(|p| p / n).collect();
    // Normalise each (annotator, true class) over the labels given; no mass leaves it all zero.
    let mut confusion = counts.to_vec();
    let mut totals = vec![0.0f64; k];
    for matrix in confusion.chunks_exact_mut(k * k) {
        totals.iter_mut().for_each(|t| *t = 0.0);
        for row in matrix.chunks_exact(k) {
            for (t, &x) in totals.iter_mut().zip(row) {
                *t += x;
            }
        }
        for row in matrix.chunks_exact_mut(k) {
            for (x, &t) in row.iter_mut().zip(&totals) {
                if t > 0.0 {
                    *x /= t;
                }
            }
        }
    }
    Model { priors, confusion }
}

/// New posteriors into `next`; returns the largest change of any posterior.
fn e_step(
    annotations: &Annotations,
    samples: &[u32],
    k: usize,
    model: &Model,
    posterior: &[f64],
    next: &mut [f64],
) -> f64 {
    let (who, what) = (annotations.annotator_ids(), annotations.label_ids());
    let log_priors: Vec<f64> = model.priors.iter().map(|p| p.ln()).collect();
    // ln confusion in the model's [annotator][given][true] layout: a judgement adds one row.
    let log_conf: Vec<f64> = model.confusion.iter().map(|c| c.ln()).collect();
    samples
        .par_chunks(CHUNK)
        .zip(posterior.par_chunks(CHUNK * k))
        .zip(next.par_chunks_mut(CHUNK * k))
        .map(|((chunk, old), new)| {
            let mut moved = 0.0f64;
            for ((&s, old_row), row) in chunk
                .iter()
                .zip(old.chunks_exact(k))
                .zip(new.chunks_exact_mut(k))
            {
                row.copy_from_slice(&log_priors);
                for j in annotations.range(s as usize) {
                    let base = (who[j] as usize * k + what[j] as usize) * k;
                    for (x, &c) in row.iter_mut().zip(&log_conf[base..base + k]) {
                        *x += c;
                    }
                }
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if max == f64::NEG_INFINITY || max.is_nan() {
                    // No class is possible under the model (every product is zero): the sample
                    // keeps its previous posterior rather than becoming undefined.
                    row.copy_from_slice(old_row);
                    continue;
                }
                let mut total = 0.0;
                for x in row.iter_mut() {
                    *x = (*x - max).exp();
                    total += *x;
                }
                for (x, &o) in row.iter_mut().zip(old_row) {
                    *x /= total;
                    moved = moved.max((*x - o).abs());
                }
            }
            moved
        })
        .reduce(|| 0.0, f64::max)
}
