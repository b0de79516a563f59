//! Image quality measures and the perceptual hash, from upright pixels: what a scan record stores so
//! near-black, blurry or tiny images and resized or recompressed copies can be found without
//! decoding anything again.

use crate::core::media::Pixels;

/// Side of the grey image sharpness (and brightness and contrast) are measured on: large enough
/// that blur shows, small enough that a 24-megapixel photo and its 640-px copy measure alike.
pub const MEASURE_SIDE: u32 = 256;

/// A greyscale image of `f32` values 0-255, rows top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Grey {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` values.
    pub data: Vec<f32>,
}

impl Grey {
    /// BT.601 luma (0.299 R + 0.587 G + 0.114 B) of any 1-4 channel image; alpha is ignored.
    pub fn from_pixels(pixels: &Pixels) -> Self {
        let c = usize::from(pixels.channels.max(1));
        let data = match c {
            1 | 2 => pixels
                .data
                .chunks_exact(c)
                .map(|p| f32::from(p[0]))
                .collect(),
            _ => pixels
                .data
                .chunks_exact(c)
                .map(|p| {
                    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
                })
                .collect(),
        };
        Self {
            width: pixels.width as usize,
            height: pixels.height as usize,
            data,
        }
    }

    /// Area (box) resampling to `width` x `height`: every output pixel is the mean of the input
    /// area it covers, fractional pixels weighted by how much of them it covers. Enlarging repeats.
    pub fn resize_area(&self, width: usize, height: usize) -> Self {
        let rows = box_weights(self.height, height);
        let cols = box_weights(self.width, width);
        // Horizontal pass: every input row to `width` columns.
        let mut mid = vec![0f32; self.height * width];
        for y in 0..self.height {
            let src = &self.data[y * self.width..(y + 1) * self.width];
            for (x, taps) in cols.iter().enumerate() {
                mid[y * width + x] = taps.iter().map(|&(i, w)| src[i] * w).sum();
            }
        }
        let mut data = vec![0f32; width * height];
        for (y, taps) in rows.iter().enumerate() {
            for &(i, w) in taps {
                let src = &mid[i * width..(i + 1) * width];
                for (d, s) in data[y * width..(y + 1) * width].iter_mut().zip(src) {
                    *d += s * w;
                }
            }
        }
        Self {
            width,
            height,
            data,
        }
    }

    /// This image scaled down (area) so its long side is at most `side`; never enlarged.
    pub fn fit_within(&self, side: usize) -> Self {
        let long = self.width.max(self.height);
        if long <= side || long == 0 {
            return self.clone();
        }
        let scale = side as f64 / long as f64;
        let w = ((self.width as f64 * scale).round() as usize).clamp(1, side);
        let h = ((self.height as f64 * scale).round() as usize).clamp(1, side);
        self.resize_area(w, h)
    }
}

/// For each of `out` output pixels, the input pixels it covers and their weights (summing to 1).
fn box_weights(input: usize, out: usize) -> Vec<Vec<(usize, f32)>> {
    let scale = input as f64 / out as f64;
    (0..out)
        .map(|o| {
            let (start, end) = (o as f64 * scale, (o + 1) as f64 * scale);
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(input).max(first + 1);
            (first..last.min(input))
                .filter_map(|i| {
                    let cover = (end.min(i as f64 + 1.0) - start.max(i as f64)) / scale;
                    (cover > 0.0).then_some((i, cover as f32))
                })
                .collect()
        })
        .collect()
}

/// Mean and standard deviation of the grey values, scaled to 0-1 (brightness and contrast).
pub fn brightness_contrast(grey: &Grey) -> (f64, f64) {
    let n = grey.data.len().max(1) as f64;
    let mean = grey.data.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = grey
        .data
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean / 255.0, var.sqrt() / 255.0)
}

/// Variance of the Laplacian (kernel `[[0,1,0],[1,-4,1],[0,1,0]]`, borders reflected as OpenCV's
/// default `BORDER_REFLECT_101` does), the usual blur measure: low means few edges.
pub fn laplacian_variance(grey: &Grey) -> f64 {
    let (w, h) = (grey.width, grey.height);
    if w == 0 || h == 0 {
        return 0.0;
    }
    let reflect = |i: isize, n: usize| -> usize {
        if n == 1 {
            return 0;
        }
        let n = n as isize;
        let i = if i < 0 { -i } else { i };
        (if i >= n { 2 * n - 2 - i } else { i }) as usize
    };
    let at = |x: isize, y: isize| f64::from(grey.data[reflect(y, h) * w + reflect(x, w)]);
    let (mut sum, mut sum_sq) = (0f64, 0f64);
    for y in 0..h as isize {
        for x in 0..w as isize {
            let l = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += l;
            sum_sq += l * l;
        }
    }
    let n = (w * h) as f64;
    let mean = sum / n;
    (sum_sq / n - mean * mean).max(0.0)
}

/// The 64-bit perceptual hash of the contract: the grey image area-resized to 32x32, its orthonormal
/// 2-D DCT-II, the top-left 8x8 coefficients in row-major order, bit i (most significant first) set
/// when coefficient i is above the median of the 64. Resizing, recompression and small crops change
/// few bits; computed on the upright image, a rotated copy hashes like its original.
pub fn phash(grey: &Grey) -> u64 {
    const N: usize = 32;
    const K: usize = 8;
    let small = grey.resize_area(N, N);
    // basis[u][x] = a(u) cos(pi (2x + 1) u / 2N), orthonormal.
    let mut basis = [[0f64; N]; K];
    for (u, row) in basis.iter_mut().enumerate() {
        let a = if u == 0 {
            (1.0 / N as f64).sqrt()
        } else {
            (2.0 / N as f64).sqrt()
        };
        for (x, b) in row.iter_mut().enumerate() {
            *b = a * (std::f64::consts::PI * (2 * x + 1) as f64 * u as f64 / (2 * N) as f64).cos();
        }
    }
    // Rows first: t[u][x] = sum_y basis[u][y] g[y][x]; then columns.
    let mut t = [[0f64; N]; K];
    for (trow, brow) in t.iter_mut().zip(&basis) {
        for (b, row) in brow.iter().zip(small.data.chunks_exact(N)) {
            for (tv, &g) in trow.iter_mut().zip(row) {
                *tv += b * f64::from(g);
            }
        }
    }
    let mut coef = [0f64; K * K];
    for u in 0..K {
        for v in 0..K {
            coef[u * K + v] = (0..N).map(|x| t[u][x] * basis[v][x]).sum();
        }
    }
    let mut sorted = coef;
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[K * K / 2 - 1] + sorted[K * K / 2]) / 2.0;
    coef.iter()
        .fold(0u64, |h, &c| (h << 1) | u64::from(c > median))
}

/// The measures a scan record keeps of one upright image.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageMeasures {
    /// See [`phash`].
    pub phash: u64,
    /// Mean grey, 0-1.
    pub brightness: f64,
    /// Standard deviation of the grey, 0-1.
    pub contrast: f64,
    /// Variance of the Laplacian of the grey (0-255) at most [`MEASURE_SIDE`] px on its long side.
    pub sharpness: f64,
}

/// Measures an upright image. Brightness and contrast are taken on the same at-most-256-px grey
/// image as sharpness (the area resize keeps the mean; the contrast of fine texture drops a little).
pub fn measure(pixels: &Pixels) -> ImageMeasures {
    let grey = Grey::from_pixels(pixels);
    let hash = phash(&grey);
    let small = grey.fit_within(MEASURE_SIDE as usize);
    let (brightness, contrast) = brightness_contrast(&small);
    ImageMeasures {
        phash: hash,
        brightness,
        contrast,
        sharpness: laplacian_variance(&small),
    }
}

/// Bits that differ between two hashes.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(width: usize, height: usize, f: impl Fn(usize, usize) -> f32) -> Grey {
        let data = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        Grey {
            width,
            height,
            data,
        }
    }

    #[test]
    fn luma_is_bt601() {
        let p = Pixels::new(2, 1, 3, vec![255, 0, 0, 10, 20, 30]).unwrap();
        let g = Grey::from_pixels(&p);
        assert!((g.data[0] - 76.245).abs() < 1e-3);
        assert!((g.data[1] - (2.99 + 11.74 + 3.42)).abs() < 1e-3);
    }

    #[test]
    fn area_resize_averages_what_each_pixel_covers() {
        // 3 -> 2 columns: out0 = (a + b/2) / 1.5, out1 = (b/2 + c) / 1.5.
        let g = grey(3, 1, |x, _| [0.0, 30.0, 90.0][x]);
        let r = g.resize_area(2, 1);
        assert!((r.data[0] - 10.0).abs() < 1e-4, "{:?}", r.data);
        assert!((r.data[1] - 70.0).abs() < 1e-4, "{:?}", r.data);
        // 4x4 -> 2x2: each output is the mean of a 2x2 block.
        let g = grey(4, 4, |x, y| (x + 4 * y) as f32);
        let r = g.resize_area(2, 2);
        assert_eq!(r.data, vec![2.5, 4.5, 10.5, 12.5]);
    }

    #[test]
    fn brightness_and_contrast_by_hand() {
        let g = grey(2, 1, |x, _| [0.0, 255.0][x]);
        assert_eq!(brightness_contrast(&g), (0.5, 0.5));
    }

    #[test]
    fn laplacian_variance_by_hand() {
        // A flat image has no edges.
        assert_eq!(laplacian_variance(&grey(5, 4, |_, _| 7.0)), 0.0);
        // One bright pixel v in the middle of a 3x3 of zeros. Reflect-101 borders mirror the centre
        // into each edge pixel's outside neighbour, so the Laplacian is -4v at the centre, 2v at the
        // four edge pixels, 0 at the corners: mean 4v/9, mean square 32v^2/9, variance 272v^2/81.
        let g = grey(3, 3, |x, y| if (x, y) == (1, 1) { 3.0 } else { 0.0 });
        assert!((laplacian_variance(&g) - 272.0 * 9.0 / 81.0).abs() < 1e-9);
    }

    #[test]
    fn phash_of_a_gradient_by_hand() {
        // A left-to-right ramp: only the horizontal frequencies of the first row are non-zero; the
        // DC and the odd horizontal terms sit away from the median (0): DC > 0 and (v=1) < 0.
        let g = grey(64, 64, |x, _| x as f32);
        let h = phash(&g);
        // Coefficient (0,0) positive -> bit 63 set; (0,1) negative -> bit 62 clear.
        assert_eq!(h >> 63, 1);
        assert_eq!((h >> 62) & 1, 0);
        // Its mirror turns the odd horizontal terms over.
        assert_eq!((phash(&grey(64, 64, |x, _| (63 - x) as f32)) >> 62) & 1, 1);
    }

    #[test]
    fn phash_ignores_scale_and_notices_content() {
        let noise = |seed: u64| {
            move |x: usize, y: usize| {
                // splitmix64's finaliser: neighbouring inputs give unrelated outputs.
                let mut v =
                    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((x as u64) << 32 | y as u64);
                v = (v ^ (v >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                v = (v ^ (v >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                ((v ^ (v >> 31)) >> 56) as f32
            }
        };
        let texture = grey(64, 64, noise(1));
        // Each pixel repeated 2x2: the area resize to 32x32 sees the same means.
        let doubled = grey(128, 128, |x, y| texture.data[(y / 2) * 64 + x / 2]);
        assert_eq!(phash(&doubled), phash(&texture));
        assert!(hamming(phash(&grey(64, 64, noise(2))), phash(&texture)) > 16);
    }

    #[test]
    fn hamming_counts_differing_bits() {
        assert_eq!(hamming(0b1011, 0b0001), 2);
        assert_eq!(hamming(u64::MAX, 0), 64);
    }
}
