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
        let n = pixels.width as usize * pixels.height as usize;
        let mut data = vec![0f32; n];
        match c {
            1 | 2 => {
                for (d, p) in data.iter_mut().zip(pixels.data.chunks_exact(c)) {
                    *d = f32::from(p[0]);
                }
            }
            _ => {
                // Three table lookups a pixel instead of three int-to-float conversions and
                // multiplies on stride-3 data (which does not vectorise).
                let (r, g, b) = luma_tables();
                for (d, p) in data.iter_mut().zip(pixels.data.chunks_exact(c)) {
                    *d = r[usize::from(p[0])] + g[usize::from(p[1])] + b[usize::from(p[2])];
                }
            }
        }
        Self {
            width: pixels.width as usize,
            height: pixels.height as usize,
            data,
        }
    }

    /// Area (box) resampling to `width` x `height`: every output pixel is the mean of the input
    /// area it covers, fractional pixels weighted by how much of them it covers. Enlarging repeats.
    pub fn resize_area(&self, width: usize, height: usize) -> Self {
        if width == 0 || height == 0 || self.width == 0 || self.height == 0 {
            return Self {
                width,
                height,
                data: vec![0.0; width * height],
            };
        }
        if width <= self.width && height <= self.height {
            return self.shrink_area(width, height);
        }
        self.gather_area(width, height)
    }

    /// [`Grey::resize_area`] by gathering: each output pixel sums the input pixels it covers.
    fn gather_area(&self, width: usize, height: usize) -> Self {
        let rows = BoxTaps::new(self.height, height);
        let cols = BoxTaps::new(self.width, width);
        // Horizontal pass: every input row to `width` columns.
        let mut mid = vec![0f32; self.height * width];
        for (src, dst) in self
            .data
            .chunks_exact(self.width)
            .zip(mid.chunks_exact_mut(width))
        {
            for (x, d) in dst.iter_mut().enumerate() {
                let (first, weights) = cols.taps(x);
                *d = src[first..first + weights.len()]
                    .iter()
                    .zip(weights)
                    .map(|(s, w)| s * w)
                    .sum();
            }
        }
        // Vertical pass: each output row a weighted sum of whole rows (contiguous, vectorised).
        let mut data = vec![0f32; width * height];
        for (y, dst) in data.chunks_exact_mut(width).enumerate() {
            let (first, weights) = rows.taps(y);
            for (k, &w) in weights.iter().enumerate() {
                let src = &mid[(first + k) * width..(first + k + 1) * width];
                for (d, s) in dst.iter_mut().zip(src) {
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

    /// [`Grey::resize_area`] when neither side grows: each input pixel then overlaps at most two
    /// output pixels per axis, so it is scattered into them (two multiply-adds a pixel, in one pass
    /// over the input) instead of each output gathering its taps.
    fn shrink_area(&self, width: usize, height: usize) -> Self {
        let w = self.width.max(1);
        shrink_rows(self.width, self.height, width, height, |y, row| {
            row.copy_from_slice(&self.data[y * w..(y + 1) * w]);
        })
    }

    /// The grey image of `pixels` scaled down (area) so its long side is at most `side`, made row
    /// by row: a large image never exists as a full-size grey buffer (a 100-megapixel PNG would
    /// need 400 MB of it).
    pub fn from_pixels_within(pixels: &Pixels, side: usize) -> Self {
        let (w, h) = (pixels.width as usize, pixels.height as usize);
        let long = w.max(h);
        if long <= side || long == 0 {
            return Self::from_pixels(pixels);
        }
        let scale = side as f64 / long as f64;
        let tw = ((w as f64 * scale).round() as usize).clamp(1, side);
        let th = ((h as f64 * scale).round() as usize).clamp(1, side);
        let c = usize::from(pixels.channels.max(1));
        let (r, g, b) = luma_tables();
        shrink_rows(w, h, tw, th, |y, row| {
            let src = &pixels.data[y * w * c..(y + 1) * w * c];
            if c < 3 {
                for (d, p) in row.iter_mut().zip(src.chunks_exact(c)) {
                    *d = f32::from(p[0]);
                }
            } else {
                for (d, p) in row.iter_mut().zip(src.chunks_exact(c)) {
                    *d = r[usize::from(p[0])] + g[usize::from(p[1])] + b[usize::from(p[2])];
                }
            }
        })
    }

    /// This image scaled down (area) so its long side is at most `side`; never enlarged (then
    /// borrowed as it is).
    pub fn fit_within(&self, side: usize) -> std::borrow::Cow<'_, Self> {
        let long = self.width.max(self.height);
        if long <= side || long == 0 {
            return std::borrow::Cow::Borrowed(self);
        }
        let scale = side as f64 / long as f64;
        let w = ((self.width as f64 * scale).round() as usize).clamp(1, side);
        let h = ((self.height as f64 * scale).round() as usize).clamp(1, side);
        std::borrow::Cow::Owned(self.resize_area(w, h))
    }
}

/// Area-shrinks a `w` x `h` image whose rows `row(y, buffer)` fills to `width` x `height` (neither
/// larger). Rows first: each input row is added into at most two output rows (contiguous runs the
/// compiler vectorises); then columns, on `height` rows only.
fn shrink_rows(
    w: usize,
    h: usize,
    width: usize,
    height: usize,
    row: impl Fn(usize, &mut [f32]),
) -> Grey {
    let cols = Scatter::new(w, width);
    let rows = Scatter::new(h, height);
    // One extra row absorbs the zero-weight spill at the bottom edge.
    let mut tall = vec![0f32; w * (height + 1)];
    let mut line = vec![0f32; w];
    for y in 0..h {
        row(y, &mut line);
        let (o, w1, w2) = (rows.to[y] as usize, rows.first[y], rows.second[y]);
        let (top, bottom) = tall[o * w..(o + 2) * w].split_at_mut(w);
        for ((t, b), &v) in top.iter_mut().zip(bottom.iter_mut()).zip(&line) {
            *t += v * w1;
            *b += v * w2;
        }
    }
    let mut data = vec![0f32; width * height];
    let mut acc = vec![0f32; width + 1];
    for (src, dst) in tall
        .chunks_exact(w.max(1))
        .take(height)
        .zip(data.chunks_exact_mut(width.max(1)))
    {
        acc.fill(0.0);
        for ((&v, &o), (&w1, &w2)) in src
            .iter()
            .zip(&cols.to)
            .zip(cols.first.iter().zip(&cols.second))
        {
            acc[o as usize] += v * w1;
            acc[o as usize + 1] += v * w2;
        }
        dst.copy_from_slice(&acc[..width]);
    }
    Grey {
        width,
        height,
        data,
    }
}

/// `0.299 v`, `0.587 v` and `0.114 v` for every byte value, made once.
fn luma_tables() -> &'static ([f32; 256], [f32; 256], [f32; 256]) {
    static TABLES: std::sync::OnceLock<([f32; 256], [f32; 256], [f32; 256])> =
        std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let t = |k: f32| std::array::from_fn(|v| k * v as f32);
        (t(0.299), t(0.587), t(0.114))
    })
}

/// Shrinking along one axis: input pixel `i` gives `first[i]` of its value to output `to[i]` and
/// `second[i]` to output `to[i] + 1` (the weights are the share of the output pixel it covers).
struct Scatter {
    to: Vec<u32>,
    first: Vec<f32>,
    second: Vec<f32>,
}

impl Scatter {
    fn new(input: usize, out: usize) -> Self {
        let scale = input as f64 / out as f64;
        let mut s = Self {
            to: Vec::with_capacity(input),
            first: Vec::with_capacity(input),
            second: Vec::with_capacity(input),
        };
        for i in 0..input {
            // Input pixel i spans [i, i + 1) in input units, [i / scale, (i + 1) / scale) in output.
            let (a, b) = (i as f64 / scale, (i + 1) as f64 / scale);
            let o = (a.floor() as usize).min(out - 1);
            let split = ((o + 1) as f64).min(b);
            // Each output pixel averages `scale` input pixels: a full input pixel weighs 1/scale.
            let w1 = (split - a).max(0.0);
            let w2 = (b - split).max(0.0);
            s.to.push(o as u32);
            s.first.push(w1 as f32);
            s.second.push(if o + 1 < out { w2 as f32 } else { 0.0 });
        }
        s
    }
}

/// For each output pixel along one axis, the first input pixel it covers and the weights (summing
/// to 1) of the input pixels from there on; all weights in one flat buffer.
struct BoxTaps {
    /// `(first input pixel, start in weights, count)` per output pixel.
    spans: Vec<(usize, usize, usize)>,
    weights: Vec<f32>,
}

impl BoxTaps {
    fn new(input: usize, out: usize) -> Self {
        let scale = input as f64 / out.max(1) as f64;
        let mut spans = Vec::with_capacity(out);
        let mut weights = Vec::with_capacity(out * (scale.ceil() as usize + 1));
        for o in 0..out {
            let (start, end) = (o as f64 * scale, (o + 1) as f64 * scale);
            let first = (start.floor() as usize).min(input.saturating_sub(1));
            let last = (end.ceil() as usize).clamp(first + 1, input.max(first + 1));
            let at = weights.len();
            for i in first..last {
                let cover = (end.min(i as f64 + 1.0) - start.max(i as f64)) / scale;
                weights.push(cover.max(0.0) as f32);
            }
            spans.push((first, at, last - first));
        }
        Self { spans, weights }
    }

    fn taps(&self, o: usize) -> (usize, &[f32]) {
        let (first, at, n) = self.spans[o];
        (first, &self.weights[at..at + n])
    }
}

/// Mean and standard deviation of the grey values, scaled to 0-1 (brightness and contrast).
pub fn brightness_contrast(grey: &Grey) -> (f64, f64) {
    let n = grey.data.len().max(1) as f64;
    // The sum in f32 over chunks of 1,024 (relative error ~1e-7), in f64 across them.
    let mean = grey
        .data
        .chunks(1024)
        .map(|c| f64::from(c.iter().sum::<f32>()))
        .sum::<f64>()
        / n;
    // Squares in f64: f32 loses the sixth digit on a bright, contrasty image.
    let var = grey
        .data
        .iter()
        .map(|&v| (f64::from(v) - mean) * (f64::from(v) - mean))
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
    // Interior rows without the border arithmetic (f32 per row, f64 across rows); the border
    // pixels through `reflect`.
    let interior = w >= 3 && h >= 3;
    if interior {
        for y in 1..h - 1 {
            let (up, row, down) = (
                &grey.data[(y - 1) * w..y * w],
                &grey.data[y * w..(y + 1) * w],
                &grey.data[(y + 1) * w..(y + 2) * w],
            );
            let (mut s1, mut s2) = (0f32, 0f32);
            for x in 1..w - 1 {
                let l = row[x - 1] + row[x + 1] + up[x] + down[x] - 4.0 * row[x];
                s1 += l;
                s2 += l * l;
            }
            sum += f64::from(s1);
            sum_sq += f64::from(s2);
        }
    }
    for y in 0..h {
        for x in 0..w {
            if interior && x > 0 && y > 0 && x + 1 < w && y + 1 < h {
                continue;
            }
            let (x, y) = (x as isize, y as isize);
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
    let small = Grey::from_pixels_within(pixels, MEASURE_SIDE as usize);
    // The hash from the at-most-256-px image: area resizes compose (up to rounding), and this one
    // is smaller.
    let hash = phash(&small);
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
    fn scattering_and_gathering_resize_alike() {
        let g = grey(37, 23, |x, y| ((x * 37 + y * 91 + x * y * 13) % 251) as f32);
        for (w, h) in [(8, 5), (32, 23), (37, 1), (1, 1), (36, 22)] {
            let (a, b) = (g.shrink_area(w, h), g.gather_area(w, h));
            for (p, q) in a.data.iter().zip(&b.data) {
                assert!((p - q).abs() < 1e-3, "{w}x{h}: {p} vs {q}");
            }
            assert_eq!(a.data.len(), w * h);
        }
    }

    #[test]
    fn the_row_by_row_grey_equals_grey_then_shrink() {
        let mut data = Vec::new();
        for y in 0..300u32 {
            for x in 0..520u32 {
                data.extend([(x % 256) as u8, (y % 256) as u8, ((x * y) % 251) as u8]);
            }
        }
        let pixels = Pixels::new(520, 300, 3, data).unwrap();
        let direct = Grey::from_pixels_within(&pixels, 256);
        let two_step = Grey::from_pixels(&pixels).fit_within(256).into_owned();
        assert_eq!((direct.width, direct.height), (256, 148));
        assert_eq!((two_step.width, two_step.height), (256, 148));
        for (a, b) in direct.data.iter().zip(&two_step.data) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
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
    fn the_fast_laplacian_equals_the_definition_everywhere() {
        // The definition: every pixel through reflect-101 borders, in f64.
        fn reference(g: &Grey) -> f64 {
            let (w, h) = (g.width as isize, g.height as isize);
            let r = |i: isize, n: isize| {
                if n == 1 {
                    0
                } else if i < 0 {
                    -i
                } else if i >= n {
                    2 * n - 2 - i
                } else {
                    i
                }
            };
            let at = |x: isize, y: isize| f64::from(g.data[(r(y, h) * w + r(x, w)) as usize]);
            let mut v = Vec::new();
            for y in 0..h {
                for x in 0..w {
                    v.push(
                        at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y),
                    );
                }
            }
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / v.len() as f64
        }
        for (w, h) in [(7, 5), (1, 4), (2, 2), (3, 9), (40, 31)] {
            let g = grey(w, h, |x, y| ((x * 37 + y * 91 + x * y * 13) % 251) as f32);
            let (fast, slow) = (laplacian_variance(&g), reference(&g));
            assert!(
                (fast - slow).abs() <= 1e-4 * slow.max(1.0),
                "{w}x{h}: {fast} vs {slow}"
            );
        }
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
