//! `exp` and `ln` for the million-row inner loops, written so the compiler vectorises them.
//!
//! The temperature fit evaluates exp(b·(z_k − z_max)) for every class of every sample, several times
//! over, and loading takes the log of every probability: ten million calls each on the benchmark data,
//! where libm's scalar functions were the largest single costs. These versions are branch-free
//! (Cody–Waite reduction and a Taylor polynomial for exp; the atanh series for ln; powers of two built
//! from the bits), so a loop over a row becomes SIMD code, and they stay within a few ulp of libm: the
//! fitted temperature and every metric agree with libm far below the contract's tolerances.

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split so that n·LN2_HI is exact for the n that occur (|n| < 2^11).
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// Adding this rounds a double below 2^51 in magnitude to an integer held in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
/// Below this, exp underflows to a subnormal; the fit's sums add such terms to at least 1, so
/// clamping them here changes nothing.
const LOWEST: f64 = -708.0;

/// e^x for x ≤ 0 (x = −∞ and anything below −708 give a value below 1e-307). Exact at 0: e^0 = 1.
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    let x = if x < LOWEST { LOWEST } else { x };
    // x = n ln2 + r with |r| ≤ ln2 / 2.
    let t = x * LOG2_E + ROUND;
    let n = t - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r by Taylor to r^13 (the remainder is below 2e-17 relative for |r| ≤ 0.347), Estrin-style
    // so the multiplications overlap.
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let p01 = 1.0 + r;
    let p23 = 1.0 / 2.0 + r * (1.0 / 6.0);
    let p45 = 1.0 / 24.0 + r * (1.0 / 120.0);
    let p67 = 1.0 / 720.0 + r * (1.0 / 5040.0);
    let p89 = 1.0 / 40_320.0 + r * (1.0 / 362_880.0);
    let p1011 = 1.0 / 3_628_800.0 + r * (1.0 / 39_916_800.0);
    let p1213 = 1.0 / 479_001_600.0 + r * (1.0 / 6_227_020_800.0);
    let p0_3 = p01 + r2 * p23;
    let p4_7 = p45 + r2 * p67;
    let p8_11 = p89 + r2 * p1011;
    let p0_7 = p0_3 + r4 * p4_7;
    let p8_13 = p8_11 + r4 * p1213;
    let poly = p0_7 + r8 * p8_13;
    // 2^n from the bits: t's low mantissa bits hold n (two's complement), shifted into the exponent.
    let scale = f64::from_bits((t.to_bits() << 52).wrapping_add(1023 << 52));
    poly * scale
}

/// ln x for 0 ≤ x < ∞ (probabilities): ln 0 = −∞, ln 1 = 0 exactly, subnormals handled.
#[inline(always)]
pub fn ln_nonnegative(x: f64) -> f64 {
    const SQRT2: f64 = std::f64::consts::SQRT_2;
    const TWO_POW_54: f64 = 18_014_398_509_481_984.0;
    const MANTISSA: u64 = (1 << 52) - 1;
    // Subnormals are scaled into the normal range first.
    let subnormal = x < f64::MIN_POSITIVE;
    let y = if subnormal { x * TWO_POW_54 } else { x };
    let bits = y.to_bits();
    // y = m · 2^e with m in [1, 2), then m in [√2/2, √2) so that s below is small.
    let m = f64::from_bits((bits & MANTISSA) | (1023 << 52));
    // The biased exponent as a double without an integer conversion: 2^52 + k, minus 2^52.
    let biased = f64::from_bits((bits >> 52) | 0x4330_0000_0000_0000) - 4_503_599_627_370_496.0;
    let high = m > SQRT2;
    let m = if high { m * 0.5 } else { m };
    let e = biased - 1023.0 + if high { 1.0 } else { 0.0 } - if subnormal { 54.0 } else { 0.0 };
    // ln m = 2 atanh s = 2 (s + s^3/3 + s^5/5 + …), s = (m − 1)/(m + 1), |s| ≤ 0.1716: terms to s^21
    // leave a remainder below 3e-17 relative.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let s4 = s2 * s2;
    let s8 = s4 * s4;
    let a = 1.0 + s2 * (1.0 / 3.0);
    let b = 1.0 / 5.0 + s2 * (1.0 / 7.0);
    let c = 1.0 / 9.0 + s2 * (1.0 / 11.0);
    let d = 1.0 / 13.0 + s2 * (1.0 / 15.0);
    let f = 1.0 / 17.0 + s2 * (1.0 / 19.0);
    let g = 1.0 / 21.0;
    let series = (a + s4 * b) + s8 * ((c + s4 * d) + s8 * (f + s4 * g));
    let ln_m = 2.0 * s * series;
    let value = e * LN2_HI + (e * LN2_LO + ln_m);
    if x == 0.0 { f64::NEG_INFINITY } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm_closely_over_the_range() {
        let mut worst = 0.0f64;
        let mut x = 0.0;
        while x > -700.0 {
            let (ours, libm) = (exp_nonpositive(x), x.exp());
            worst = worst.max(((ours - libm) / libm).abs());
            x -= 0.000_731_3;
        }
        assert!(worst < 1e-15, "worst relative error {worst:e}");
    }

    #[test]
    fn ln_matches_libm_closely() {
        let mut worst = 0.0f64;
        let mut x = 1.0f64;
        while x > 1e-320 {
            let (ours, libm) = (ln_nonnegative(x), x.ln());
            let err = if libm == 0.0 {
                ours.abs()
            } else {
                ((ours - libm) / libm).abs()
            };
            worst = worst.max(err);
            x *= 0.999_31;
        }
        for k in 1..100_000 {
            let x = k as f64 / 100_000.0 + 0.5; // around 1, where ln is near 0
            let (ours, libm) = (ln_nonnegative(x), x.ln());
            worst = worst.max(
                ((ours - libm) / libm)
                    .abs()
                    .min((ours - libm).abs() / 1e-16),
            );
        }
        assert!(worst < 1e-15, "worst relative error {worst:e}");
        assert_eq!(ln_nonnegative(1.0), 0.0);
        assert_eq!(ln_nonnegative(0.0), f64::NEG_INFINITY);
        assert!((ln_nonnegative(5e-324) - (5e-324f64).ln()).abs() < 1e-12);
        assert!((ln_nonnegative(1e300) - (1e300f64).ln()).abs() < 1e-12);
    }

    #[test]
    fn exact_at_zero_and_tiny_far_below() {
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-0.0), 1.0);
        assert!(exp_nonpositive(f64::NEG_INFINITY) < 1e-307);
        assert!(exp_nonpositive(-1e6) < 1e-307);
    }
}
