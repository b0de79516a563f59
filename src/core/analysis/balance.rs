//! Class balance: per-class loss weights a training script can use as they are, and a balanced
//! manifest made by seeded under- or oversampling, for when the imbalance is better fixed in the data.
//!
//! - balanced = `n / (K * n_c)`, scikit-learn's `compute_class_weight("balanced")` (the same
//!   operations in the same order, so the numbers agree to the last bit or nearly);
//! - effective number (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples", CVPR
//!   2019) = `(1 - beta) / (1 - beta^n_c)`, scaled so that the weights of the classes with samples sum
//!   to `K`, as the paper does;
//!
//! where `n_c` counts labelled samples of class `c`, `n` their sum and `K` the classes with samples. A
//! class with no samples has no weight (`None`). Resampling draws with [`SplitMix64`], the generator the
//! app's seeded orders use, so a seed means the same thing in every version and on every machine.

use std::path::{Component, Path, PathBuf};

use crate::core::analysis::view::{SplitMix64, shuffle};
use crate::core::data::columns::NONE;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::quote_field;
use crate::core::util::atomic_file::{parent_dir, write_atomically};

/// The effective-number weights' default `beta`.
pub const DEFAULT_BETA: f64 = 0.999;

/// Per-class weights of one class count vector.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassWeights {
    /// Labelled samples per class, in class order.
    pub counts: Vec<u64>,
    /// scikit-learn's "balanced" weights (`None` for a class with no samples).
    pub balanced: Vec<Option<f64>>,
    /// Cui et al.'s effective-number weights, summing to `K` (`None` for a class with no samples).
    pub effective_number: Vec<Option<f64>>,
    /// The `beta` the effective number used.
    pub beta: f64,
}

/// Computes both weightings from per-class counts. `beta` must be in `[0, 1)` (the caller checks):
/// 0 weighs every class alike, values near 1 approach inverse frequency.
pub fn class_weights(counts: &[u64], beta: f64) -> ClassWeights {
    let present = counts.iter().filter(|&&c| c > 0).count();
    let n: u64 = counts.iter().sum();
    // scikit-learn: len(y) / (n_classes * bincount(y).astype(float64)).
    let balanced = counts
        .iter()
        .map(|&c| (c > 0).then(|| n as f64 / (present as f64 * c as f64)))
        .collect();
    let raw: Vec<Option<f64>> = counts
        .iter()
        .map(|&c| (c > 0).then(|| (1.0 - beta) / (1.0 - beta.powf(c as f64))))
        .collect();
    let total: f64 = raw.iter().flatten().sum();
    let effective_number = raw
        .iter()
        .map(|w| w.map(|w| w / total * present as f64))
        .collect();
    ClassWeights {
        counts: counts.to_vec(),
        balanced,
        effective_number,
        beta,
    }
}

/// How a balanced manifest is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resample {
    /// Every class cut to the smallest class's count (a seeded choice without replacement).
    Undersample,
    /// Every class filled to the largest class's count (every sample, then seeded draws with
    /// replacement).
    Oversample,
}

/// The class-seeded generator: class `k` draws from its own stream, so adding a class to a dataset
/// does not change the draws of the others. The same derivation as the app's "N per class" order.
fn class_rng_seed(seed: u64, class: usize) -> u64 {
    seed ^ (class as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The samples of a balanced manifest, with repeats, in dataset order (a sample drawn again follows
/// itself). `pool` is the labelled samples to balance; classes with no sample in the pool stay out
/// (the "smallest class" is the smallest class that has samples).
pub fn resample(
    labels: &[u32],
    pool: &[u32],
    classes: usize,
    how: Resample,
    seed: u64,
) -> Vec<u32> {
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); classes];
    for &i in pool {
        let label = labels.get(i as usize).copied().unwrap_or(NONE);
        if let Some(m) = members.get_mut(label as usize) {
            m.push(i);
        }
    }
    let sizes = members.iter().map(Vec::len).filter(|&n| n > 0);
    let target = match how {
        Resample::Undersample => sizes.min(),
        Resample::Oversample => sizes.max(),
    }
    .unwrap_or(0);
    let mut out: Vec<u32> = Vec::with_capacity(target * classes);
    for (k, mut m) in members.into_iter().enumerate() {
        if m.is_empty() {
            continue;
        }
        match how {
            Resample::Undersample => {
                // The app's stratified sampling: a seeded Fisher–Yates, then the first `target`.
                shuffle(&mut m, class_rng_seed(seed, k));
                m.truncate(target);
                out.extend(m);
            }
            Resample::Oversample => {
                let mut rng = SplitMix64::new(class_rng_seed(seed, k));
                let extra = target - m.len();
                for _ in 0..extra {
                    let j = rng.below(m.len() as u64) as usize;
                    if let Some(&i) = m.get(j) {
                        out.push(i);
                    }
                }
                out.extend(m);
            }
        }
    }
    out.sort_unstable();
    out
}

/// `target` written relative to the folder `from` (both absolute and free of symlinks), with `/`
/// separators and `..` where needed; `None` when no relative path exists (another drive on Windows).
pub fn relative_path(target: &Path, from: &Path) -> Option<String> {
    let t: Vec<Component> = target.components().collect();
    let f: Vec<Component> = from.components().collect();
    // Different roots (drive letters, UNC shares): no relative path.
    if t.first() != f.first() {
        return None;
    }
    let common = t.iter().zip(&f).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t.iter()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

/// Writes the balanced manifest (`file_name,label[,split]`, the split column when the dataset has
/// splits) atomically: a temporary file beside `out`, synced, then renamed over it. `file_name` is
/// relative to `out`'s folder (absolute when there is no relative path), so the manifest opens as a
/// dataset wherever it is written. `root` is the dataset's root with symlinks resolved.
pub fn write_resampled(
    dataset: &Dataset,
    labels: &[u32],
    rows: &[u32],
    root: &Path,
    out: &Path,
) -> std::io::Result<()> {
    let out_dir = std::fs::canonicalize(parent_dir(out))?;
    let Some(name) = out.file_name() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} names no file", out.display()),
        ));
    };
    write_atomically(&out_dir.join(name), |w| {
        write_rows(dataset, labels, rows, root, &out_dir, w)
    })
}

fn write_rows(
    dataset: &Dataset,
    labels: &[u32],
    rows: &[u32],
    root: &Path,
    out_dir: &Path,
    w: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let with_split = !dataset.splits().is_empty();
    writeln!(
        w,
        "file_name,label{}",
        if with_split { ",split" } else { "" }
    )?;
    // Consecutive repeats of a sample reuse its relative path.
    let mut last: Option<(u32, String)> = None;
    for &i in rows {
        let rel = match &last {
            Some((s, rel)) if *s == i => rel.clone(),
            _ => {
                let disk = root.join(dataset.file(i as usize));
                relative_path(&disk, out_dir)
                    .unwrap_or_else(|| disk.to_string_lossy().replace('\\', "/"))
            }
        };
        let label = labels
            .get(i as usize)
            .and_then(|&l| dataset.classes().get(l as usize))
            .map_or("", String::as_str);
        write!(
            w,
            "{},{}",
            quote_field(&rel, false),
            quote_field(label, false)
        )?;
        if with_split {
            let split = dataset
                .split(i as usize)
                .and_then(|s| dataset.splits().get(s))
                .map_or("", String::as_str);
            write!(w, ",{}", quote_field(split, false))?;
        }
        writeln!(w)?;
        last = Some((i, rel));
    }
    Ok(())
}

/// Why a balanced manifest could not be written; every variant names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// The samples are texts or media inside shards: there is no file name to list.
    #[error(
        "{0}: a balanced manifest lists file_name,label rows, and this dataset's samples are texts or media embedded in its shards, not files"
    )]
    NotFiles(PathBuf),
    /// The dataset's root folder could not be resolved.
    #[error("{path}: {source}")]
    Root {
        /// The dataset's root.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The manifest could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The manifest asked for.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
}

/// What a balanced manifest holds, for the message after writing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResampleSummary {
    /// Rows written (repeats included).
    pub rows: usize,
    /// Classes with samples in the pool.
    pub classes: usize,
}

impl ResampleSummary {
    /// Rows per class (every class has the same count).
    pub fn per_class(&self) -> usize {
        self.rows.checked_div(self.classes).unwrap_or(0)
    }
}

/// Balances the labelled samples of `split` (all splits: `None`, one pool) under `labels` (the edited
/// labels where there is a journal) and writes the manifest to `out`. The one path from labels to
/// bytes: `spotcheck balance --resample` and the app's "Export balanced manifest…" both call it, so
/// the same labels, split, method and seed give the same file.
pub fn write_balanced_manifest(
    dataset: &Dataset,
    labels: &[u32],
    split: Option<usize>,
    how: Resample,
    seed: u64,
    out: &Path,
) -> Result<ResampleSummary, ResampleError> {
    if dataset.text_column().is_some()
        || (!dataset.is_empty()
            && !matches!(
                dataset.media(0),
                crate::core::data::sample_media::SampleMedia::File(_)
            ))
    {
        return Err(ResampleError::NotFiles(dataset.root().to_path_buf()));
    }
    let splits = dataset.split_ids();
    let pool: Vec<u32> = (0..dataset.len() as u32)
        .filter(|&i| {
            labels.get(i as usize).is_some_and(|&l| l != NONE)
                && split.is_none_or(|s| splits.get(i as usize).copied() == Some(s as u32))
        })
        .collect();
    let classes = {
        let mut seen = vec![false; dataset.classes().len()];
        for &i in &pool {
            if let Some(s) = labels
                .get(i as usize)
                .and_then(|&l| seen.get_mut(l as usize))
            {
                *s = true;
            }
        }
        seen.iter().filter(|&&s| s).count()
    };
    let rows = resample(labels, &pool, dataset.classes().len(), how, seed);
    let root = std::fs::canonicalize(dataset.root()).map_err(|source| ResampleError::Root {
        path: dataset.root().to_path_buf(),
        source,
    })?;
    write_resampled(dataset, labels, &rows, &root, out).map_err(|source| ResampleError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(ResampleSummary {
        rows: rows.len(),
        classes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_weights() {
        // n = 10, K = 2 (the empty class does not count): 10/(2*8) = 0.625, 10/(2*2) = 2.5.
        let w = class_weights(&[8, 0, 2], 0.5);
        assert_eq!(w.balanced, [Some(0.625), None, Some(2.5)]);
        // (1-0.5)/(1-0.5^8) = 0.5/0.99609375 = 0.50196..., (1-0.5)/(1-0.25) = 0.6666...;
        // scaled to sum 2: 2 * 0.501961 / 1.168627 = 0.859060..., 2 * 0.666667 / 1.168627 = 1.140939...
        let e = w.effective_number;
        assert_eq!(e[1], None);
        let (a, b) = (e[0].unwrap_or(0.0), e[2].unwrap_or(0.0));
        assert!((a - 0.859_060_402_684_563_7).abs() < 1e-12, "{a}");
        assert!((b - 1.140_939_597_315_436_3).abs() < 1e-12, "{b}");
        assert!((a + b - 2.0).abs() < 1e-12);
    }

    #[test]
    fn beta_zero_weighs_every_class_alike() {
        let w = class_weights(&[100, 3, 7], 0.0);
        for x in w.effective_number.iter().flatten() {
            assert!((x - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn undersampling_cuts_to_the_smallest_class_and_is_seeded() {
        // Class 0: samples 0..6, class 1: 6..8, class 2 has none, sample 8 unlabelled.
        let labels = [0, 0, 0, 0, 0, 0, 1, 1, NONE];
        let pool: Vec<u32> = (0..9).collect();
        let a = resample(&labels, &pool, 3, Resample::Undersample, 7);
        assert_eq!(a.len(), 4);
        assert_eq!(a.iter().filter(|&&i| labels[i as usize] == 0).count(), 2);
        assert!(a.contains(&6) && a.contains(&7));
        assert!(
            a.windows(2).all(|w| w[0] < w[1]),
            "dataset order, no repeats"
        );
        assert_eq!(a, resample(&labels, &pool, 3, Resample::Undersample, 7));
        let differs = (0..20).any(|s| resample(&labels, &pool, 3, Resample::Undersample, s) != a);
        assert!(differs);
    }

    #[test]
    fn oversampling_keeps_every_sample_and_fills_to_the_largest() {
        let labels = [0, 0, 0, 0, 0, 1, 1];
        let pool: Vec<u32> = (0..7).collect();
        let a = resample(&labels, &pool, 2, Resample::Oversample, 1);
        assert_eq!(a.len(), 10);
        assert_eq!(&a[..5], &[0, 1, 2, 3, 4]);
        assert!(a[5..].iter().all(|&i| i == 5 || i == 6));
        assert!(a.contains(&5) && a.contains(&6));
    }

    #[test]
    fn relative_paths_climb_with_dot_dot() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            relative_path(&p("/data/set/a/x.jpg"), &p("/data/set")).as_deref(),
            Some("a/x.jpg")
        );
        assert_eq!(
            relative_path(&p("/data/set/a/x.jpg"), &p("/data/out/deep")).as_deref(),
            Some("../../set/a/x.jpg")
        );
    }
}
