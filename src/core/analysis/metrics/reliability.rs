//! Reliability bins: which bin a confidence falls in, per-bin sums that parallel chunks merge, and the
//! diagram built from them. Shared by the calibration report and the temperature fit.

/// One bin of a reliability diagram: samples with confidence in `(lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReliabilityBin {
    /// Lower edge (exclusive, except 0 for the first bin).
    pub lower: f64,
    /// Upper edge (inclusive).
    pub upper: f64,
    /// Samples in the bin.
    pub count: u64,
    /// Mean confidence of those samples (0 when empty).
    pub confidence: f64,
    /// Fraction of them predicted correctly (0 when empty).
    pub accuracy: f64,
}

/// Per-bin accuracy against confidence, with the summary gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityDiagram {
    /// `num_bins` equal-width bins over [0, 1].
    pub bins: Vec<ReliabilityBin>,
    /// Expected calibration error: count-weighted mean gap.
    pub ece: f64,
    /// Maximum calibration error: largest gap over non-empty bins.
    pub mce: f64,
    /// Samples counted.
    pub total: u64,
}

/// The bin of `confidence` among `num_bins` bins `(i/N, (i+1)/N]`; 0 goes to bin 0. Edges are computed as
/// `i as f64 / N as f64`, exactly as numpy's `arange(N + 1) / N`, so a confidence on an edge lands in the
/// same bin as in the reference.
pub fn bin_index(confidence: f64, num_bins: usize) -> usize {
    let n = num_bins.max(1);
    let nf = n as f64;
    let last = n - 1;
    let guess = (confidence * nf).ceil();
    let mut b = if guess.is_nan() || guess <= 1.0 {
        0
    } else {
        (guess as usize - 1).min(last)
    };
    while b > 0 && confidence <= b as f64 / nf {
        b -= 1;
    }
    while b < last && confidence > (b + 1) as f64 / nf {
        b += 1;
    }
    b
}

/// Per-bin sums while scanning samples; chunks scanned in parallel merge their accumulators. Keeps a
/// pass over a million samples free of a million-entry temporary.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BinSums {
    count: Vec<u64>,
    sum_conf: Vec<f64>,
    sum_correct: Vec<f64>,
}

impl BinSums {
    /// Empty sums over `num_bins` equal-width bins.
    pub fn new(num_bins: usize) -> Self {
        let n = num_bins.max(1);
        Self {
            count: vec![0; n],
            sum_conf: vec![0.0; n],
            sum_correct: vec![0.0; n],
        }
    }

    /// Counts one sample.
    pub fn add(&mut self, confidence: f64, correct: bool) {
        let b = bin_index(confidence, self.count.len());
        self.count[b] += 1;
        self.sum_conf[b] += confidence;
        self.sum_correct[b] += if correct { 1.0 } else { 0.0 };
    }

    /// Adds another accumulator's sums (same number of bins).
    pub fn merge(mut self, other: &BinSums) -> Self {
        for (i, &c) in other.count.iter().enumerate() {
            if let (Some(a), Some(b), Some(d)) = (
                self.count.get_mut(i),
                self.sum_conf.get_mut(i),
                self.sum_correct.get_mut(i),
            ) {
                *a += c;
                *b += other.sum_conf[i];
                *d += other.sum_correct[i];
            }
        }
        self
    }

    /// The diagram: mean confidence and accuracy per bin, ECE and MCE.
    pub fn diagram(&self) -> ReliabilityDiagram {
        let n = self.count.len();
        let total: u64 = self.count.iter().sum();
        let mut ece = 0.0;
        let mut mce: f64 = 0.0;
        let bins = (0..n)
            .map(|i| {
                let c = self.count[i];
                let (confidence, accuracy) = if c > 0 {
                    (self.sum_conf[i] / c as f64, self.sum_correct[i] / c as f64)
                } else {
                    (0.0, 0.0)
                };
                if c > 0 {
                    let gap = (accuracy - confidence).abs();
                    ece += c as f64 / total as f64 * gap;
                    mce = mce.max(gap);
                }
                ReliabilityBin {
                    lower: i as f64 / n as f64,
                    upper: (i + 1) as f64 / n as f64,
                    count: c,
                    confidence,
                    accuracy,
                }
            })
            .collect();
        ReliabilityDiagram {
            bins,
            ece,
            mce,
            total,
        }
    }
}

/// Builds a reliability diagram from (confidence, correct) pairs.
pub fn reliability_diagram(
    pairs: impl Iterator<Item = (f64, bool)>,
    num_bins: usize,
) -> ReliabilityDiagram {
    let mut sums = BinSums::new(num_bins);
    for (conf, correct) in pairs {
        sums.add(conf, correct);
    }
    sums.diagram()
}

/// The floor under the true-class probability in the NLL (as in the contract and the reference).
pub const NLL_CLIP: f64 = 1e-12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_on_an_edge_goes_to_the_lower_bin() {
        // Bins are (a, b]: with N = 5, 0.6 = 3/5 is in bin 2, a hair above it in bin 3.
        assert_eq!(bin_index(0.6, 5), 2);
        assert_eq!(bin_index(0.6000000000000001, 5), 3);
        assert_eq!(bin_index(0.0, 5), 0);
        assert_eq!(bin_index(0.2, 5), 0);
        assert_eq!(bin_index(1.0, 5), 4);
        assert_eq!(bin_index(1.0000001, 5), 4);
        assert_eq!(bin_index(0.5, 2), 0);
        // Every k/N lands in bin k-1, for the default 15 bins too.
        for n in [3usize, 7, 10, 15, 20] {
            for k in 1..=n {
                assert_eq!(bin_index(k as f64 / n as f64, n), k - 1, "k={k} n={n}");
            }
        }
    }

    /// Hand-checked: confidences 0.9 (right), 0.9 (wrong), 0.6 (right), 0.35 (wrong) in 2 bins.
    /// Bin 0 (0, .5]: one sample, conf .35, acc 0, gap .35. Bin 1 (.5, 1]: conf .8, acc 2/3, gap 2/15.
    /// ECE = 1/4 * .35 + 3/4 * 2/15 = 0.0875 + 0.1 = 0.1875; MCE = .35.
    #[test]
    fn hand_checked_ece_and_mce() {
        let pairs = [(0.9, true), (0.9, false), (0.6, true), (0.35, false)];
        let d = reliability_diagram(pairs.into_iter(), 2);
        assert_eq!(d.bins[0].count, 1);
        assert_eq!(d.bins[1].count, 3);
        assert!((d.bins[1].confidence - 0.8).abs() < 1e-12);
        assert!((d.bins[1].accuracy - 2.0 / 3.0).abs() < 1e-12);
        assert!((d.ece - 0.1875).abs() < 1e-12, "{}", d.ece);
        assert!((d.mce - 0.35).abs() < 1e-12);
        let empty = reliability_diagram(std::iter::empty(), 3);
        assert_eq!(empty.ece, 0.0);
        assert_eq!(empty.bins.len(), 3);
        assert_eq!(
            empty.bins[2],
            ReliabilityBin {
                lower: 2.0 / 3.0,
                upper: 1.0,
                count: 0,
                confidence: 0.0,
                accuracy: 0.0
            }
        );
    }
}
