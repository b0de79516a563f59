//! Temperature scaling (Guo et al. 2017): the T > 0 that minimises the NLL of softmax(z / T), with
//! z = ln p. The NLL is convex in b = 1/T, with first derivative mean(E_q[z] - z_y), second derivative
//! mean(Var_q[z]) and third derivative mean(E_q[(z - E_q z)^3]) under q = softmax(b z). A safeguarded
//! Halley iteration (cubic convergence; taken on ln b) needs two passes over all the samples after a
//! warm start on a subsample. Bounds match the reference: T in [0.01, 100].

use rayon::prelude::*;

use crate::core::data::load::Predictions;

use super::Scored;
use super::reliability::{BinSums, NLL_CLIP};
use crate::core::util::fast_math::exp_nonpositive;

/// Lowest and highest temperature considered.
pub const TEMPERATURE_BOUNDS: (f64, f64) = (0.01, 100.0);
/// Relative accuracy of b = 1/T, as the contract asks. Halley's method lands far inside it: a step
/// of 1e-3 leaves an error near 1e-9, a step of 1e-9 one near 1e-27.
const RELATIVE_TOLERANCE: f64 = 1e-8;
const MAX_ITERATIONS: usize = 100;

/// The result of a temperature fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TemperatureFit {
    /// The fitted temperature (1 when there is nothing to fit).
    pub temperature: f64,
    /// Passes over all the samples the solver needed (the warm start on a subsample not counted).
    pub iterations: usize,
}

/// Probabilities after temperature scaling, summarised: what the reliability diagram and the NLL
/// after scaling need.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaled {
    /// Reliability bin sums of the scaled top-class confidences.
    pub bins: BinSums,
    /// Mean negative log-likelihood of the true class (clipped at [`NLL_CLIP`]).
    pub nll: f64,
}

/// The NLL's derivative sums in b = 1/T at one b (first, second, third; over `n` samples). They add
/// up across parts of a dataset, so a distributed fit merges them and takes the same Halley steps.
#[derive(Debug, Default, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sums {
    g: f64,
    h: f64,
    k: f64,
    n: usize,
}

impl std::ops::Add for Sums {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            g: self.g + o.g,
            h: self.h + o.h,
            k: self.k + o.k,
            n: self.n + o.n,
        }
    }
}

/// Classes whose weights are computed together (a stack buffer; rows with more classes take several).
const WEIGHT_BLOCK: usize = 16;

/// One chunk's share of a pass: derivative sums, scaled reliability bin sums, NLL sum, samples.
type PassPart = (Sums, BinSums, f64, usize);

/// What a pass reads of a scored row: its log-probabilities (class order) and its top class. The
/// loaded predictions provide them, and so does a distributed pipeline's copy of a part's scored
/// rows, kept between passes so a part is not loaded again for each one.
pub trait LogProbRows: Sync {
    /// Natural log of row `row`'s renormalised probabilities (empty when it has none).
    fn log_probabilities(&self, row: usize) -> &[f64];
    /// Row `row`'s top class (argmax, lowest index on ties).
    fn top(&self, row: usize) -> Option<usize>;
}

impl LogProbRows for Predictions {
    fn log_probabilities(&self, row: usize) -> &[f64] {
        self.row_log_probabilities(row)
    }

    fn top(&self, row: usize) -> Option<usize> {
        self.row_top(row)
    }
}

/// One pass over `scored` at b = 1/T: the NLL's derivative sums (for Newton) and, when `collect`, the
/// scaled confidences and NLL, all from the same exponentials. A probability of 0 is a logit of -inf
/// and gets zero weight for every b > 0; a sample whose true class has probability 0 has a clipped NLL
/// that is constant in b, so it does not enter the derivatives.
fn pass<R: LogProbRows + ?Sized>(
    predictions: &R,
    scored: &[Scored],
    b: f64,
    collect: Option<usize>,
) -> (Sums, Option<Scaled>) {
    let ln_clip = NLL_CLIP.ln();
    let parts: Vec<PassPart> = scored
        .par_chunks(8192)
        .map(|chunk| {
            let mut acc = Sums::default();
            let mut bins = BinSums::new(collect.unwrap_or(1));
            let (mut nll, mut count) = (0.0, 0usize);
            let mut weights = [0.0f64; WEIGHT_BLOCK];
            for sc in chunk {
                let row = sc.row as usize;
                let z = predictions.log_probabilities(row);
                let Some(&z_true) = z.get(sc.label as usize) else {
                    continue;
                };
                let z_max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (mut s0, mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0, 0.0);
                // Weights first, in a loop the compiler vectorises, then the sums. A probability of
                // 0 (z = -inf) gets weight 0; the top entry has d = 0 and weight exactly 1.
                for zc in z.chunks(WEIGHT_BLOCK) {
                    let w = &mut weights[..zc.len()];
                    for (w, &zk) in w.iter_mut().zip(zc) {
                        let e = exp_nonpositive(b * (zk - z_max));
                        *w = if zk > f64::NEG_INFINITY { e } else { 0.0 };
                    }
                    for (&e, &zk) in w.iter().zip(zc) {
                        let d = if zk > f64::NEG_INFINITY {
                            zk - z_max
                        } else {
                            0.0
                        };
                        s0 += e;
                        s1 += d * e;
                        s2 += d * d * e;
                        s3 += d * d * d * e;
                    }
                }
                let ln_s0 = s0.ln();
                let d_true = z_true - z_max;
                if z_true > f64::NEG_INFINITY {
                    let mean = s1 / s0;
                    acc = acc
                        + Sums {
                            g: mean - d_true,
                            h: (s2 / s0 - mean * mean).max(0.0),
                            k: s3 / s0 - 3.0 * mean * (s2 / s0) + 2.0 * mean * mean * mean,
                            n: 1,
                        };
                }
                if collect.is_some() {
                    // ln q_true = b d_true - ln s0; the top class keeps weight 1, so its confidence is 1 / s0.
                    nll -= (b * d_true - ln_s0).max(ln_clip);
                    bins.add(1.0 / s0, predictions.top(row) == Some(sc.label as usize));
                    count += 1;
                }
            }
            (acc, bins, nll, count)
        })
        .collect();
    let sums = parts.iter().fold(Sums::default(), |a, p| a + p.0);
    let scaled = collect.map(|num_bins| {
        let bins = parts
            .iter()
            .fold(BinSums::new(num_bins), |a, p| a.merge(&p.1));
        let count: usize = parts.iter().map(|p| p.3).sum();
        let nll: f64 = parts.iter().map(|p| p.2).sum();
        Scaled {
            bins,
            nll: if count == 0 { 0.0 } else { nll / count as f64 },
        }
    });
    (sums, scaled)
}

/// The next b from the derivative sums `s` at `b`: Halley on u = ln b: f'(u) = b g,
/// f''(u) = b^2 h + b g, f'''(u) = b^3 k + 3 b^2 h + b g. The NLL bends sharply for b < 1, where
/// steps on b itself overshoot; on ln b they land close (the reference, too, works on ln T). Where
/// Halley's denominator is not positive, or its step points the other way, Newton's step is taken.
/// Not clamped: the caller keeps it inside its bracket.
pub fn halley_step(b: f64, s: &Sums) -> f64 {
    if s.n == 0 {
        return b;
    }
    let n = s.n as f64;
    let (g, h, k) = (s.g / n, s.h / n, s.k / n);
    let (gu, hu) = (b * g, b * b * h + b * g);
    let ku = b * b * b * k + 3.0 * b * b * h + b * g;
    let halley_denominator = 2.0 * hu * hu - gu * ku;
    if hu > 0.0 {
        let newton_step = -gu / hu;
        let halley = -2.0 * gu * hu / halley_denominator;
        let step = if halley_denominator > 0.0 && halley * newton_step > 0.0 {
            halley
        } else {
            newton_step
        };
        b * step.exp()
    } else {
        b - g / h
    }
}

impl Sums {
    /// Adds another part's sums (taken at the same b).
    pub fn merge(self, other: &Sums) -> Self {
        self + *other
    }

    /// The mean first derivative in b (positive: the minimiser is at a smaller b).
    pub fn mean_slope(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.g / self.n as f64
        }
    }

    /// Samples summed.
    pub fn count(&self) -> usize {
        self.n
    }
}

/// The derivative sums at `b` over `scored` and, when `num_bins` is given, the scaled reliability
/// bin sums and NLL sum at that b: one pass of the fit, for a caller that merges parts (a
/// distributed run) and steps with [`halley_step`] itself.
pub fn temperature_pass<R: LogProbRows + ?Sized>(
    predictions: &R,
    scored: &[Scored],
    b: f64,
    num_bins: Option<usize>,
) -> (Sums, Option<(BinSums, f64)>) {
    let (sums, scaled) = pass(predictions, scored, b, num_bins);
    let scaled = scaled.map(|s| {
        let count: u64 = s.bins.diagram().total;
        (s.bins, s.nll * count as f64)
    });
    (sums, scaled)
}

/// Where a Newton solve ended.
struct Solved {
    b: f64,
    iterations: usize,
    /// The b of the last pass, and what that pass collected (if it did).
    last: Option<(f64, Option<Scaled>)>,
}

/// Safeguarded Newton on u = ln b, from `b0`, until the relative step is below `tolerance`.
fn solve(
    b0: f64,
    tolerance: f64,
    mut eval: impl FnMut(f64, f64) -> (Sums, Option<Scaled>),
) -> Solved {
    // Keep a bracket [lo, hi] around the minimiser (the derivative in b is increasing).
    let (b_min, b_max) = (1.0 / TEMPERATURE_BOUNDS.1, 1.0 / TEMPERATURE_BOUNDS.0);
    let (mut lo, mut hi) = (b_min, b_max);
    let (mut probed_min, mut probed_max) = (false, false);
    let mut b = b0.clamp(b_min, b_max);
    let mut last = None;
    let mut last_step = f64::INFINITY;
    let mut iterations = 0;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let (s, scaled) = eval(b, last_step / b);
        last = Some((b, scaled));
        if s.n == 0 {
            return Solved {
                b: 1.0,
                iterations,
                last: None,
            };
        }
        let g = s.g / s.n as f64;
        if g > 0.0 {
            hi = b;
        } else if g < 0.0 {
            lo = b;
        } else {
            break;
        }
        if hi - lo <= tolerance * b {
            break; // the bracket closed, possibly at a bound
        }
        let newton = halley_step(b, &s);
        if (newton - b).abs() <= tolerance * b {
            b = newton.clamp(b_min, b_max);
            break; // converged: the step is below the tolerance
        }
        let next = if newton > lo && newton < hi {
            newton
        } else if newton >= hi && hi == b_max && !probed_max {
            probed_max = true; // try the bound itself once before bisecting towards it
            b_max
        } else if newton <= lo && lo == b_min && !probed_min {
            probed_min = true;
            b_min
        } else {
            (lo * hi).sqrt()
        };
        last_step = (next - b).abs();
        b = next;
    }
    Solved {
        b,
        iterations,
        last,
    }
}

/// A subsample for the warm start: every `SUBSAMPLE`-th scored sample. Its optimum is within a percent
/// or so of the full one, from where Halley needs two full passes.
const SUBSAMPLE: usize = 32;
const WARM_START_MIN: usize = 64 * SUBSAMPLE;
/// A pass whose previous step was below this (relative) is most likely the last (Halley converges
/// cubically: the error after a step of 1e-2 is near 1e-6 times a constant of order one), so it also
/// collects the scaled reliability bins and NLL.
const LIKELY_LAST_STEP: f64 = 1e-2;

/// Fits the temperature on `scored` samples (which need probabilities) and returns it with the
/// probabilities scaled by it (`num_bins` reliability bins). The scaled values come from the solver's
/// last pass when that pass was at the final temperature (within 1e-10), which saves a pass.
pub fn fit_temperature(
    predictions: &Predictions,
    scored: &[Scored],
    num_bins: usize,
) -> (TemperatureFit, Scaled) {
    let b0 = if scored.len() >= WARM_START_MIN {
        let sample: Vec<Scored> = scored.iter().step_by(SUBSAMPLE).copied().collect();
        solve(1.0, 1e-6, |b, _| pass(predictions, &sample, b, None)).b
    } else {
        1.0
    };
    let solved = solve(b0, RELATIVE_TOLERANCE, |b, last_step| {
        pass(
            predictions,
            scored,
            b,
            (last_step <= LIKELY_LAST_STEP).then_some(num_bins),
        )
    });
    let fit = TemperatureFit {
        temperature: 1.0 / solved.b,
        iterations: solved.iterations,
    };
    let scaled = match solved.last {
        Some((b_last, Some(scaled)))
            if (b_last - solved.b).abs() <= RELATIVE_TOLERANCE * solved.b =>
        {
            scaled
        }
        _ => temperature_scaled(predictions, scored, fit.temperature, num_bins),
    };
    (fit, scaled)
}

/// The probabilities of `scored` samples scaled by temperature `t`, summarised in `num_bins` reliability
/// bins and the NLL (for applying a temperature fitted on one split to another). The top class does not
/// change under scaling (T > 0 keeps the order).
pub fn temperature_scaled(
    predictions: &Predictions,
    scored: &[Scored],
    t: f64,
    num_bins: usize,
) -> Scaled {
    pass(predictions, scored, 1.0 / t, Some(num_bins))
        .1
        .unwrap_or_else(|| Scaled {
            bins: BinSums::new(num_bins),
            nll: 0.0,
        })
}
