//! Near-duplicate search over 64-bit perceptual hashes without comparing every pair.
//!
//! Multi-index hashing with the general pigeonhole principle (Qin et al., ICDE 2018): the hash is cut
//! into four 16-bit chunks with radii `r_i` summing to `threshold - 3`; two hashes within `threshold`
//! bits must agree within `r_i` bits on some chunk `i` (else they would differ in at least
//! `sum (r_i + 1) = threshold + 1` bits). For each chunk the unique hashes are sorted into 65,536
//! buckets by that chunk, and only buckets whose chunk values are within `r_i` bits are compared: at
//! the default threshold 10, radii (2, 2, 2, 1). Equal hashes are merged first, so ten thousand
//! copies of one black frame cost one entry, not 10^8 comparisons.

use rayon::prelude::*;

/// The contract's default: pHashes at most this many bits apart are near-duplicates.
pub const DEFAULT_NEAR_THRESHOLD: u32 = 10;

/// The largest threshold accepted: beyond it the search degenerates towards all pairs, and hashes
/// that far apart are rarely the same picture.
pub const MAX_NEAR_THRESHOLD: u32 = 24;

const CHUNKS: usize = 4;
const CHUNK_BITS: u32 = 16;

/// The connected components, of two or more items, of the graph joining items whose hashes are
/// at most `threshold` bits apart. Each component lists item indexes ascending; components are
/// ordered by their first item.
pub fn near_duplicate_components(hashes: &[u64], threshold: u32) -> Vec<Vec<usize>> {
    let threshold = threshold.min(MAX_NEAR_THRESHOLD);
    // Unique hashes, each with the items carrying it.
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    order.sort_unstable_by_key(|&i| hashes[i]);
    let mut unique: Vec<u64> = Vec::new();
    let mut owner = vec![0u32; hashes.len()];
    for &i in &order {
        if unique.last() != Some(&hashes[i]) {
            unique.push(hashes[i]);
        }
        owner[i] = (unique.len() - 1) as u32;
    }
    let mut sets = DisjointSets::new(unique.len());
    for (a, b) in close_pairs(&unique, threshold) {
        sets.union(a, b);
    }
    let mut by_root: hashbrown::HashMap<u32, Vec<usize>> = hashbrown::HashMap::new();
    for (item, &u) in owner.iter().enumerate() {
        by_root.entry(sets.find(u)).or_default().push(item);
    }
    let mut components: Vec<Vec<usize>> = by_root.into_values().filter(|c| c.len() > 1).collect();
    components.sort_unstable_by_key(|c| c[0]);
    components
}

/// The largest Hamming distance between any two of `hashes` (0 for fewer than two).
pub fn max_distance(hashes: &[u64]) -> u32 {
    let mut unique = hashes.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut max = 0;
    for (i, a) in unique.iter().enumerate() {
        for b in &unique[i + 1..] {
            max = max.max((a ^ b).count_ones());
        }
    }
    max
}

/// The radius each chunk is searched with: they sum to `threshold - 3` (a radius of -1 means the
/// chunk need not be searched at all).
fn chunk_radii(threshold: u32) -> [i32; CHUNKS] {
    let need = threshold as i32 - (CHUNKS as i32 - 1);
    let (base, extra) = (
        need.div_euclid(CHUNKS as i32),
        need.rem_euclid(CHUNKS as i32),
    );
    std::array::from_fn(|i| base + i32::from((i as i32) < extra))
}

/// Pairs of indexes into `unique` (distinct hashes) at most `threshold` bits apart, each pair found
/// at least once (a pair close on several chunks may repeat).
fn close_pairs(unique: &[u64], threshold: u32) -> Vec<(u32, u32)> {
    let radii = chunk_radii(threshold);
    let mut pairs = Vec::new();
    for (chunk, &radius) in radii.iter().enumerate() {
        if radius < 0 {
            continue;
        }
        let shift = CHUNK_BITS * chunk as u32;
        let key = |h: u64| ((h >> shift) & 0xFFFF) as usize;
        // Counting sort of the hashes by this chunk: bucket b holds sorted[start[b]..start[b + 1]].
        let mut start = vec![0u32; (1 << CHUNK_BITS) + 1];
        for &h in unique {
            start[key(h) + 1] += 1;
        }
        for b in 0..1 << CHUNK_BITS {
            start[b + 1] += start[b];
        }
        // The hashes (and, apart, their indexes) in bucket order: the inner loop reads one
        // contiguous run of u64 per bucket.
        let mut fill = start.clone();
        let mut sorted_hash = vec![0u64; unique.len()];
        let mut sorted_index = vec![0u32; unique.len()];
        for (i, &h) in unique.iter().enumerate() {
            let slot = &mut fill[key(h)];
            sorted_hash[*slot as usize] = h;
            sorted_index[*slot as usize] = i as u32;
            *slot += 1;
        }
        let masks: Vec<usize> = (0..1usize << CHUNK_BITS)
            .filter(|m| m.count_ones() <= radius as u32)
            .collect();
        let range = |b: usize| start[b] as usize..start[b + 1] as usize;
        let found: Vec<(u32, u32)> = (0..1usize << CHUNK_BITS)
            .into_par_iter()
            .with_min_len(256)
            .map_init(
                || (Vec::<u64>::new(), Vec::<u32>::new()),
                |(near_hashes, near_slots), b| {
                    let here = range(b);
                    let mut out = Vec::new();
                    if here.is_empty() {
                        return out;
                    }
                    // Every hash of the neighbouring buckets (other > b: each unordered pair of
                    // buckets once) in one contiguous run, so the comparison below is one long
                    // loop the compiler vectorises instead of hundreds of short ones.
                    near_hashes.clear();
                    near_slots.clear();
                    for &m in &masks {
                        let other = b ^ m;
                        if other > b {
                            let there = range(other);
                            near_hashes.extend_from_slice(&sorted_hash[there.clone()]);
                            near_slots.extend(there.map(|s| s as u32));
                        }
                    }
                    let here_hashes = &sorted_hash[here.clone()];
                    for (k, &ha) in here_hashes.iter().enumerate() {
                        let ia = sorted_index[here.start + k];
                        // Within the bucket: each pair once.
                        for (j, &hb) in here_hashes.iter().enumerate().skip(k + 1) {
                            if (ha ^ hb).count_ones() <= threshold {
                                out.push((ia, sorted_index[here.start + j]));
                            }
                        }
                        // Counted first; almost always zero.
                        let close = near_hashes
                            .iter()
                            .map(|&hb| u32::from((ha ^ hb).count_ones() <= threshold))
                            .sum::<u32>();
                        if close == 0 {
                            continue;
                        }
                        for (j, &hb) in near_hashes.iter().enumerate() {
                            if (ha ^ hb).count_ones() <= threshold {
                                out.push((ia, sorted_index[near_slots[j] as usize]));
                            }
                        }
                    }
                    out
                },
            )
            .flatten_iter()
            .collect();
        pairs.extend(found);
    }
    pairs
}

/// Union-find with path halving and union by size.
struct DisjointSets {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl DisjointSets {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All pairs, the obvious way.
    fn brute_force(hashes: &[u64], threshold: u32) -> Vec<Vec<usize>> {
        let mut sets = DisjointSets::new(hashes.len());
        for i in 0..hashes.len() {
            for j in i + 1..hashes.len() {
                if (hashes[i] ^ hashes[j]).count_ones() <= threshold {
                    sets.union(i as u32, j as u32);
                }
            }
        }
        let mut by_root: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
        for i in 0..hashes.len() {
            by_root.entry(sets.find(i as u32)).or_default().push(i);
        }
        let mut c: Vec<Vec<usize>> = by_root.into_values().filter(|c| c.len() > 1).collect();
        c.sort_unstable_by_key(|c| c[0]);
        c
    }

    fn random_hashes(n: usize, seed: u64) -> Vec<u64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
                z ^ (z >> 27)
            })
            .collect()
    }

    #[test]
    fn radii_sum_to_threshold_minus_three() {
        assert_eq!(chunk_radii(10), [2, 2, 2, 1]);
        assert_eq!(chunk_radii(0), [0, -1, -1, -1]);
        assert_eq!(chunk_radii(3), [0, 0, 0, 0]);
        for t in 0..=MAX_NEAR_THRESHOLD {
            assert_eq!(chunk_radii(t).iter().sum::<i32>(), t as i32 - 3);
        }
    }

    #[test]
    fn equals_all_pairs_on_planted_clusters() {
        // 2,000 random hashes plus, for every tenth, copies with 1-14 bits flipped (some within
        // the threshold, some beyond it, some chained through each other).
        let mut hashes = random_hashes(2_000, 7);
        let flips = random_hashes(2_000, 11);
        for i in (0..2_000).step_by(10) {
            let mut h = hashes[i];
            for k in 0..(1 + flips[i] % 14) {
                h ^= 1 << ((flips[i] >> (8 + 6 * (k % 9))) % 64);
                if k % 3 == 2 {
                    hashes.push(h);
                }
            }
            hashes.push(h);
            hashes.push(hashes[i]);
        }
        for threshold in [0, 1, 4, 10, 13] {
            assert_eq!(
                near_duplicate_components(&hashes, threshold),
                brute_force(&hashes, threshold),
                "threshold {threshold}"
            );
        }
    }

    #[test]
    fn max_distance_by_hand() {
        assert_eq!(max_distance(&[0b0000, 0b0011, 0b0111, 0b0011]), 3);
        assert_eq!(max_distance(&[5]), 0);
    }

    /// `n` random hashes with 1,000 near copies planted (2-4 bits flipped) among them.
    fn planted(n: usize) -> Vec<u64> {
        let mut hashes = random_hashes(n - 1_000, 3);
        for i in 0..1_000 {
            hashes.push(hashes[i * 7] ^ (0b1011 << (i % 60)));
        }
        hashes
    }

    /// Grouping 1M hashes (fewer in a debug build): every planted copy is found.
    #[test]
    fn planted_copies_among_a_million_hashes_are_found() {
        let n = if cfg!(debug_assertions) {
            100_000
        } else {
            1_000_000
        };
        let hashes = planted(n);
        let groups = near_duplicate_components(&hashes, DEFAULT_NEAR_THRESHOLD);
        let mut group_of = vec![usize::MAX; n];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                group_of[m] = g;
            }
        }
        for i in 0..1_000 {
            let (original, copy) = (i * 7, n - 1_000 + i);
            assert_ne!(group_of[copy], usize::MAX, "copy {i} not grouped");
            assert_eq!(group_of[copy], group_of[original], "copy {i}");
        }
    }

    /// The bar, timed alone (other tests running beside it would share the two cores):
    /// `cargo test --release --lib a_million_hashes -- --ignored --nocapture --test-threads 1`.
    #[test]
    #[ignore = "a timing bar: run alone, in release (scripts/bench-near-dup.sh runs it)"]
    fn a_million_hashes_group_within_five_seconds() {
        let hashes = planted(1_000_000);
        let mut times = Vec::new();
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let groups = near_duplicate_components(&hashes, DEFAULT_NEAR_THRESHOLD);
            times.push(started.elapsed().as_secs_f64());
            assert!(groups.len() >= 1_000);
        }
        times.sort_by(f64::total_cmp);
        eprintln!(
            "1M hashes grouped in {:.2} s (median of 3: {times:.2?})",
            times[1]
        );
        assert!(cfg!(debug_assertions) || times[1] <= 5.0, "{times:?}");
    }
}
