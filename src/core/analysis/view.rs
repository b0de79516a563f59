//! Which samples a spot-check shows, and in what order: filters (split, label, predicted class,
//! correct/wrong, confidence range, file-name search) and orders (dataset order, a seeded shuffle,
//! N random samples per class). Plain data in, a list of sample indices out, so the GUI and tests
//! share it and an audit can be repeated from its seed.

use crate::core::data::columns::NONE;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;

/// Whether a sample's prediction matches its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Correctness {
    /// No filter.
    #[default]
    Any,
    /// Labelled, predicted, and the prediction equals the label.
    Correct,
    /// Labelled, predicted, and the prediction differs from the label.
    Wrong,
}

/// What to keep. `None` fields do not filter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SampleFilter {
    /// Only this split id.
    pub split: Option<u32>,
    /// Only this class id as the label.
    pub label: Option<u32>,
    /// Only this predicted class id.
    pub predicted: Option<u32>,
    /// Correct or wrong predictions only.
    pub correctness: Correctness,
    /// Only confidences in `[min, max]` (samples without a confidence are dropped when set).
    pub confidence: Option<(f64, f64)>,
    /// Only paths (and, in a text dataset, texts) containing this text (case-insensitive); empty
    /// keeps all.
    pub search: String,
    /// Only the samples of one reliability-diagram bin (labelled, with probabilities).
    pub probability_bin: Option<ProbabilityBin>,
    /// Only the labelled samples whose probability of one class is at least a threshold: the
    /// samples a precision–recall curve's point predicts positive.
    pub score_at_least: Option<ScoreAtLeast>,
}

/// "Class `class`'s probability >= `threshold`": one point of a precision–recall curve as a filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreAtLeast {
    /// The class scored one against the rest.
    pub class: u32,
    /// The curve point's threshold (a sample is predicted positive when its score is >= it).
    pub threshold: f64,
}

/// One bin of a reliability diagram, as a filter: the samples a click on that bar stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbabilityBin {
    /// `None`: the top-label confidence; `Some(k)`: the probability of class `k` (class-wise).
    pub class: Option<u32>,
    /// The bin, 0-based, with the diagram's (a, b] edges.
    pub bin: usize,
    /// How many bins the diagram has.
    pub bins: usize,
}

impl SampleFilter {
    /// Whether any field filters at all.
    pub fn is_active(&self) -> bool {
        *self != Self::default()
    }
}

/// The order samples are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SampleOrder {
    /// As the dataset lists them (paths sorted for class folders, file order for manifests).
    #[default]
    Dataset,
    /// A random permutation determined by the seed alone.
    Shuffled {
        /// The same seed gives the same order, on any machine, in any version.
        seed: u64,
    },
    /// `per_class` random samples of each class (by label), classes in order, then unlabelled.
    Stratified {
        /// Seed of the draw.
        seed: u64,
        /// Samples drawn from each class (all of a class when it has fewer).
        per_class: usize,
    },
}

/// The indices of the samples `filter` keeps, in `order`.
pub fn shown_samples(
    dataset: &Dataset,
    labels: &[u32],
    predictions: Option<&Predictions>,
    filter: &SampleFilter,
    order: SampleOrder,
) -> Vec<u32> {
    let needle = filter.search.to_lowercase();
    let keep = |i: usize| -> bool {
        let label = labels.get(i).copied().unwrap_or(NONE);
        if filter
            .split
            .is_some_and(|s| dataset.split_ids().get(i) != Some(&s))
        {
            return false;
        }
        if filter.label.is_some_and(|l| label != l) {
            return false;
        }
        let predicted = predictions.and_then(|p| p.predicted(i)).map(|c| c as u32);
        if filter.predicted.is_some_and(|c| predicted != Some(c)) {
            return false;
        }
        match filter.correctness {
            Correctness::Any => {}
            Correctness::Correct | Correctness::Wrong => {
                let Some(p) = predicted.filter(|_| label != NONE) else {
                    return false;
                };
                if (p == label) != (filter.correctness == Correctness::Correct) {
                    return false;
                }
            }
        }
        if let Some((lo, hi)) = filter.confidence {
            match predictions.and_then(|p| p.confidence(i)) {
                Some(c) if c >= lo && c <= hi => {}
                _ => return false,
            }
        }
        if let Some(pb) = filter.probability_bin {
            let value = predictions
                .filter(|_| label != NONE)
                .and_then(|p| match pb.class {
                    None => p.confidence(i),
                    Some(k) => p.probability(i, k as usize),
                });
            match value {
                Some(v) if crate::core::analysis::metrics::bin_index(v, pb.bins) == pb.bin => {}
                _ => return false,
            }
        }
        if let Some(at_least) = filter.score_at_least {
            let score = predictions
                .filter(|_| label != NONE)
                .and_then(|p| p.probability(i, at_least.class as usize));
            if !score.is_some_and(|s| s >= at_least.threshold) {
                return false;
            }
        }
        // A text dataset is searched in its texts too.
        needle.is_empty()
            || contains_ignoring_case(dataset.file(i), &needle)
            || dataset
                .text(i)
                .is_some_and(|t| contains_ignoring_case(t, &needle))
    };
    let mut shown: Vec<u32> = (0..dataset.len())
        .filter(|&i| keep(i))
        .map(|i| i as u32)
        .collect();
    match order {
        SampleOrder::Dataset => {}
        SampleOrder::Shuffled { seed } => shuffle(&mut shown, seed),
        SampleOrder::Stratified { seed, per_class } => {
            // Bucket by label (unlabelled last), shuffle each bucket, keep the first `per_class`.
            let classes = dataset.classes().len();
            let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); classes + 1];
            for &i in &shown {
                let label = labels.get(i as usize).copied().unwrap_or(NONE) as usize;
                let slot = label.min(classes);
                if let Some(b) = buckets.get_mut(slot) {
                    b.push(i);
                }
            }
            shown.clear();
            for (k, mut bucket) in buckets.into_iter().enumerate() {
                shuffle(
                    &mut bucket,
                    seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                );
                bucket.truncate(per_class);
                shown.extend(bucket);
            }
        }
    }
    shown
}

fn contains_ignoring_case(haystack: &str, lower_needle: &str) -> bool {
    if haystack.is_ascii() && lower_needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), lower_needle.as_bytes());
        n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        haystack.to_lowercase().contains(lower_needle)
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and fixed here, so a seed means the same
/// order in every version of spotcheck (a library RNG may change its algorithm).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// Fisher–Yates with [`SplitMix64`]: the permutation depends on the seed and the length only.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = SplitMix64::new(seed);
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // The reference algorithm (Vigna's splitmix64.c), computed independently in Python.
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn a_seed_always_gives_the_same_permutation() {
        let mut a: Vec<u32> = (0..100).collect();
        let mut b = a.clone();
        shuffle(&mut a, 42);
        shuffle(&mut b, 42);
        assert_eq!(a, b);
        let mut c: Vec<u32> = (0..100).collect();
        shuffle(&mut c, 43);
        assert_ne!(a, c);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>(), "a permutation");
    }

    #[test]
    fn search_ignores_case() {
        assert!(contains_ignoring_case("train/Cat/IMG_01.jpg", "img_01"));
        assert!(!contains_ignoring_case("a.jpg", "b"));
        assert!(contains_ignoring_case("Ünïcode/É.jpg", "é"));
    }
}
