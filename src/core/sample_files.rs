//! The sample identity column: every sample's path relative to the dataset root, with an index from
//! path to sample so predictions and label edits join in O(1) without a `String` per sample.

use std::hash::BuildHasher as _;

use hashbrown::HashTable;

use super::columns::{ColumnFull, StrColumn};

/// Paths of all samples plus a hash index over them.
#[derive(Debug, Clone, Default)]
pub struct SampleFiles {
    column: StrColumn,
    index: HashTable<u32>,
    hasher: foldhash::fast::FixedState,
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

impl SampleFiles {
    /// Room for `rows` paths.
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            column: StrColumn::with_capacity(rows, 40),
            index: HashTable::with_capacity(rows),
            hasher: foldhash::fast::FixedState::with_seed(0x5eed_5eed),
        }
    }

    fn hash(&self, path: &str) -> u64 {
        self.hasher.hash_one(path.as_bytes())
    }

    /// Adds a path and returns its sample index, or the index of the sample that already has it.
    pub fn push(&mut self, path: &str) -> Result<u32, AddError> {
        let idx = u32::try_from(self.column.len()).map_err(|_| AddError::Full)?;
        let hash = self.hash(path);
        let Self {
            column,
            index,
            hasher,
        } = self;
        match index.entry(
            hash,
            |&i| column.get(i as usize) == Some(path),
            |&i| hasher.hash_one(column.get(i as usize).unwrap_or_default().as_bytes()),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => Err(AddError::Duplicate(*e.get())),
            hashbrown::hash_table::Entry::Vacant(e) => {
                column.push(path)?;
                e.insert(idx);
                Ok(idx)
            }
        }
    }

    /// The sample index of `path` (already normalised), if it is a sample.
    pub fn find(&self, path: &str) -> Option<u32> {
        let hash = self.hash(path);
        self.index
            .find(hash, |&i| self.column.get(i as usize) == Some(path))
            .copied()
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
        self.column.heap_bytes() + self.index.capacity() * 5
    }

    /// Releases spare capacity once loading is done.
    pub fn shrink_to_fit(&mut self) {
        self.column.shrink_to_fit();
        let Self {
            column,
            index,
            hasher,
        } = self;
        index.shrink_to_fit(|&i| {
            hasher.hash_one(column.get(i as usize).unwrap_or_default().as_bytes())
        });
    }
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
}
