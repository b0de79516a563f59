//! Where one sample's media comes from, as a value a decoder thread can carry: a file on disk, a row
//! of a Hugging Face shard, or nothing (a text sample). Readers ask it for bytes and never care which.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::media::{MediaError, read_media_file};

use super::load::hf::embedded::{CellMedia, EmbeddedReader};

/// A sample's media source. Two are equal when they name the same file or the same row of the
/// same reader.
#[derive(Debug, Clone)]
pub enum SampleMedia {
    /// A file on disk.
    File(PathBuf),
    /// Row `row` (global) of a Hugging Face dataset's media column.
    Embedded {
        /// The dataset's shard reader.
        reader: Arc<EmbeddedReader>,
        /// Global row number.
        row: u64,
    },
    /// A text sample: the text is in the dataset model, there is nothing to decode.
    Text,
}

impl SampleMedia {
    /// The whole media, as bytes (files over the in-memory limit are refused).
    pub fn read(&self) -> Result<Vec<u8>, MediaError> {
        match self {
            Self::File(p) => read_media_file(p),
            Self::Embedded { reader, row } => match reader.read(*row)? {
                CellMedia::Bytes(b) => Ok(b),
                CellMedia::File(p) => read_media_file(&p),
            },
            Self::Text => Err(MediaError::unsupported("a text sample has no media")),
        }
    }

    /// Where the media is, for a message.
    pub fn describe(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Embedded { reader, row } => match reader.source().locate(*row) {
                Some((i, within)) => format!(
                    "{} row {within}",
                    reader
                        .source()
                        .shards
                        .get(i)
                        .map_or("?", |s| s.name.as_str())
                ),
                None => format!("row {row}"),
            },
            Self::Text => "a text sample".into(),
        }
    }

    /// The file on disk, when the media is one (audio streams from it instead of reading it whole).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::File(p) => Some(p),
            _ => None,
        }
    }

    /// What identifies embedded media's current content for caches: the shard and row, and the
    /// shard's length and modification time when it was opened. `None` for a file (the thumbnail
    /// store keys files itself, `StoreKey::for_file`) and for a text.
    pub fn cache_key(&self) -> Option<(String, u64, i64)> {
        match self {
            Self::File(_) => None,
            Self::Embedded { reader, row } => {
                let (i, within) = reader.source().locate(*row)?;
                let shard = reader.source().shards.get(i)?;
                Some((
                    format!("{}#row={within}", shard.path.to_string_lossy()),
                    shard.len,
                    shard.mtime_ns,
                ))
            }
            Self::Text => None,
        }
    }
}

impl PartialEq for SampleMedia {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::File(a), Self::File(b)) => a == b,
            (Self::Embedded { reader: a, row: x }, Self::Embedded { reader: b, row: y }) => {
                Arc::ptr_eq(a, b) && x == y
            }
            (Self::Text, Self::Text) => true,
            _ => false,
        }
    }
}

impl Eq for SampleMedia {}
