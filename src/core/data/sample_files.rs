//! The sample identity column: every sample's path relative to the dataset root, with an index from
//! path to sample so predictions and label edits join in O(1) without a `String` per sample.
//!
//! Built for a million paths: loaders append paths with their hash (computed while the bytes are hot)
//! and the index is built once at the end, inserting in table-bucket order so the table is written
//! sequentially; batch lookups (the predictions join) probe in bucket order too. A random-order insert
//! or probe costs several cache misses; in bucket order the table side costs almost none.

use std::hash::BuildHasher as _;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rayon::prelude::*;

use super::columns::{ColumnFull, StrColumn};

/// The hash every path index uses (fixed seed: the same path always hashes the same).
pub fn path_hash(path: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5eed_5eed).hash_one(path.as_bytes())
}

/// Paths of all samples plus a hash index over them.
#[derive(Debug, Clone, Default)]
pub struct SampleFiles {
    column: StrColumn,
    /// (sample, upper 32 bits of its path hash): the check lets probes skip non-matching entries
    /// without reading their path.
    index: HashTable<(u32, u32)>,
}

fn check_of(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// Why a path could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The path is already a sample (its index is given).
    Duplicate(u32),
    /// The column is full (more than 4 GiB of path text).
    Full,
}

impl From<ColumnFull> for AddError {
    fn from(_: ColumnFull) -> Self {
        Self::Full
    }
}

/// A path listed twice: `repeat` is the later sample, `first` the one kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    /// The later occurrence (to drop).
    pub repeat: u32,
    /// The first occurrence.
    pub first: u32,
}

/// The hashbrown bucket count for `n` items (its `capacity_to_buckets` rule), for bucket ordering.
fn buckets_for(n: usize) -> usize {
    if n < 8 {
        8
    } else {
        (n * 8 / 7).next_power_of_two()
    }
}

/// Item indices ordered by the table region their hash starts probing at (a counting sort on the top
/// 16 bits of the bucket index), so consecutive inserts or probes touch neighbouring memory.
fn bucket_order(hashes: &[u64], buckets: usize) -> Vec<u32> {
    let bits = buckets.trailing_zeros();
    let shift = bits.saturating_sub(16);
    let regions = 1usize << bits.min(16);
    let region = |h: u64| ((h as usize & (buckets - 1)) >> shift) & (regions - 1);
    let mut starts = vec![0u32; regions + 1];
    for &h in hashes {
        starts[region(h) + 1] += 1;
    }
    for i in 0..regions {
        starts[i + 1] += starts[i];
    }
    let mut order = vec![0u32; hashes.len()];
    for (i, &h) in hashes.iter().enumerate() {
        let slot = &mut starts[region(h)];
        order[*slot as usize] = i as u32;
        *slot += 1;
    }
    order
}

impl SampleFiles {
    /// Room for `rows` paths.
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            column: StrColumn::with_capacity(rows, 40),
            index: HashTable::new(),
        }
    }

    /// Appends a path without indexing it; call [`SampleFiles::build_index`] when all are in.
    pub fn push_unindexed(&mut self, path: &str) -> Result<u32, AddError> {
        let idx = u32::try_from(self.column.len()).map_err(|_| AddError::Full)?;
        self.column.push(path)?;
        Ok(idx)
    }

    /// Builds the index from every path's hash (`hashes[i]` = [`path_hash`] of path `i`). Returns the
    /// paths listed more than once; the index maps each such path to its first occurrence.
    pub fn build_index(&mut self, hashes: &[u64]) -> Vec<Repeat> {
        let Self { column, index } = self;
        let n = column.len().min(hashes.len());
        *index = HashTable::with_capacity(n);
        let rehash = |&(i, _): &(u32, u32)| path_hash(column.get(i as usize).unwrap_or_default());
        let mut repeats = Vec::new();
        for i in bucket_order(&hashes[..n], buckets_for(n)) {
            let hash = hashes[i as usize];
            let check = check_of(hash);
            // Paths are read only when the 32-bit check matches too: repeats, or a 1-in-4-billion clash.
            let same = |&(j, c): &(u32, u32)| {
                c == check && column.get(j as usize) == column.get(i as usize)
            };
            match index.entry(hash, same, rehash) {
                Entry::Vacant(e) => {
                    e.insert((i, check));
                }
                Entry::Occupied(mut e) => {
                    // Bucket order is not file order: keep the earlier occurrence.
                    let other = e.get().0;
                    let (first, repeat) = if other < i { (other, i) } else { (i, other) };
                    e.get_mut().0 = first;
                    repeats.push(Repeat { repeat, first });
                }
            }
        }
        // A path listed three times shows up as several pairs; point each repeat at the true first.
        repeats.sort_unstable_by_key(|r| r.repeat);
        for r in &mut repeats {
            if let Some(first) = self.find(column_get(&self.column, r.repeat)) {
                r.first = first;
            }
        }
        repeats.dedup_by_key(|r| r.repeat);
        repeats
    }

    /// Adds one path and indexes it at once (for small, incremental additions).
    pub fn push(&mut self, path: &str) -> Result<u32, AddError> {
        let hash = path_hash(path);
        let idx = u32::try_from(self.column.len()).map_err(|_| AddError::Full)?;
        let Self { column, index } = self;
        let check = check_of(hash);
        match index.entry(
            hash,
            |&(i, c)| c == check && column.get(i as usize) == Some(path),
            |&(i, _)| path_hash(column.get(i as usize).unwrap_or_default()),
        ) {
            Entry::Occupied(e) => Err(AddError::Duplicate(e.get().0)),
            Entry::Vacant(e) => {
                column.push(path)?;
                e.insert((idx, check));
                Ok(idx)
            }
        }
    }

    /// The sample index of `path` (already normalised), if it is a sample.
    pub fn find(&self, path: &str) -> Option<u32> {
        self.find_hashed(path, path_hash(path))
    }

    fn find_hashed(&self, path: &str, hash: u64) -> Option<u32> {
        let check = check_of(hash);
        self.index
            .find(hash, |&(i, c)| {
                c == check && self.column.get(i as usize) == Some(path)
            })
            .map(|&(i, _)| i)
    }

    /// The sample whose path hash matches `hash` in all 64 bits' worth of table position and check,
    /// without reading any path: a candidate to verify.
    fn candidate(&self, hash: u64) -> Option<u32> {
        let check = check_of(hash);
        self.index.find(hash, |&(_, c)| c == check).map(|&(i, _)| i)
    }

    /// Looks up many paths at once (`hashes[i]` = [`path_hash`] of `paths[i]`), in parallel and in
    /// table order; returns the sample of each path or `u32::MAX`.
    pub fn find_all(&self, paths: &StrColumn, hashes: &[u64]) -> Vec<u32> {
        let n = paths.len().min(hashes.len());
        // Pass 1, in table order: candidates by hash alone (the table is read sequentially).
        let order = bucket_order(&hashes[..n], buckets_for(self.index.len()));
        let found: Vec<(u32, u32)> = order
            .par_iter()
            .with_min_len(4096)
            .map(|&i| (i, self.candidate(hashes[i as usize]).unwrap_or(u32::MAX)))
            .collect();
        let mut out = vec![u32::MAX; n];
        for (i, s) in found {
            out[i as usize] = s;
        }
        // Pass 2, in query order: confirm each candidate's path (independent reads the CPU overlaps);
        // on a hash clash fall back to a full lookup.
        out.par_iter_mut()
            .with_min_len(4096)
            .enumerate()
            .for_each(|(i, s)| {
                let path = paths.get(i).unwrap_or_default();
                if *s != u32::MAX && self.column.get(*s as usize) != Some(path) {
                    *s = self.find_hashed(path, hashes[i]).unwrap_or(u32::MAX);
                }
            });
        out
    }

    /// Path of sample `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.column.get(i)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.column.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.column.is_empty()
    }

    /// Iterates paths in sample order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.column.iter()
    }

    /// Heap bytes held (column plus index).
    pub fn heap_bytes(&self) -> usize {
        self.column.heap_bytes() + self.index.capacity() * 9
    }

    /// Releases spare capacity of the column once loading is done.
    pub fn shrink_to_fit(&mut self) {
        self.column.shrink_to_fit();
    }
}

fn column_get(column: &StrColumn, i: u32) -> &str {
    column.get(i as usize).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_rejects_duplicates() {
        let mut f = SampleFiles::with_capacity(2);
        assert_eq!(f.push("a/1.jpg"), Ok(0));
        assert_eq!(f.push("b/1.jpg"), Ok(1));
        assert_eq!(f.push("a/1.jpg"), Err(AddError::Duplicate(0)));
        assert_eq!(f.find("b/1.jpg"), Some(1));
        assert_eq!(f.find("c"), None);
        for i in 0..10_000 {
            f.push(&format!("x/{i}.png")).unwrap();
        }
        assert_eq!(f.find("x/9999.png"), Some(10_001));
    }

    #[test]
    fn bulk_index_keeps_first_occurrences_and_batch_lookup_agrees() {
        let mut f = SampleFiles::with_capacity(0);
        let mut paths: Vec<String> = (0..50_000).map(|i| format!("img/{i}.jpg")).collect();
        paths.push("img/7.jpg".into());
        paths.push("img/49999.jpg".into());
        paths.push("img/7.jpg".into());
        let hashes: Vec<u64> = paths.iter().map(|p| path_hash(p)).collect();
        for p in &paths {
            f.push_unindexed(p).unwrap();
        }
        let repeats = f.build_index(&hashes);
        assert_eq!(
            repeats,
            [
                Repeat {
                    repeat: 50_000,
                    first: 7
                },
                Repeat {
                    repeat: 50_001,
                    first: 49_999
                },
                Repeat {
                    repeat: 50_002,
                    first: 7
                }
            ]
        );
        assert_eq!(f.find("img/7.jpg"), Some(7));
        let mut queries = StrColumn::default();
        let qs = ["img/3.jpg", "nope", "img/49999.jpg", "img/0.jpg"];
        for q in qs {
            queries.push(q).unwrap();
        }
        let qh: Vec<u64> = qs.iter().map(|q| path_hash(q)).collect();
        assert_eq!(f.find_all(&queries, &qh), [3, u32::MAX, 49_999, 0]);
    }
}
