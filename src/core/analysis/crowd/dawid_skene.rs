//! Dawid and Skene (1979): the true class of each sample and a confusion matrix per annotator,
//! estimated together by EM. Starts from the vote fractions; each iteration is an M step (class
//! priors = mean posterior; confusion rows = posterior-weighted counts of (true class, given label),
//! normalised) then an E step (posterior ∝ prior × the product of the annotators' confusion entries).
//! No smoothing: a zero stays zero. Parallel over samples; the judgements are the flat arrays of
//! [`Annotations`], so a million samples × five judgements take a few passes over 45 MB.

use rayon::prelude::*;

use crate::core::data::load::Annotations;
use crate::core::util::fast_math::exp_nonpositive;

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
    // Each judgement's row in the [annotator][given] tables, computed once for every step.
    let codes: Vec<u32> = annotations
        .annotator_ids()
        .iter()
        .zip(annotations.label_ids())
        .map(|(&a, &l)| a * classes as u32 + l)
        .collect();
    let data = Judgements {
        annotations,
        codes: &codes,
        samples,
        k: classes,
    };
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let model = m_step(&data, &posterior);
        let moved = e_step(&data, &model, &posterior, &mut next);
        std::mem::swap(&mut posterior, &mut next);
        if moved <= options.tolerance {
            break;
        }
    }
    let model = m_step(&data, &posterior);
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

/// What both steps read: the judgements grouped by sample, each judgement's table row, the samples
/// analysed and the number of classes.
struct Judgements<'a> {
    annotations: &'a Annotations,
    codes: &'a [u32],
    samples: &'a [u32],
    k: usize,
}

/// Calls `$f::<K>` with the class count as a constant for 2..=8 classes (the loops over a row then
/// unroll and vectorise: most crowds label a handful of classes), `$f::<0>` (run-time count) above.
macro_rules! by_classes {
    ($k:expr, $f:ident ( $($arg:expr),* )) => {
        match $k {
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            _ => $f::<0>($($arg),*),
        }
    };
}

/// Priors and confusion matrices from the posteriors.
fn m_step(d: &Judgements<'_>, posterior: &[f64]) -> Model {
    let k = d.k;
    let w = d.annotations.annotators().len();
    // One accumulator per task: k priors then w × k × k counts. Large matrices get fewer tasks, so
    // the accumulators stay a small multiple of one.
    let size = k + w * k * k;
    let tasks = if size > 1 << 20 {
        rayon::current_num_threads()
    } else {
        4 * rayon::current_num_threads()
    };
    let chunk = d.samples.len().div_ceil(tasks.max(1)).max(CHUNK);
    let sums = d
        .samples
        .par_chunks(chunk)
        .zip(posterior.par_chunks(chunk * k))
        .fold(
            || vec![0.0f64; size],
            |mut acc, (samples, post)| {
                by_classes!(k, m_chunk(d, samples, post, &mut acc));
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
    let n = d.samples.len() as f64;
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

/// The M step's sums over one run of samples: priors then counts, into `acc`.
#[inline(always)]
fn m_chunk<const K: usize>(d: &Judgements<'_>, samples: &[u32], post: &[f64], acc: &mut [f64]) {
    let k = if K == 0 { d.k } else { K };
    let (priors, counts) = acc.split_at_mut(k);
    let priors = &mut priors[..k];
    for (&s, row) in samples.iter().zip(post.chunks_exact(k)) {
        let row = &row[..k];
        for t in 0..k {
            priors[t] += row[t];
        }
        for &code in &d.codes[d.annotations.range(s as usize)] {
            let base = code as usize * k;
            let Some(c) = counts.get_mut(base..base + k) else {
                continue;
            };
            for t in 0..k {
                c[t] += row[t];
            }
        }
    }
}

/// New posteriors into `next`; returns the largest change of any posterior.
fn e_step(d: &Judgements<'_>, model: &Model, posterior: &[f64], next: &mut [f64]) -> f64 {
    let k = d.k;
    let log_priors: Vec<f64> = model.priors.iter().map(|p| p.ln()).collect();
    // ln confusion in the model's [annotator][given][true] layout: a judgement adds one row.
    let log_conf: Vec<f64> = model.confusion.iter().map(|c| c.ln()).collect();
    let tables = (&log_priors[..], &log_conf[..]);
    d.samples
        .par_chunks(CHUNK)
        .zip(posterior.par_chunks(CHUNK * k))
        .zip(next.par_chunks_mut(CHUNK * k))
        .map(|((samples, old), new)| by_classes!(k, e_chunk(d, tables, samples, old, new)))
        .reduce(|| 0.0, f64::max)
}

/// The E step over one run of samples; returns the largest change of any posterior in it.
#[inline(always)]
fn e_chunk<const K: usize>(
    d: &Judgements<'_>,
    (log_priors, log_conf): (&[f64], &[f64]),
    samples: &[u32],
    old: &[f64],
    new: &mut [f64],
) -> f64 {
    let k = if K == 0 { d.k } else { K };
    let log_priors = &log_priors[..k];
    let mut moved = 0.0f64;
    for ((&s, old_row), row) in samples
        .iter()
        .zip(old.chunks_exact(k))
        .zip(new.chunks_exact_mut(k))
    {
        let (old_row, row) = (&old_row[..k], &mut row[..k]);
        row.copy_from_slice(log_priors);
        for &code in &d.codes[d.annotations.range(s as usize)] {
            let base = code as usize * k;
            let Some(c) = log_conf.get(base..base + k) else {
                continue;
            };
            for t in 0..k {
                row[t] += c[t];
            }
        }
        let mut max = f64::NEG_INFINITY;
        for &x in row.iter() {
            max = max.max(x);
        }
        if max == f64::NEG_INFINITY || max.is_nan() {
            // No class is possible under the model (every product is zero): the sample keeps its
            // previous posterior rather than becoming undefined.
            row.copy_from_slice(old_row);
            continue;
        }
        let mut total = 0.0;
        for x in row.iter_mut() {
            let d = *x - max;
            // exp(-inf) is exactly 0 (a class the model rules out stays at 0, no smoothing).
            *x = if d == f64::NEG_INFINITY {
                0.0
            } else {
                exp_nonpositive(d)
            };
            total += *x;
        }
        for t in 0..k {
            row[t] /= total;
            moved = moved.max((row[t] - old_row[t]).abs());
        }
    }
    moved
}
