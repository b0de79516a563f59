//! Media embedded in a Hugging Face dataset's shards, read one sample at a time: the shard's footer is
//! opened once and kept, then only the row's media cell is read. A cell whose `bytes` are null points
//! at a file beside the dataset instead (`path`).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StructArray};
use arrow_schema::DataType;

use crate::core::data::hf_source::HfSource;
use crate::core::media::{MAX_IN_MEMORY_BYTES, MediaError, ProblemKind};

use super::shard::OpenShard;

/// A sample's media: its bytes, or the file its cell points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellMedia {
    /// Bytes stored in the shard.
    Bytes(Vec<u8>),
    /// `bytes` was null; `path` names this file.
    File(PathBuf),
}

/// Reads embedded media by global row. Shared by every decoder thread of one dataset.
#[derive(Debug)]
pub struct EmbeddedReader {
    source: Arc<HfSource>,
    root: PathBuf,
    opened: Vec<OnceLock<Result<OpenShard, String>>>,
}

impl EmbeddedReader {
    /// A reader over `source`'s shards; `root` is the dataset folder (for `path` cells).
    pub fn new(source: Arc<HfSource>, root: PathBuf) -> Self {
        let opened = source.shards.iter().map(|_| OnceLock::new()).collect();
        Self {
            source,
            root,
            opened,
        }
    }

    /// The dataset's layout.
    pub fn source(&self) -> &HfSource {
        &self.source
    }

    /// The media of global row `row`.
    pub fn read(&self, row: u64) -> Result<CellMedia, MediaError> {
        let media = self
            .source
            .media
            .as_ref()
            .ok_or_else(|| MediaError::unsupported("the dataset has no media column"))?;
        let (shard_idx, within) = self
            .source
            .locate(row)
            .ok_or_else(|| MediaError::unreadable(format!("row {row} is in no shard")))?;
        let shard = &self.source.shards[shard_idx];
        let open = self.opened[shard_idx]
            .get_or_init(|| OpenShard::open(&shard.path, self.source.format))
            .as_ref()
            .map_err(|e| MediaError::unreadable(format!("{}: {e}", shard.name)))?;
        let cell = open
            .read_cell(&shard.path, media.index, within)
            .map_err(|e| MediaError::unreadable(format!("{} row {within}: {e}", shard.name)))?;
        cell_media(&cell, &self.root).map_err(|e| MediaError {
            kind: e.kind,
            detail: format!("{} row {within}: {}", shard.name, e.detail),
        })
    }
}

fn missing(detail: &str) -> MediaError {
    MediaError {
        kind: ProblemKind::Missing,
        detail: detail.into(),
    }
}

/// The media in the first row of a `{bytes, path}` struct column.
pub fn cell_media(cell: &ArrayRef, root: &std::path::Path) -> Result<CellMedia, MediaError> {
    if super::features::is_binary(cell.data_type()) {
        // A scan file's `thumbnail` column: plain bytes, null when none was made.
        if cell.is_empty() || cell.is_null(0) {
            return Err(missing(
                "no thumbnail in the scan (scanned without --thumbnails, or the image did not decode)",
            ));
        }
        let bytes = match cell.data_type() {
            DataType::Binary => cell.as_binary::<i32>().value(0).to_vec(),
            DataType::LargeBinary => cell.as_binary::<i64>().value(0).to_vec(),
            _ => cell.as_binary_view().value(0).to_vec(),
        };
        return Ok(CellMedia::Bytes(bytes));
    }
    let Some(st) = cell.as_struct_opt() else {
        return Err(MediaError::unsupported(
            "the media cell is not a {bytes, path} struct",
        ));
    };
    if st.is_empty() || st.is_null(0) {
        return Err(missing("the media cell is null"));
    }
    if let Some(bytes) = struct_bytes(st)? {
        if bytes.is_empty() {
            return Err(MediaError::empty());
        }
        if bytes.len() as u64 > MAX_IN_MEMORY_BYTES {
            return Err(MediaError::too_large(bytes.len() as u64));
        }
        return Ok(CellMedia::Bytes(bytes));
    }
    let path = st.column_by_name("path").and_then(|p| {
        let p = p.as_string_opt::<i32>()?;
        (p.is_valid(0) && !p.value(0).is_empty()).then(|| p.value(0).to_string())
    });
    match path {
        Some(p) => {
            let p = PathBuf::from(p);
            Ok(CellMedia::File(if p.is_absolute() {
                p
            } else {
                root.join(p)
            }))
        }
        None => Err(missing("the media cell has no bytes and no path")),
    }
}

fn struct_bytes(st: &StructArray) -> Result<Option<Vec<u8>>, MediaError> {
    let Some(col) = st.column_by_name("bytes") else {
        return Ok(None);
    };
    if col.is_null(0) {
        return Ok(None);
    }
    let bytes = match col.data_type() {
        DataType::Binary => col.as_binary::<i32>().value(0).to_vec(),
        DataType::LargeBinary => col.as_binary::<i64>().value(0).to_vec(),
        DataType::BinaryView => col.as_binary_view().value(0).to_vec(),
        other => {
            return Err(MediaError::unsupported(format!(
                "media bytes of type {other}"
            )));
        }
    };
    Ok(Some(bytes))
}
