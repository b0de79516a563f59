//! Writing label edits back into Hugging Face shards (Parquet or Arrow streams): only the shards
//! holding edited rows are rewritten, and in them only the label values change. Every other column,
//! the schema and its `huggingface` metadata, row-group (or batch) sizes and each column's
//! compression are kept; a new class is appended to the ClassLabel `names` (ids stay as they were).
//! Each shard is replaced like a manifest (temporary file, stamp check, rename); the original is
//! kept under `.spotcheck/backup/`, never beside the shards, where `datasets` would read it as data.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, Int64Array, LargeStringArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::core::data::dataset::Dataset;
use crate::core::data::hf_source::{HfSource, LabelEncoding, ShardFormat};
use crate::core::data::load::hf::guarded;

use super::replace::{read_manifest, replace_checked_into};
use super::replay::Pending;
use super::store::AppliedEdit;
use super::write_back::ManifestOutcome;

/// How a label is written into the label column.
enum LabelWriter {
    /// ClassLabel ids; `names` extended with any new class.
    Ids { names: Vec<String>, grew: bool },
    /// Strings as they are (or, in an integer column, integers whose text is the class name).
    Strings,
}

impl LabelWriter {
    fn value(&self, label: Option<&str>) -> Result<Cell, String> {
        match (self, label) {
            (Self::Ids { .. }, None) => Ok(Cell::Int(Some(-1))),
            (Self::Ids { names, .. }, Some(l)) => names
                .iter()
                .position(|n| n == l)
                .map(|i| Cell::Int(Some(i as i64)))
                .ok_or_else(|| format!("{l} is not a ClassLabel name")),
            (Self::Strings, l) => Ok(Cell::Text(l.map(str::to_string))),
        }
    }
}

enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
}

/// Rewrites the shards holding `rows`' samples with their new labels.
pub(crate) fn rewrite_shards(
    src: &HfSource,
    dataset: &Dataset,
    rows: &[Pending],
) -> Result<ManifestOutcome, String> {
    let Some((column, encoding)) = &src.label else {
        return Err("the dataset has no label column to write into".into());
    };
    let mut writer = match encoding {
        LabelEncoding::ClassLabel(names) => LabelWriter::Ids {
            names: names.clone(),
            grew: false,
        },
        LabelEncoding::Plain => LabelWriter::Strings,
    };
    let mut out = ManifestOutcome::default();
    // Shard -> (row in shard -> edit).
    let mut by_shard: BTreeMap<usize, Vec<(u64, &Pending)>> = BTreeMap::new();
    for p in rows {
        match dataset.source_line(p.sample).and_then(|r| src.locate(r)) {
            Some((shard, row)) => by_shard.entry(shard).or_default().push((row, p)),
            None => out
                .kept
                .push((p.clone(), "its row is in no shard any more".into())),
        }
    }
    // New classes extend the ClassLabel names, in byte order after the existing ones.
    if let LabelWriter::Ids { names, grew } = &mut writer {
        let mut new: Vec<&str> = rows
            .iter()
            .filter_map(|p| p.to.as_deref())
            .filter(|l| !names.iter().any(|n| n == l))
            .collect();
        new.sort_unstable();
        new.dedup();
        *grew = !new.is_empty();
        names.extend(new.into_iter().map(str::to_string));
        if *grew {
            // Every shard's schema must name the new class, edited rows or not.
            for i in 0..src.shards.len() {
                by_shard.entry(i).or_default();
            }
        }
    }
    let backup_root = dataset.root().join(".spotcheck").join("backup");
    for (shard_idx, edits) in by_shard {
        let Some(shard) = src.shards.get(shard_idx) else {
            continue;
        };
        let backup_dir = match Path::new(&shard.name).parent() {
            Some(p) if !p.as_os_str().is_empty() => backup_root.join(p),
            _ => backup_root.clone(),
        };
        match rewrite_one(
            src.format,
            &shard.path,
            column,
            &mut writer,
            &edits,
            &backup_dir,
        ) {
            Ok((backup, kept)) => {
                let kept_seqs: Vec<i64> = kept.iter().map(|(p, _)| p.seq).collect();
                out.kept.extend(kept);
                out.applied.extend(
                    edits
                        .iter()
                        .filter(|(_, p)| !kept_seqs.contains(&p.seq))
                        .map(|(_, p)| AppliedEdit {
                            file: p.file.clone(),
                            to: p.to.clone(),
                            seq: p.seq,
                            moved_to: None,
                        }),
                );
                out.backup = out.backup.or(backup);
            }
            Err(why) => out.kept.extend(
                edits
                    .iter()
                    .map(|(_, p)| ((*p).clone(), format!("{}: {why}", shard.name))),
            ),
        }
    }
    if let LabelWriter::Ids { names, grew: true } = &writer
        && !out.applied.is_empty()
    {
        // save_to_disk keeps the features beside each split's shards too.
        for dir in src
            .shards
            .iter()
            .filter_map(|s| s.path.parent())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let info = dir.join("dataset_info.json");
            if info.is_file() {
                let rel = dir.strip_prefix(dataset.root()).unwrap_or(Path::new(""));
                update_info_file(&info, column, names, &backup_root.join(rel))?;
            }
        }
    }
    Ok(out)
}

/// The `huggingface` (or `dataset_info.json`) JSON with the label feature's names replaced.
fn with_names(json: &str, column: &str, names: &[String]) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(json).ok()?;
    let features = if v.get("info").is_some() {
        v.get_mut("info")?.get_mut("features")?
    } else {
        v.get_mut("features")?
    };
    let feature = features.get_mut(column)?;
    feature["names"] = serde_json::Value::from(names.to_vec());
    serde_json::to_string(&v).ok()
}

fn update_info_file(
    path: &Path,
    column: &str,
    names: &[String],
    backup_dir: &Path,
) -> Result<(), String> {
    let read = read_manifest(path)?;
    let text = String::from_utf8_lossy(&read.bytes);
    let Some(new) = with_names(&text, column, names) else {
        return Ok(());
    };
    replace_checked_into(&read, new.as_bytes(), Some(backup_dir)).map(|_| ())
}

/// The schema with its `huggingface` metadata naming `names`.
fn schema_with_names(schema: &Schema, column: &str, writer: &LabelWriter) -> SchemaRef {
    let mut metadata = schema.metadata().clone();
    if let LabelWriter::Ids { names, grew: true } = writer
        && let Some(json) = metadata.get("huggingface")
        && let Some(new) = with_names(json, column, names)
    {
        metadata.insert("huggingface".to_string(), new);
    }
    Arc::new(Schema::new_with_metadata(schema.fields().clone(), metadata))
}

/// Rewrites one shard; returns the backup and the edits that stay pending (with the reason).
#[allow(clippy::type_complexity)]
fn rewrite_one(
    format: ShardFormat,
    path: &Path,
    column: &str,
    writer: &mut LabelWriter,
    edits: &[(u64, &Pending)],
    backup_dir: &Path,
) -> Result<(Option<std::path::PathBuf>, Vec<(Pending, String)>), String> {
    let mut read = read_manifest(path)?;
    let mut kept = Vec::new();
    let mut changes: BTreeMap<u64, Cell> = BTreeMap::new();
    for (row, p) in edits {
        match writer.value(p.to.as_deref()) {
            Ok(cell) => {
                changes.insert(*row, cell);
            }
            Err(why) => kept.push(((*p).clone(), why)),
        }
    }
    // The shard's bytes move into the reader (no second copy; the replace needs only its stamp).
    let bytes = bytes::Bytes::from(std::mem::take(&mut read.bytes));
    let mut first_row = 0u64;
    let mut stale = Vec::new();
    // The batch with its label column replaced, under `schema` (the shard's, with new class names).
    let mut relabel = |batch: &RecordBatch,
                       writer: &LabelWriter,
                       schema: &SchemaRef|
     -> Result<RecordBatch, String> {
        let idx = batch
            .schema()
            .index_of(column)
            .map_err(|_| format!("has no column `{column}` any more"))?;
        let old = batch.column(idx);
        let n = batch.num_rows() as u64;
        let here: Vec<(u64, &Cell)> = changes
            .range(first_row..first_row + n)
            .map(|(r, c)| (r - first_row, c))
            .collect();
        // The row must still hold the label the edit was made from.
        for (r, _) in &here {
            let (_, p) = edits
                .iter()
                .find(|(row, _)| *row == first_row + r)
                .ok_or("an edit without its row")?;
            let now = label_text(old.as_ref(), *r as usize, writer);
            if now.as_deref() != p.from.as_deref() {
                stale.push(p.seq);
            }
        }
        let new = replace_cells(old, &here, writer)?;
        let mut columns = batch.columns().to_vec();
        columns[idx] = new;
        first_row += n;
        RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
    };
    let out: Vec<u8> = guarded(|| match format {
        ShardFormat::Parquet => {
            let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
                .map_err(|e| e.to_string())?;
            let meta = builder.metadata().clone();
            let schema = schema_with_names(builder.schema(), column, writer);
            let mut props = WriterProperties::builder();
            let mut largest = 1usize;
            if let Some(rg) = meta.row_groups().first() {
                for c in rg.columns() {
                    props = props.set_column_compression(c.column_path().clone(), c.compression());
                }
            }
            for rg in meta.row_groups() {
                largest = largest.max(usize::try_from(rg.num_rows()).unwrap_or(1));
            }
            let kv: Vec<KeyValue> = meta
                .file_metadata()
                .key_value_metadata()
                // The writer writes the schema's own metadata (the updated `huggingface` among it).
                .map(|kv| {
                    kv.iter()
                        .filter(|k| {
                            k.key != "ARROW:schema" && !schema.metadata().contains_key(&k.key)
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let props = props
                .set_max_row_group_row_count(Some(largest))
                .set_key_value_metadata((!kv.is_empty()).then_some(kv))
                .build();
            let mut buf = Vec::with_capacity(bytes.len());
            let mut w = ArrowWriter::try_new(&mut buf, schema.clone(), Some(props))
                .map_err(|e| e.to_string())?;
            for g in 0..meta.num_row_groups() {
                // The claimed row count only sizes batches (bounded): a group may come as several.
                let rows = usize::try_from(meta.row_group(g).num_rows())
                    .unwrap_or(0)
                    .clamp(1, 1 << 16);
                let reader = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
                    .map_err(|e| e.to_string())?
                    .with_row_groups(vec![g])
                    .with_batch_size(rows)
                    .build()
                    .map_err(|e| e.to_string())?;
                for batch in reader {
                    let batch = batch.map_err(|e| e.to_string())?;
                    w.write(&relabel(&batch, writer, &schema)?)
                        .map_err(|e| e.to_string())?;
                }
                // One row group in, one row group out.
                w.flush().map_err(|e| e.to_string())?;
            }
            w.close().map_err(|e| e.to_string())?;
            Ok(buf)
        }
        ShardFormat::ArrowStream => {
            let reader =
                arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes.clone()), None)
                    .map_err(|e| e.to_string())?;
            let schema = schema_with_names(&reader.schema(), column, writer);
            let mut buf = Vec::with_capacity(bytes.len());
            let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut buf, &schema)
                .map_err(|e| e.to_string())?;
            for batch in reader {
                let batch = batch.map_err(|e| e.to_string())?;
                w.write(&relabel(&batch, writer, &schema)?)
                    .map_err(|e| e.to_string())?;
            }
            w.finish().map_err(|e| e.to_string())?;
            drop(w);
            Ok(buf)
        }
    })?;
    if !stale.is_empty() {
        return Err(format!(
            "{} edited row(s) no longer hold the label they were edited from (the file changed since it was read); nothing written",
            stale.len()
        ));
    }
    let backup = replace_checked_into(&read, &out, Some(backup_dir))?;
    Ok((Some(backup), kept))
}

/// The label text of row `r` as the writer encodes labels.
fn label_text(array: &dyn Array, r: usize, writer: &LabelWriter) -> Option<String> {
    if array.is_null(r) {
        return None;
    }
    match (writer, array.data_type()) {
        (LabelWriter::Ids { names, .. }, DataType::Int64) => {
            let id = array.as_primitive::<Int64Type>().value(r);
            usize::try_from(id).ok().and_then(|i| names.get(i)).cloned()
        }
        (_, DataType::Utf8) => {
            Some(array.as_string::<i32>().value(r).to_string()).filter(|s| !s.is_empty())
        }
        (_, DataType::LargeUtf8) => {
            Some(array.as_string::<i64>().value(r).to_string()).filter(|s| !s.is_empty())
        }
        (_, DataType::Int64) => Some(array.as_primitive::<Int64Type>().value(r).to_string()),
        _ => None,
    }
}

/// `old` with rows `changes` replaced, same type.
fn replace_cells(
    old: &ArrayRef,
    changes: &[(u64, &Cell)],
    writer: &LabelWriter,
) -> Result<ArrayRef, String> {
    if changes.is_empty() {
        return Ok(old.clone());
    }
    let at = |i: usize| {
        changes
            .iter()
            .find(|(r, _)| *r as usize == i)
            .map(|(_, c)| *c)
    };
    match old.data_type() {
        DataType::Int64 => {
            let a = old.as_primitive::<Int64Type>();
            let mut v = Vec::with_capacity(a.len());
            for i in 0..a.len() {
                v.push(match at(i) {
                    Some(Cell::Int(x)) => *x,
                    Some(Cell::Text(None)) => None,
                    // A plain integer label column: the class name must be a number.
                    Some(Cell::Text(Some(t))) => Some(t.parse::<i64>().map_err(|_| {
                        format!("the label column holds integers; {t:?} is not one")
                    })?),
                    None => a.is_valid(i).then(|| a.value(i)),
                });
            }
            Ok(Arc::new(Int64Array::from(v)))
        }
        DataType::Utf8 => {
            let a = old.as_string::<i32>();
            let v: StringArray = (0..a.len())
                .map(|i| match at(i) {
                    Some(Cell::Text(t)) => t.clone(),
                    _ => a.is_valid(i).then(|| a.value(i).to_string()),
                })
                .collect();
            Ok(Arc::new(v))
        }
        DataType::LargeUtf8 => {
            let a = old.as_string::<i64>();
            let v: LargeStringArray = (0..a.len())
                .map(|i| match at(i) {
                    Some(Cell::Text(t)) => t.clone(),
                    _ => a.is_valid(i).then(|| a.value(i).to_string()),
                })
                .collect();
            Ok(Arc::new(v))
        }
        other => {
            let _ = writer;
            Err(format!("cannot write labels into a column of type {other}"))
        }
    }
}
