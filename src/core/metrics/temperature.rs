//! Temperature scaling (Guo et al. 2017): the T > 0 that minimises the NLL of softmax(z / T), with
//! z = ln p. The NLL is convex in b = 1/T, with first derivative mean(E_q[z] - z_y) and second
//! derivative mean(Var_q[z]) under q = softmax(b z), so a safeguarded Newton iteration (taken on ln b)
//! converges in a handful of passes. Bounds match the reference: T in [0.01, 100].

use rayon::prelude::*;

use crate::core::load::Predictions;

use super::Scored;
use super::calibration::NLL_CLIP;

/// Lowest and highest temperature considered.
pub const TEMPERATURE_BOUNDS: (f64, f64) = (0.01, 100.0);
const RELATIVE_TOLERANCE: f64 = 1e-10;
const MAX_ITERATIONS: usize = 100;

/// The result of a temperature fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TemperatureFit {
    /// The fitted temperature (1 when there is nothing to fit).
    pub temperature: f64,
    /// Passes over the data the solver needed.
    pub iterations: usize,
}

#[derive(Default, Clone, Copy)]
struct Sums {
    f: f64,
    g: f64,
    h: f64,
    n: usize,
}

impl std::ops::Add for Sums {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            f: self.f + o.f,
            g: self.g + o.g,
            h: self.h + o.h,
            n: self.n + o.n,
        }
    }
}

/// NLL, its derivative and second derivative in b for one sample's log-probability row `z`.
/// A probability of 0 is a logit of -inf: it gets zero weight for every b > 0.
fn sample_terms(z: &[f64], label: usize, b: f64) -> Option<Sums> {
    let z_true = *z.get(label)?;
    if z_true == f64::NEG_INFINITY {
        // -ln q_y is +inf for every T; clipped, it is a constant and does not move the optimum.
        return None;
    }
    let z_max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for &zk in z {
        if zk > f64::NEG_INFINITY {
            let d = zk - z_max;
            let e = (b * d).exp();
            s0 += e;
            s1 += d * e;
            s2 += d * d * e;
        }
    }
    let mean = s1 / s0;
    let d_true = z_true - z_max;
    Some(Sums {
        f: s0.ln() - b * d_true,
        g: mean - d_true,
        h: (s2 / s0 - mean * mean).max(0.0),
        n: 1,
    })
}

fn evaluate(predictions: &Predictions, scored: &[Scored], b: f64) -> Sums {
    scored
        .par_chunks(8192)
        .map(|chunk| {
            let mut acc = Sums::default();
            for s in chunk {
                let z = predictions.row_log_probabilities(s.row as usize);
                if let Some(t) = sample_terms(z, s.label as usize, b) {
                    acc = acc + t;
                }
            }
            acc
        })
        .reduce(Sums::default, |a, b| a + b)
}

/// Fits the temperature on `scored` samples (which need probabilities).
pub fn fit_temperature(predictions: &Predictions, scored: &[Scored]) -> TemperatureFit {
    // Work in b = 1/T; keep a bracket [lo, hi] around the minimiser (the derivative is increasing).
    let (b_min, b_max) = (1.0 / TEMPERATURE_BOUNDS.1, 1.0 / TEMPERATURE_BOUNDS.0);
    let (mut lo, mut hi) = (b_min, b_max);
    let (mut probed_min, mut probed_max) = (false, false);
    let mut b: f64 = 1.0;
    let mut iterations = 0;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let s = evaluate(predictions, scored, b);
        if s.n == 0 {
            return TemperatureFit {
                temperature: 1.0,
                iterations,
            };
        }
        let (g, h) = (s.g / s.n as f64, s.h / s.n as f64);
        if g > 0.0 {
            hi = b;
        } else if g < 0.0 {
            lo = b;
        } else {
            break;
        }
        if hi - lo <= RELATIVE_TOLERANCE * b {
            break; // the bracket closed, possibly at a bound
        }
        // Newton on u = ln b: f'(u) = b g, f''(u) = b^2 h + b g. The NLL bends sharply for b < 1, where
        // Newton on b itself overshoots; on ln b it lands close in one step (as the reference works on
        // ln T). The bracket keeps it safe if the log-space curvature is not positive.
        let (gu, hu) = (b * g, b * b * h + b * g);
        let newton = if hu > 0.0 {
            b * (-gu / hu).exp()
        } else {
            b - g / h
        };
        if (newton - b).abs() <= RELATIVE_TOLERANCE * b {
            b = newton.clamp(b_min, b_max);
            break; // converged: the Newton step is below the tolerance
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
        let step = (next - b).abs();
        b = next;
        if step <= RELATIVE_TOLERANCE * b {
            break;
        }
    }
    TemperatureFit {
        temperature: 1.0 / b,
        iterations,
    }
}

/// With probabilities rescaled by temperature `t`: the (top confidence, correct) pair of every sample and
/// the mean clipped NLL. The top class does not change under rescaling (T > 0 keeps the order).
pub fn temperature_scaled(
    predictions: &Predictions,
    scored: &[Scored],
    t: f64,
) -> (Vec<(f64, bool)>, f64) {
    let b = 1.0 / t;
    let parts: Vec<(Vec<(f64, bool)>, f64)> = scored
        .par_chunks(8192)
        .map(|chunk| {
            let mut pairs = Vec::with_capacity(chunk.len());
            let mut nll = 0.0;
            for s in chunk {
                let row = s.row as usize;
                let z = predictions.row_log_probabilities(row);
                let z_max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut s0 = 0.0;
                for &zk in z {
                    if zk > f64::NEG_INFINITY {
                        s0 += (b * (zk - z_max)).exp();
                    }
                }
                let z_true = z
                    .get(s.label as usize)
                    .copied()
                    .unwrap_or(f64::NEG_INFINITY);
                let q_true = if z_true > f64::NEG_INFINITY {
                    (b * (z_true - z_max)).exp() / s0
                } else {
                    0.0
                };
                nll -= q_true.max(NLL_CLIP).ln();
                pairs.push((1.0 / s0, predictions.row_top(row) == Some(s.label as usize)));
            }
            (pairs, nll)
        })
        .collect();
    let n: usize = parts.iter().map(|(p, _)| p.len()).sum();
    let nll: f64 = parts.iter().map(|(_, l)| l).sum();
    let pairs = parts.into_iter().flat_map(|(p, _)| p).collect();
    (pairs, if n == 0 { 0.0 } else { nll / n as f64 })
}
