//! Compact column storage: a million file names or metadata values live in one string buffer with an
//! offsets array, not a million `String`s (24 bytes of header plus an allocation each).

use std::collections::HashMap;

/// Strings stored back to back; row `i` is `bytes[ends[i-1]..ends[i]]`.
#[derive(Debug, Clone, Default)]
pub struct StrColumn {
    bytes: String,
    ends: Vec<u32>,
}

/// A column grew past 4 GiB of text, the limit of its 32-bit offsets.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("a text column is larger than 4 GiB")]
pub struct ColumnFull;

impl StrColumn {
    /// An empty column with room for `rows` values of about `bytes_per_row` bytes.
    pub fn with_capacity(rows: usize, bytes_per_row: usize) -> Self {
        Self {
            bytes: String::with_capacity(rows * bytes_per_row),
            ends: Vec::with_capacity(rows),
        }
    }

    /// Appends a value.
    pub fn push(&mut self, value: &str) -> Result<(), ColumnFull> {
        let end = self.bytes.len() + value.len();
        let end = u32::try_from(end).map_err(|_| ColumnFull)?;
        self.bytes.push_str(value);
        self.ends.push(end);
        Ok(())
    }

    /// The same column emptied, keeping its capacity (scratch buffers).
    pub fn cleared(mut self) -> Self {
        self.bytes.clear();
        self.ends.clear();
        self
    }

    /// Makes room for `rows` more values of `bytes` bytes in all.
    pub fn reserve(&mut self, rows: usize, bytes: usize) {
        self.bytes.reserve_exact(bytes);
        self.ends.reserve_exact(rows);
    }

    /// Bytes of text held.
    pub fn text_len(&self) -> usize {
        self.bytes.len()
    }

    /// Appends all of `other`'s values (joining columns parsed in parallel).
    pub fn append(&mut self, other: &StrColumn) -> Result<(), ColumnFull> {
        let base = u32::try_from(self.bytes.len()).map_err(|_| ColumnFull)?;
        if self.bytes.len() + other.bytes.len() > u32::MAX as usize {
            return Err(ColumnFull);
        }
        self.bytes.push_str(&other.bytes);
        self.ends.extend(other.ends.iter().map(|&e| e + base));
        Ok(())
    }

    /// Appends `n` empty values (a JSONL column first seen on a later row).
    pub fn pad_to(&mut self, rows: usize) {
        let end = self.ends.last().copied().unwrap_or(0);
        self.ends.resize(rows.max(self.ends.len()), end);
    }

    /// Value of row `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 {
            0
        } else {
            *self.ends.get(i - 1)? as usize
        };
        self.bytes.get(start..end)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Iterates the values in row order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Bytes of heap this column holds (for the memory figures in the status bar and benchmarks).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 4
    }

    /// Releases spare capacity once loading is done.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// Marks "no class" / "no split" in the compact `u32`/`u16` id columns.
pub const NONE: u32 = u32::MAX;

/// Entry `i` of an id column as an index, or `None` past the end or where it is [`NONE`].
pub fn id_at(ids: &[u32], i: usize) -> Option<usize> {
    ids.get(i).filter(|&&id| id != NONE).map(|&id| id as usize)
}

/// Maps distinct names (labels, split names) to small ids in first-seen order; the loader sorts and
/// remaps them once at the end, so the per-row cost is one hash lookup with no allocation.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<Box<str>, u32, foldhash::fast::FixedState>,
    names: Vec<Box<str>>,
    last: u32,
}

/// Up to this many names, a linear scan beats hashing (labels and splits are usually few).
const SCAN_LIMIT: usize = 16;

impl Interner {
    /// The id of `name`, adding it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if self
            .names
            .get(self.last as usize)
            .is_some_and(|n| **n == *name)
        {
            return self.last;
        }
        if self.names.len() <= SCAN_LIMIT {
            if let Some(id) = self.names.iter().position(|n| **n == *name) {
                self.last = id as u32;
                return self.last;
            }
        } else if let Some(&id) = self.ids.get(name) {
            self.last = id;
            return id;
        }
        let id = self.names.len() as u32;
        self.last = id;
        self.ids.insert(name.into(), id);
        self.names.push(name.into());
        id
    }

    /// Names in id (first-seen) order, borrowed.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.names.iter().map(|n| &**n)
    }

    /// Names in id (first-seen) order.
    pub fn into_names(self) -> Vec<String> {
        self.names.into_iter().map(String::from).collect()
    }

    /// Sorted names (byte order) and, for each first-seen id, its index in that sorted list.
    pub fn into_sorted(self) -> (Vec<String>, Vec<u32>) {
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        order.sort_by(|&a, &b| {
            self.names[a as usize]
                .as_bytes()
                .cmp(self.names[b as usize].as_bytes())
        });
        let mut remap = vec![0u32; self.names.len()];
        for (sorted, &old) in order.iter().enumerate() {
            remap[old as usize] = sorted as u32;
        }
        let names = order
            .iter()
            .map(|&i| self.names[i as usize].to_string())
            .collect();
        (names, remap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_column_round_trips() {
        let mut c = StrColumn::default();
        c.push("a/b.jpg").unwrap();
        c.push("").unwrap();
        c.push("ü.png").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(0), Some("a/b.jpg"));
        assert_eq!(c.get(1), Some(""));
        assert_eq!(c.get(2), Some("ü.png"));
        assert_eq!(c.get(3), None);
        c.pad_to(5);
        assert_eq!(c.get(4), Some(""));
    }

    #[test]
    fn interner_sorts_by_bytes() {
        let mut i = Interner::default();
        assert_eq!(i.intern("dog"), 0);
        assert_eq!(i.intern("Cat"), 1);
        assert_eq!(i.intern("dog"), 0);
        assert_eq!(i.intern("cat"), 2);
        let (names, remap) = i.into_sorted();
        assert_eq!(names, ["Cat", "cat", "dog"]);
        assert_eq!(remap, [2, 0, 1]);
    }
}
