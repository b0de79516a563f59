//! A Label next batch without near-duplicates: walking down the ranking, a candidate whose pHash is
//! within the threshold of a sample already taken is skipped (and counted), so an annotator does not
//! label the same picture twice. pHashes are computed only for the candidates the walk reaches, a
//! chunk at a time in parallel, from the scan cache when it has them. A sample without a pHash (not an
//! image, or media that fails to decode) is never skipped and never skips another.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::core::analysis::label_next::{
    Candidate, LabelNext, LabelNextError, LabelNextOptions, label_next,
};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::Predictions;
use crate::core::scan::byte_budget::{ByteBudget, DEFAULT_BYTE_BUDGET};
use crate::core::scan::record::{ScanOptions, scan_sample};
use crate::core::scan::scan_cache::{ScanCache, ScanKey};

/// Candidates hashed at least at once (a chunk of the walk, in parallel).
const MIN_CHUNK: usize = 32;

/// The batch taken and what was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct NearFreeBatch {
    /// The batch, in ranking order.
    pub samples: Vec<Candidate>,
    /// Candidates skipped as near-duplicates of one already in the batch.
    pub skipped: usize,
    /// Candidates whose pHash was looked up (taken, skipped, or in the last chunk).
    pub hashed: usize,
}

/// Takes up to `batch` candidates from `ranked` (labelling order), skipping any within `threshold`
/// bits (Hamming distance of pHashes) of one already taken. `phashes` returns the pHash of each sample
/// of a slice (`None`: no pHash); it is called on consecutive chunks of the ranking, only as far as
/// the walk goes. `None` when `stop` says the result is no longer wanted.
pub fn take_without_near_duplicates(
    ranked: &[Candidate],
    batch: usize,
    threshold: u32,
    mut phashes: impl FnMut(&[u32]) -> Vec<Option<u64>>,
    stop: impl Fn() -> bool,
) -> Option<NearFreeBatch> {
    let mut taken: Vec<Candidate> = Vec::with_capacity(batch.min(ranked.len()));
    let mut taken_hashes: Vec<u64> = Vec::new();
    let mut skipped = 0;
    let mut hashed = 0;
    let mut next = 0;
    while taken.len() < batch && next < ranked.len() {
        if stop() {
            return None;
        }
        let want = (batch - taken.len()).max(MIN_CHUNK);
        let chunk = ranked.get(next..(next + want).min(ranked.len()))?;
        next += chunk.len();
        let samples: Vec<u32> = chunk.iter().map(|c| c.sample).collect();
        let hashes = phashes(&samples);
        hashed += chunk.len();
        for (k, c) in chunk.iter().enumerate() {
            if taken.len() == batch {
                break;
            }
            let hash = hashes.get(k).copied().flatten();
            if let Some(h) = hash {
                if taken_hashes
                    .iter()
                    .any(|&t| (t ^ h).count_ones() <= threshold)
                {
                    skipped += 1;
                    continue;
                }
                taken_hashes.push(h);
            }
            taken.push(*c);
        }
    }
    Some(NearFreeBatch {
        samples: taken,
        skipped,
        hashed,
    })
}

/// A Label next ranking whose batch (the first `options.top`, all when `None`) skips near-duplicates
/// of samples already taken: the whole ranking is made, then walked down with pHashes from `cache`
/// (scanned and stored when missing). Returns the ranking (its `samples` are the batch, its histogram
/// every candidate's) and how many candidates were skipped; `Ok(None)` when `stop` said to give up.
/// `label-next --skip-near-duplicates` and the app's option both run this.
#[allow(clippy::too_many_arguments)]
pub fn label_next_skipping_near_duplicates(
    dataset: &Dataset,
    labels: &[u32],
    predictions: &Predictions,
    options: LabelNextOptions,
    threshold: u32,
    cache: Option<&ScanCache>,
    hashed: &AtomicU64,
    stop: impl Fn() -> bool,
) -> Result<Option<(LabelNext, usize)>, LabelNextError> {
    let batch = options.top.unwrap_or(usize::MAX);
    let mut ranking = label_next(
        dataset,
        labels,
        predictions,
        LabelNextOptions {
            top: None,
            ..options
        },
    )?;
    let Some(taken) = take_without_near_duplicates(
        &ranking.samples,
        batch,
        threshold,
        |samples| sample_phashes(dataset, samples, cache, hashed),
        stop,
    ) else {
        return Ok(None);
    };
    ranking.samples = taken.samples;
    Ok(Some((ranking, taken.skipped)))
}

/// The pHashes of `samples` of `dataset`: from `cache` when it holds a record of the file as it is
/// now, else scanned (in parallel) and stored there. `done` counts the samples looked up.
pub fn sample_phashes(
    dataset: &Dataset,
    samples: &[u32],
    cache: Option<&ScanCache>,
    done: &AtomicU64,
) -> Vec<Option<u64>> {
    let keys: Vec<Option<ScanKey>> = samples
        .par_iter()
        .map(|&i| cache.and_then(|_| ScanKey::of(dataset, i as usize)))
        .collect();
    let cached = match cache {
        Some(c) => c.get_many(&keys),
        None => vec![None; keys.len()],
    };
    let options = ScanOptions::default();
    let budget = ByteBudget::new(DEFAULT_BYTE_BUDGET);
    let records: Vec<_> = cached
        .into_par_iter()
        .with_max_len(4)
        .zip(samples.par_iter())
        .map(|(hit, &i)| {
            let r = match hit {
                Some(r) => (r, false),
                None => (scan_sample(dataset, i as usize, &options, &budget), true),
            };
            done.fetch_add(1, Ordering::Relaxed);
            r
        })
        .collect();
    if let Some(c) = cache {
        let fresh: Vec<(ScanKey, &_)> = records
            .iter()
            .zip(&keys)
            .filter(|((_, is_new), _)| *is_new)
            .filter_map(|((r, _), k)| Some((k.clone()?, r)))
            .collect();
        // A failed write only means hashing those samples again next time.
        c.put_many(&fresh).ok();
    }
    records
        .iter()
        .map(|(r, _)| r.measures.as_ref().map(|m| m.phash))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(sample: u32, score: f64) -> Candidate {
        Candidate {
            sample,
            predicted: 0,
            score,
        }
    }

    #[test]
    fn near_duplicates_of_a_taken_sample_are_skipped_and_counted() {
        let ranked: Vec<Candidate> = (0..6).map(|i| c(i, 1.0 - i as f64 / 10.0)).collect();
        // 0, 1 and 2 are one picture (1 and 2 within 10 bits of 0), 3 has no pHash, 4 is another
        // picture, 5 is 11 bits from 0 (not a near-duplicate).
        let hash = |s: u32| match s {
            0 => Some(0u64),
            1 => Some(0b11_1111_1111),
            2 => Some(1),
            3 => None,
            4 => Some(u64::MAX),
            _ => Some(0b111_1111_1111),
        };
        let mut calls = 0;
        let b = take_without_near_duplicates(
            &ranked,
            3,
            10,
            |s| {
                calls += 1;
                s.iter().map(|&i| hash(i)).collect()
            },
            || false,
        )
        .unwrap();
        let taken: Vec<u32> = b.samples.iter().map(|c| c.sample).collect();
        assert_eq!(taken, [0, 3, 4]);
        assert_eq!(b.skipped, 2);
        assert_eq!(calls, 1);
        // A bigger batch takes 5 too (11 bits away); without hashes nothing is skipped.
        let b = take_without_near_duplicates(
            &ranked,
            10,
            10,
            |s| s.iter().map(|&i| hash(i)).collect(),
            || false,
        )
        .unwrap();
        assert_eq!(b.samples.len(), 4);
        let b = take_without_near_duplicates(&ranked, 3, 10, |s| vec![None; s.len()], || false)
            .unwrap();
        assert_eq!(b.samples.len(), 3);
        assert_eq!(b.skipped, 0);
        assert!(
            take_without_near_duplicates(&ranked, 3, 10, |s| vec![None; s.len()], || true)
                .is_none()
        );
    }
}
