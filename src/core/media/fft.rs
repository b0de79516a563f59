//! The power spectrum of real frames of a power-of-two length: what the mel spectrogram needs.
//!
//! Written here (a radix-2 complex FFT of half the length, then the standard split into the real
//! input's spectrum) rather than taken from realfft/rustfft: their planner is generic, so every FFT
//! algorithm and SIMD path it can choose was compiled into this crate, 11.5% of its LLVM IR and of
//! the release build's serial tail, for frames of one size (1024) a few thousand at a time.

/// One planned size: the bit-reversal order and the twiddle factors, computed once, reused per frame.
pub struct PowerSpectrum {
    /// Real input length (a power of two, at least 4).
    n: usize,
    /// Bit-reversed index of each of the `n / 2` complex points.
    reversed: Vec<u32>,
    /// The butterflies' twiddles, stage after stage: for blocks of `len` points, `e^(-2πi j / len)`
    /// for `j < len / 2` (contiguous, so the inner loop zips three slices and vectorises).
    twiddles: Vec<[f32; 2]>,
    /// `e^(-2πi k / n)` for `k <= n / 2`: the split of the packed result into the real spectrum.
    split: Vec<[f32; 2]>,
    /// The packed frame, transformed in place.
    work: Vec<[f32; 2]>,
}

impl PowerSpectrum {
    /// Plans frames of `n` samples; `n` is rounded up to a power of two (at least 4).
    pub fn new(n: usize) -> Self {
        let n = n.max(4).next_power_of_two();
        let half = n / 2;
        let bits = half.trailing_zeros();
        let reversed = (0..half as u32)
            .map(|m| {
                if bits == 0 {
                    0
                } else {
                    m.reverse_bits() >> (32 - bits)
                }
            })
            .collect();
        let unit = |k: usize, of: usize| {
            let angle = -2.0 * std::f64::consts::PI * k as f64 / of as f64;
            [angle.cos() as f32, angle.sin() as f32]
        };
        Self {
            n,
            reversed,
            twiddles: std::iter::successors(Some(2usize), |len| Some(len * 2))
                .take_while(|&len| len <= half)
                .flat_map(|len| (0..len / 2).map(move |j| unit(j, len)))
                .collect(),
            split: (0..=half).map(|k| unit(k, n)).collect(),
            work: vec![[0.0; 2]; half],
        }
    }

    /// `|X[k]|²` for `k = 0..=n/2` of the DFT `X` of `input` (missing samples count as 0), into
    /// `power` (as many bins as it has room for, up to `n/2 + 1`).
    pub fn compute(&mut self, input: &[f32], power: &mut [f32]) {
        let half = self.n / 2;
        // Pack even samples as real parts, odd ones as imaginary parts, in bit-reversed order.
        for (m, &r) in self.reversed.iter().enumerate() {
            let re = input.get(2 * m).copied().unwrap_or(0.0);
            let im = input.get(2 * m + 1).copied().unwrap_or(0.0);
            if let Some(slot) = self.work.get_mut(r as usize) {
                *slot = [re, im];
            }
        }
        // Iterative decimation in time.
        let mut len = 2;
        let mut offset = 0;
        while len <= half {
            let stage = self.twiddles.get(offset..offset + len / 2).unwrap_or(&[]);
            for block in self.work.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(len / 2);
                for ((a, b), w) in lo.iter_mut().zip(hi.iter_mut()).zip(stage) {
                    let t = [b[0] * w[0] - b[1] * w[1], b[0] * w[1] + b[1] * w[0]];
                    *b = [a[0] - t[0], a[1] - t[1]];
                    *a = [a[0] + t[0], a[1] + t[1]];
                }
            }
            offset += len / 2;
            len *= 2;
        }
        // Z = FFT(even + i·odd): X[k] = E[k] + e^(-2πik/n) O[k], where
        // E[k] = (Z[k] + conj Z[h-k]) / 2 and O[k] = (Z[k] - conj Z[h-k]) / 2i.
        for (k, p) in power.iter_mut().enumerate().take(half + 1) {
            let z = self.work.get(k % half).copied().unwrap_or_default();
            let c = self
                .work
                .get((half - k) % half)
                .copied()
                .unwrap_or_default();
            let even = [(z[0] + c[0]) * 0.5, (z[1] - c[1]) * 0.5];
            let odd = [(z[1] + c[1]) * 0.5, (c[0] - z[0]) * 0.5];
            let w = self.split.get(k).copied().unwrap_or([1.0, 0.0]);
            let re = even[0] + w[0] * odd[0] - w[1] * odd[1];
            let im = even[1] + w[0] * odd[1] + w[1] * odd[0];
            *p = re * re + im * im;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DFT by its definition, in f64.
    fn naive_power(x: &[f32]) -> Vec<f64> {
        let n = x.len();
        (0..=n / 2)
            .map(|k| {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (t, &v) in x.iter().enumerate() {
                    let a = -2.0 * std::f64::consts::PI * (k * t) as f64 / n as f64;
                    re += f64::from(v) * a.cos();
                    im += f64::from(v) * a.sin();
                }
                re * re + im * im
            })
            .collect()
    }

    /// Deterministic noise in [-1, 1).
    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((s >> 40) as f32 / (1u64 << 23) as f32) - 1.0
            })
            .collect()
    }

    #[test]
    fn equals_the_dft_by_definition_at_every_size() {
        for n in [4usize, 8, 16, 64, 256, 1024] {
            let x = noise(n, n as u64);
            let mut plan = PowerSpectrum::new(n);
            let mut power = vec![0f32; n / 2 + 1];
            plan.compute(&x, &mut power);
            let want = naive_power(&x);
            let scale = want.iter().copied().fold(0.0, f64::max);
            for (k, (&got, &want)) in power.iter().zip(&want).enumerate() {
                let err = (f64::from(got) - want).abs() / scale;
                assert!(err < 1e-5, "n {n}, bin {k}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn hand_checked_small_cases() {
        // [1, 0, 0, 0]: flat spectrum of 1. [1, 1, 1, 1]: all energy at 0 Hz, 4² = 16.
        // [1, -1, 1, -1]: all at Nyquist (bin 2), 16. [0, 1, 0, -1]: bin 1 = -2i, power 4.
        let mut plan = PowerSpectrum::new(4);
        let mut p = [0f32; 3];
        for (x, want) in [
            ([1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0]),
            ([1.0, 1.0, 1.0, 1.0], [16.0, 0.0, 0.0]),
            ([1.0, -1.0, 1.0, -1.0], [0.0, 0.0, 16.0]),
            ([0.0, 1.0, 0.0, -1.0], [0.0, 4.0, 0.0]),
        ] {
            plan.compute(&x, &mut p);
            for (got, want) in p.iter().zip(want) {
                assert!((got - want).abs() < 1e-5, "{x:?}: {p:?}");
            }
        }
    }

    #[test]
    fn a_short_frame_is_padded_with_zeros_and_sizes_round_up() {
        let mut plan = PowerSpectrum::new(6);
        assert_eq!(plan.n, 8);
        let mut p = [0f32; 5];
        plan.compute(&[1.0], &mut p);
        assert!(p.iter().all(|v| (v - 1.0).abs() < 1e-6), "{p:?}");
    }
}
