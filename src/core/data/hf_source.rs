//! Where a Hugging Face dataset's samples live: its shards (Parquet files or Arrow IPC streams), the
//! row range each holds, and which columns are media, label and text. Kept with the dataset so media
//! can be read by row later and label edits written back into the right shard.

use std::path::PathBuf;

/// The container of a dataset's shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardFormat {
    /// `.parquet` files (the Hub's layout and its Parquet conversion).
    Parquet,
    /// Arrow IPC stream files (`data-NNNNN-of-NNNNN.arrow`, `datasets`' `save_to_disk`).
    ArrowStream,
}

/// What kind of media an embedded column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddedKind {
    /// A `datasets` `Image` feature.
    Image,
    /// A `datasets` `Audio` feature.
    Audio,
    /// A `{bytes, path}` struct with no feature type: the bytes' magic tells.
    Unknown,
}

/// How labels are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelEncoding {
    /// A `ClassLabel`: integers indexing `names`; -1 is unlabelled.
    ClassLabel(Vec<String>),
    /// Strings, or integers whose text is the class name.
    Plain,
}

/// One shard file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// The file on disk.
    pub path: PathBuf,
    /// Its path relative to the dataset folder, `/`-separated (what the inspector shows).
    pub name: String,
    /// The split its rows belong to.
    pub split: Option<String>,
    /// Global row number of its first row (rows are counted over all shards in name order).
    pub start: u64,
    /// Rows it holds.
    pub rows: u64,
    /// Size and modification time when opened: the thumbnail cache keys embedded samples by them.
    pub len: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
}

/// The embedded media column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedColumn {
    /// Its name.
    pub name: String,
    /// Its top-level index in the schema.
    pub index: usize,
    /// Image, audio, or unknown.
    pub kind: EmbeddedKind,
}

/// A Hugging Face dataset's layout on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HfSource {
    /// The path the user opened (a folder, or a lone shard file).
    pub given: PathBuf,
    /// Parquet or Arrow.
    pub format: ShardFormat,
    /// Shards in name order.
    pub shards: Vec<Shard>,
    /// The embedded media column, if any.
    pub media: Option<EmbeddedColumn>,
    /// The string column of file paths, if any (identity, and media when nothing is embedded).
    pub path_column: Option<String>,
    /// The text column of a text dataset (also kept as a metadata column of the same name).
    pub text_column: Option<String>,
    /// The label column and its encoding.
    pub label: Option<(String, LabelEncoding)>,
    /// Global rows whose text is null (sorted): `check` reports them `missing`, not `empty`.
    pub null_texts: Vec<u64>,
}

impl HfSource {
    /// The shard index and the row within it of global row `row`.
    pub fn locate(&self, row: u64) -> Option<(usize, u64)> {
        let i = self
            .shards
            .partition_point(|s| s.start <= row)
            .checked_sub(1)?;
        let shard = self.shards.get(i)?;
        (row < shard.start + shard.rows).then_some((i, row - shard.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(start: u64, rows: u64) -> Shard {
        Shard {
            path: PathBuf::new(),
            name: String::new(),
            split: None,
            start,
            rows,
            len: 0,
            mtime_ns: 0,
        }
    }

    #[test]
    fn rows_are_found_in_their_shard() {
        let src = HfSource {
            given: PathBuf::new(),
            format: ShardFormat::Parquet,
            shards: vec![shard(0, 3), shard(3, 0), shard(3, 2)],
            media: None,
            path_column: None,
            text_column: None,
            label: None,
            null_texts: Vec::new(),
        };
        assert_eq!(src.locate(0), Some((0, 0)));
        assert_eq!(src.locate(2), Some((0, 2)));
        assert_eq!(src.locate(3), Some((2, 0)));
        assert_eq!(src.locate(4), Some((2, 1)));
        assert_eq!(src.locate(5), None);
    }
}
