//! Parquet shards through arrow-rs: the footer once, then only the columns a view needs (projection),
//! and one row's media by row group and row selection. The parquet crate has panicked on malformed
//! files, so every call into it runs behind [`guarded`], which turns a panic into an error.

use std::fs::File;
use std::path::Path;

use arrow_array::RecordBatch;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};

/// Rows decoded per batch when reading whole columns.
const BATCH_ROWS: usize = 64 * 1024;

/// Runs `f`, turning a panic inside the Arrow/Parquet readers into an error message.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            Err(format!("malformed file (the reader failed: {what})"))
        }
    }
}

/// Whether a panic happened inside the Arrow/Parquet readers (their source lives in crates named
/// `parquet-*` and `arrow-*`), where [`guarded`] turns it into an error.
pub fn is_reader_panic(location: Option<&std::panic::Location<'_>>) -> bool {
    location.is_some_and(|l| {
        let file = l.file();
        file.contains("/parquet-") || file.contains("/arrow-")
    })
}

/// Installs a panic hook that stays quiet about panics inside the Arrow/Parquet readers (each is
/// caught by [`guarded`] and reported as an error naming the file) and prints every other panic as
/// the default hook does. The command line and the app install it once at start.
pub fn quiet_reader_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_reader_panic(info.location()) {
            default(info);
        }
    }));
}

/// Reads a shard's footer: schema, row groups, and (where written) the page index.
pub fn open_metadata(path: &Path) -> Result<ArrowReaderMetadata, String> {
    guarded(|| {
        let file = File::open(path).map_err(|e| e.to_string())?;
        ArrowReaderMetadata::load(
            &file,
            ArrowReaderOptions::new()
                .with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Optional),
        )
        .map_err(|e| format!("not a readable Parquet file: {e}"))
    })
}

/// The `huggingface` JSON of a shard: the Arrow schema's metadata, else the file's key-value metadata.
pub fn huggingface_json(meta: &ArrowReaderMetadata) -> Option<String> {
    if let Some(j) = meta.schema().metadata().get("huggingface") {
        return Some(j.clone());
    }
    meta.metadata()
        .file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == "huggingface")
        .and_then(|kv| kv.value.clone())
}

/// Calls `each` with every batch of the top-level columns `roots` (schema order).
pub fn read_columns(
    path: &Path,
    meta: &ArrowReaderMetadata,
    roots: &[usize],
    mut each: impl FnMut(&RecordBatch) -> Result<(), String>,
) -> Result<(), String> {
    guarded(|| {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mask = ProjectionMask::roots(meta.parquet_schema(), roots.iter().copied());
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| e.to_string())?;
        for batch in reader {
            let batch = batch.map_err(|e| e.to_string())?;
            each(&batch)?;
        }
        Ok(())
    })
}

/// Reads top-level column `root` of row `row` only: its row group, and within it only the pages
/// that hold the row when the file has a page index.
pub fn read_row(
    path: &Path,
    meta: &ArrowReaderMetadata,
    root: usize,
    row: u64,
) -> Result<RecordBatch, String> {
    guarded(|| {
        let mut first = 0u64;
        let mut found = None;
        for (i, rg) in meta.metadata().row_groups().iter().enumerate() {
            let rows = u64::try_from(rg.num_rows()).unwrap_or(0);
            if row < first + rows {
                found = Some((i, row - first));
                break;
            }
            first += rows;
        }
        let (group, within) =
            found.ok_or_else(|| format!("row {row} is past the end of the file"))?;
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mask = ProjectionMask::roots(meta.parquet_schema(), [root]);
        let selection = RowSelection::from(vec![
            RowSelector::skip(within as usize),
            RowSelector::select(1),
        ]);
        let mut reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
            .with_projection(mask)
            .with_row_groups(vec![group])
            .with_row_selection(selection)
            .with_batch_size(1)
            .build()
            .map_err(|e| e.to_string())?;
        match reader.next() {
            Some(batch) => batch.map_err(|e| e.to_string()),
            None => Err(format!("row {row} could not be read")),
        }
    })
}
