//! An opened shard, Parquet or Arrow, behind one interface: its schema, its row count, and batches
//! of the columns asked for.

use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::core::data::hf_source::ShardFormat;

use super::{ipc_stream, parquet_shard};

/// An opened shard: its footer or stream index, ready for column and row reads.
#[derive(Debug, Clone)]
pub enum OpenShard {
    /// A Parquet footer.
    Parquet(parquet::arrow::arrow_reader::ArrowReaderMetadata),
    /// An Arrow stream's batch index.
    Arrow(Arc<ipc_stream::StreamIndex>),
}

impl OpenShard {
    /// Opens the shard at `path`.
    pub fn open(path: &Path, format: ShardFormat) -> Result<Self, String> {
        match format {
            ShardFormat::Parquet => parquet_shard::open_metadata(path).map(Self::Parquet),
            ShardFormat::ArrowStream => parquet_shard::guarded(|| ipc_stream::index_stream(path))
                .map(|i| Self::Arrow(Arc::new(i))),
        }
    }

    /// The shard's Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        match self {
            Self::Parquet(m) => m.schema().clone(),
            Self::Arrow(i) => i.schema.clone(),
        }
    }

    /// The names of the shard's top-level columns, in schema order.
    pub fn column_names(&self) -> Vec<String> {
        self.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Rows in the shard.
    pub fn rows(&self) -> u64 {
        match self {
            Self::Parquet(m) => u64::try_from(m.metadata().file_metadata().num_rows()).unwrap_or(0),
            Self::Arrow(i) => i.rows(),
        }
    }

    pub(super) fn huggingface_json(&self) -> Option<String> {
        match self {
            Self::Parquet(m) => parquet_shard::huggingface_json(m),
            Self::Arrow(i) => i.schema.metadata().get("huggingface").cloned(),
        }
    }

    /// Calls `each` with batches of the top-level columns `columns` (any order), in row order.
    pub fn read_columns(
        &self,
        path: &Path,
        columns: &[usize],
        mut each: impl FnMut(&RecordBatch) -> Result<(), String>,
    ) -> Result<(), String> {
        match self {
            Self::Parquet(m) => parquet_shard::read_columns(path, m, columns, each),
            Self::Arrow(index) => parquet_shard::guarded(|| {
                let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
                let mut sorted = columns.to_vec();
                sorted.sort_unstable();
                sorted.dedup();
                for entry in &index.batches {
                    let batch = ipc_stream::read_batch(&mut file, index, entry, &sorted)?;
                    each(&batch)?;
                }
                Ok(())
            }),
        }
    }
}

impl OpenShard {
    /// Column `column` of row `row` alone (the media of one sample).
    pub fn read_cell(
        &self,
        path: &Path,
        column: usize,
        row: u64,
    ) -> Result<arrow_array::ArrayRef, String> {
        match self {
            Self::Parquet(m) => parquet_shard::read_row(path, m, column, row).and_then(|b| {
                b.columns()
                    .first()
                    .cloned()
                    .ok_or_else(|| "the row has no such column".to_string())
            }),
            Self::Arrow(index) => parquet_shard::guarded(|| {
                let mut first = 0u64;
                for entry in &index.batches {
                    if row < first + entry.rows {
                        let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
                        let batch = ipc_stream::read_batch(&mut file, index, entry, &[column])?;
                        let col = batch
                            .columns()
                            .first()
                            .cloned()
                            .ok_or("the batch has no such column")?;
                        let at = usize::try_from(row - first).map_err(|e| e.to_string())?;
                        if at >= col.len() {
                            return Err(format!("row {row} is past the end of its batch"));
                        }
                        return Ok(col.slice(at, 1));
                    }
                    first += entry.rows;
                }
                Err(format!("row {row} is past the end of the file"))
            }),
        }
    }
}
