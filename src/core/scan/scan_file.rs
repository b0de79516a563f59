//! Scan files: scan records as Parquet (the contract's columns, readable by pyarrow and pandas),
//! written in batches as the scan goes, and read back so `check --from-scan` can report without
//! touching any media. Files the loader could not use (not samples, so not rows) travel in the
//! file's key-value metadata under `spotcheck.unusable`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::check::{Problem, SampleNames};
use super::quality::ImageMeasures;
use super::record::ScanRecord;
use crate::core::media::{MediaKind, ProblemKind};

/// The metadata key holding the unusable files, as JSON `[{"file", "kind", "detail"}]`.
pub const UNUSABLE_KEY: &str = "spotcheck.unusable";

/// A scan file that cannot be written or read, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ScanFileError {
    /// Reading or writing failed.
    #[error("{path}: {detail}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The file is not a scan file, or a value in it is malformed.
    #[error("{path}: {detail}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the row when it is one row's.
        detail: String,
    },
}

fn schema(thumbnails: bool) -> Arc<Schema> {
    let utf8 = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    let int = |n: &str| Field::new(n, DataType::Int64, true);
    let float = |n: &str| Field::new(n, DataType::Float64, true);
    let mut fields = vec![
        utf8("file", false),
        utf8("split", true),
        utf8("label", true),
        utf8("kind", true),
        utf8("problem", true),
        utf8("detail", true),
        int("size_bytes"),
        utf8("xxh3_128", true),
        int("width"),
        int("height"),
        int("orientation"),
        utf8("phash", true),
        float("brightness"),
        float("contrast"),
        float("sharpness"),
        float("duration_s"),
        int("sample_rate"),
        int("channels"),
    ];
    if thumbnails {
        fields.push(Field::new("thumbnail", DataType::Binary, true));
    }
    Arc::new(Schema::new(fields))
}

/// Writes scan records to one Parquet file, batch by batch (a million rows never sit in memory).
pub struct ScanWriter {
    path: PathBuf,
    thumbnails: bool,
    writer: ArrowWriter<std::io::BufWriter<std::fs::File>>,
}

impl ScanWriter {
    /// Creates `path`; `thumbnails` adds the `thumbnail` column; `unusable` goes in the metadata.
    pub fn create(
        path: &Path,
        thumbnails: bool,
        unusable: &[Problem],
    ) -> Result<Self, ScanFileError> {
        let io = |e: &dyn std::fmt::Display| ScanFileError::Io {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let file = std::fs::File::create(path).map_err(|e| io(&e))?;
        let schema = schema(thumbnails);
        let unusable_json = serde_json::to_string(unusable).map_err(|e| io(&e))?;
        let props = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            // PNG thumbnails are compressed already: Snappy would only spend time on them.
            .set_column_compression(
                parquet::schema::types::ColumnPath::from("thumbnail"),
                parquet::basic::Compression::UNCOMPRESSED,
            )
            .set_key_value_metadata(Some(vec![KeyValue::new(
                UNUSABLE_KEY.to_string(),
                unusable_json,
            )]))
            .build();
        let writer = ArrowWriter::try_new(std::io::BufWriter::new(file), schema, Some(props))
            .map_err(|e| io(&e))?;
        Ok(Self {
            path: path.to_path_buf(),
            thumbnails,
            writer,
        })
    }

    /// Appends rows: `names[i]` names `records[i]`.
    pub fn write(
        &mut self,
        names: &[SampleNames],
        records: &[ScanRecord],
    ) -> Result<(), ScanFileError> {
        let batch = scan_batch(names, records, self.thumbnails).map_err(|e| ScanFileError::Io {
            path: self.path.clone(),
            detail: e.to_string(),
        })?;
        // Each batch is its own row group, written out now: thumbnails never pile up in memory.
        self.writer
            .write(&batch)
            .and_then(|()| self.writer.flush())
            .map_err(|e| ScanFileError::Io {
                path: self.path.clone(),
                detail: e.to_string(),
            })
    }

    /// Writes the footer; the file is complete only after this.
    pub fn finish(self) -> Result<(), ScanFileError> {
        let path = self.path;
        let inner = self.writer.into_inner().map_err(|e| ScanFileError::Io {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let file = inner.into_inner().map_err(|e| ScanFileError::Io {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        file.sync_all().map_err(|e| ScanFileError::Io {
            path,
            detail: e.to_string(),
        })
    }
}

/// Scan rows as one Arrow batch with the scan schema: `names[i]` names `records[i]`. What the
/// file writer writes, and what the Python package hands Beam (as Arrow IPC), so both write the
/// same columns the same way.
pub fn scan_batch(
    names: &[SampleNames],
    records: &[ScanRecord],
    thumbnails: bool,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = records.len();
    let mut file = StringBuilder::new();
    let mut split = StringBuilder::new();
    let mut label = StringBuilder::new();
    let mut kind = StringBuilder::new();
    let mut problem = StringBuilder::new();
    let mut detail = StringBuilder::new();
    let mut size_bytes = Int64Builder::with_capacity(n);
    let mut xxh3 = StringBuilder::new();
    let mut width = Int64Builder::with_capacity(n);
    let mut height = Int64Builder::with_capacity(n);
    let mut orientation = Int64Builder::with_capacity(n);
    let mut phash = StringBuilder::new();
    let mut brightness = Float64Builder::with_capacity(n);
    let mut contrast = Float64Builder::with_capacity(n);
    let mut sharpness = Float64Builder::with_capacity(n);
    let mut duration = Float64Builder::with_capacity(n);
    let mut rate = Int64Builder::with_capacity(n);
    let mut channels = Int64Builder::with_capacity(n);
    let mut thumbnail = BinaryBuilder::new();
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    for (name, r) in names.iter().zip(records) {
        file.append_value(&name.file);
        split.append_option(non_empty(&name.split));
        label.append_option(non_empty(&name.label));
        kind.append_option(r.kind_name());
        problem.append_option(r.problem.as_ref().map(|p| p.0.as_str()));
        detail.append_option(r.problem.as_ref().map(|p| p.1.as_str()));
        size_bytes.append_option(r.size_bytes.map(|v| v as i64));
        xxh3.append_option(r.xxh3_hex());
        width.append_option(r.size.map(|s| i64::from(s.0)));
        height.append_option(r.size.map(|s| i64::from(s.1)));
        orientation.append_option(r.orientation.map(i64::from));
        phash.append_option(r.phash_hex());
        brightness.append_option(r.measures.map(|m| m.brightness));
        contrast.append_option(r.measures.map(|m| m.contrast));
        sharpness.append_option(r.measures.map(|m| m.sharpness));
        duration.append_option(r.duration_s);
        rate.append_option(r.sample_rate.map(i64::from));
        channels.append_option(r.channels.map(i64::from));
        thumbnail.append_option(r.thumbnail.as_deref());
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(file.finish()),
        Arc::new(split.finish()),
        Arc::new(label.finish()),
        Arc::new(kind.finish()),
        Arc::new(problem.finish()),
        Arc::new(detail.finish()),
        Arc::new(size_bytes.finish()),
        Arc::new(xxh3.finish()),
        Arc::new(width.finish()),
        Arc::new(height.finish()),
        Arc::new(orientation.finish()),
        Arc::new(phash.finish()),
        Arc::new(brightness.finish()),
        Arc::new(contrast.finish()),
        Arc::new(sharpness.finish()),
        Arc::new(duration.finish()),
        Arc::new(rate.finish()),
        Arc::new(channels.finish()),
    ];
    if thumbnails {
        columns.push(Arc::new(thumbnail.finish()));
    }
    RecordBatch::try_new(schema(thumbnails), columns)
}

/// Scan rows read back: what `check --from-scan` aggregates.
#[derive(Debug, Default)]
pub struct ScanTable {
    /// How each row names its sample.
    pub names: Vec<SampleNames>,
    /// Each row's record (no thumbnails: they are not read).
    pub records: Vec<ScanRecord>,
    /// Files the scanned dataset's loader could not use.
    pub unusable: Vec<Problem>,
}

/// The scan files `arg` names: a file, a folder (its `.parquet` files, in name order), or a glob
/// whose `*` and `?` are in the file name.
pub fn scan_files(arg: &Path) -> Result<Vec<PathBuf>, ScanFileError> {
    let invalid = |detail: String| ScanFileError::Invalid {
        path: arg.to_path_buf(),
        detail,
    };
    if arg.is_file() {
        return Ok(vec![arg.to_path_buf()]);
    }
    let (dir, pattern) = if arg.is_dir() {
        (arg.to_path_buf(), "*.parquet".to_string())
    } else {
        let name = arg
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| n.contains(['*', '?']))
            .ok_or_else(|| invalid("no such file or folder".into()))?;
        let dir = arg
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (dir.to_path_buf(), name.to_string())
    };
    let entries = std::fs::read_dir(&dir).map_err(|e| ScanFileError::Io {
        path: dir.clone(),
        detail: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| glob_match(pattern.as_bytes(), n.as_bytes()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(invalid(format!("no scan files match {pattern}")));
    }
    Ok(files)
}

/// `*` and `?` wildcard matching on bytes.
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.split_first(), name.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            glob_match(rest, name) || (!name.is_empty() && glob_match(pattern, &name[1..]))
        }
        (Some((b'?', rest)), Some((_, tail))) => glob_match(rest, tail),
        (Some((p, rest)), Some((n, tail))) => p == n && glob_match(rest, tail),
        _ => false,
    }
}

/// Reads scan files in order into one table.
pub fn read_scan_files(paths: &[PathBuf]) -> Result<ScanTable, ScanFileError> {
    let mut table = ScanTable::default();
    for path in paths {
        // A malformed file can panic inside the Parquet reader: caught, it is an error naming
        // the file like any other.
        let mut part = ScanTable::default();
        let outcome = crate::core::data::load::hf::guarded(|| {
            read_scan_file(path, &mut part).map_err(|e| e.to_string())
        });
        if let Err(detail) = outcome {
            let prefix = format!("{}: ", path.display());
            return Err(ScanFileError::Invalid {
                path: path.clone(),
                detail: detail.strip_prefix(&prefix).unwrap_or(&detail).to_string(),
            });
        }
        table.names.append(&mut part.names);
        table.records.append(&mut part.records);
        table.unusable.append(&mut part.unusable);
    }
    Ok(table)
}

fn read_scan_file(path: &Path, table: &mut ScanTable) -> Result<(), ScanFileError> {
    let invalid = |detail: String| ScanFileError::Invalid {
        path: path.to_path_buf(),
        detail,
    };
    let file = std::fs::File::open(path).map_err(|e| ScanFileError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| invalid(format!("not a Parquet file: {e}")))?;
    if let Some(kv) = builder.metadata().file_metadata().key_value_metadata()
        && let Some(json) = kv
            .iter()
            .find(|kv| kv.key == UNUSABLE_KEY)
            .and_then(|kv| kv.value.as_deref())
    {
        let listed: Vec<UnusableEntry> = serde_json::from_str(json)
            .map_err(|e| invalid(format!("{UNUSABLE_KEY} metadata: {e}")))?;
        for u in listed {
            table.unusable.push(Problem {
                file: u.file,
                kind: parse_kind(&u.kind).ok_or_else(|| {
                    invalid(format!("{UNUSABLE_KEY}: unknown problem kind {:?}", u.kind))
                })?,
                detail: u.detail,
            });
        }
    }
    let schema = builder.schema().clone();
    for needed in ["file", "xxh3_128", "phash"] {
        if schema.column_with_name(needed).is_none() {
            return Err(invalid(format!(
                "not a scan file: no `{needed}` column (write one with `spotcheck scan`)"
            )));
        }
    }
    // Everything but the thumbnails.
    let wanted: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| schema.field(i).name() != "thumbnail")
        .collect();
    let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), wanted);
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    let mut row = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| invalid(format!("after row {row}: {e}")))?;
        let cols = Columns::of(&batch).map_err(&invalid)?;
        for r in 0..batch.num_rows() {
            let at =
                |what: &str, detail: String| invalid(format!("row {}: {what}: {detail}", row + r));
            let problem = match cols.text("problem", r) {
                Some(k) => Some((
                    parse_kind(k).ok_or_else(|| at("problem", format!("unknown kind {k:?}")))?,
                    cols.text("detail", r).unwrap_or_default().to_string(),
                )),
                None => None,
            };
            let xxh3_128 = cols
                .text("xxh3_128", r)
                .map(|h| u128::from_str_radix(h, 16).map_err(|e| at("xxh3_128", e.to_string())))
                .transpose()?;
            let phash = cols
                .text("phash", r)
                .map(|h| u64::from_str_radix(h, 16).map_err(|e| at("phash", e.to_string())))
                .transpose()?;
            let measures = phash.map(|phash| ImageMeasures {
                phash,
                brightness: cols.float("brightness", r).unwrap_or(f64::NAN),
                contrast: cols.float("contrast", r).unwrap_or(f64::NAN),
                sharpness: cols.float("sharpness", r).unwrap_or(f64::NAN),
            });
            let uint = |name: &str| cols.int(name, r).and_then(|v| u32::try_from(v).ok());
            table.names.push(SampleNames {
                file: cols
                    .text("file", r)
                    .ok_or_else(|| at("file", "null".into()))?
                    .to_string(),
                split: cols.text("split", r).unwrap_or_default().to_string(),
                label: cols.text("label", r).unwrap_or_default().to_string(),
            });
            table.records.push(ScanRecord {
                kind: match cols.text("kind", r) {
                    Some("image") => Some(MediaKind::Image),
                    Some("audio") => Some(MediaKind::Audio),
                    _ => None,
                },
                problem,
                size_bytes: cols
                    .int("size_bytes", r)
                    .and_then(|v| u64::try_from(v).ok()),
                xxh3_128,
                size: uint("width").zip(uint("height")),
                orientation: cols
                    .int("orientation", r)
                    .and_then(|v| u8::try_from(v).ok()),
                measures,
                duration_s: cols.float("duration_s", r),
                sample_rate: uint("sample_rate"),
                channels: uint("channels"),
                thumbnail: None,
            });
        }
        row += batch.num_rows();
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct UnusableEntry {
    file: String,
    kind: String,
    detail: String,
}

fn parse_kind(s: &str) -> Option<ProblemKind> {
    [
        ProblemKind::Missing,
        ProblemKind::Empty,
        ProblemKind::Unreadable,
        ProblemKind::Unsupported,
    ]
    .into_iter()
    .find(|k| k.as_str() == s)
}

/// A batch's columns by name, typed as the contract says (absent columns read as null).
struct Columns<'a> {
    batch: &'a RecordBatch,
}

impl<'a> Columns<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, String> {
        for f in batch.schema().fields() {
            let ok = match f.name().as_str() {
                "file" | "split" | "label" | "kind" | "problem" | "detail" | "xxh3_128"
                | "phash" => matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8),
                "size_bytes" | "width" | "height" | "orientation" | "sample_rate" | "channels" => {
                    matches!(f.data_type(), DataType::Int64)
                }
                "brightness" | "contrast" | "sharpness" | "duration_s" => {
                    f.data_type().is_floating()
                }
                _ => true,
            };
            if !ok {
                return Err(format!(
                    "column `{}` has type {}, not the scan file's",
                    f.name(),
                    f.data_type()
                ));
            }
        }
        Ok(Self { batch })
    }

    fn column(&self, name: &str) -> Option<&'a ArrayRef> {
        self.batch.column_by_name(name)
    }

    fn text(&self, name: &str, r: usize) -> Option<&'a str> {
        let c = self.column(name)?;
        if c.is_null(r) {
            return None;
        }
        match c.data_type() {
            DataType::Utf8 => Some(c.as_string::<i32>().value(r)),
            DataType::LargeUtf8 => Some(c.as_string::<i64>().value(r)),
            _ => None,
        }
    }

    fn int(&self, name: &str, r: usize) -> Option<i64> {
        let c = self.column(name)?;
        if c.is_null(r) {
            return None;
        }
        Some(
            c.as_primitive_opt::<arrow_array::types::Int64Type>()?
                .value(r),
        )
    }

    fn float(&self, name: &str, r: usize) -> Option<f64> {
        let c = self.column(name)?;
        if c.is_null(r) {
            return None;
        }
        match c.data_type() {
            DataType::Float64 => Some(c.as_primitive::<arrow_array::types::Float64Type>().value(r)),
            DataType::Float32 => Some(f64::from(
                c.as_primitive::<arrow_array::types::Float32Type>().value(r),
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names() {
        assert!(glob_match(
            b"scan-*-of-*.parquet",
            b"scan-00000-of-00002.parquet"
        ));
        assert!(!glob_match(b"scan-*.parquet", b"scan-1.csv"));
        assert!(glob_match(b"a?c", b"abc"));
    }

    #[test]
    fn records_survive_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.parquet");
        let records = vec![
            ScanRecord {
                kind: Some(MediaKind::Image),
                size_bytes: Some(12),
                xxh3_128: Some(u128::MAX - 5),
                size: Some((640, 480)),
                orientation: Some(6),
                measures: Some(ImageMeasures {
                    phash: 0x8000_0000_0000_0001,
                    brightness: 0.25,
                    contrast: 0.5,
                    sharpness: 99.5,
                }),
                thumbnail: Some(vec![1, 2, 3]),
                ..ScanRecord::default()
            },
            ScanRecord {
                kind: Some(MediaKind::Audio),
                problem: Some((ProblemKind::Unreadable, "cut off".into())),
                size_bytes: Some(3),
                ..ScanRecord::default()
            },
        ];
        let names = vec![
            SampleNames {
                file: "cat/a.jpg".into(),
                split: "train".into(),
                label: "cat".into(),
            },
            SampleNames {
                file: "b.wav".into(),
                ..SampleNames::default()
            },
        ];
        let unusable = vec![Problem {
            file: "x.jpg".into(),
            kind: ProblemKind::Unsupported,
            detail: "why".into(),
        }];
        let mut w = ScanWriter::create(&path, true, &unusable).unwrap();
        w.write(&names, &records).unwrap();
        w.finish().unwrap();
        let table = read_scan_files(&[path]).unwrap();
        assert_eq!(table.names, names);
        let mut expected = records;
        expected[0].thumbnail = None;
        assert_eq!(table.records, expected);
        assert_eq!(table.unusable, unusable);
    }

    #[test]
    fn a_file_without_scan_columns_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain.parquet");
        let schema = Arc::new(Schema::new(vec![Field::new("file", DataType::Utf8, false)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(arrow_array::StringArray::from(vec!["a"]))],
        )
        .unwrap();
        let mut w =
            ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let err = read_scan_files(std::slice::from_ref(&path))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("plain.parquet") && err.contains("xxh3_128"),
            "{err}"
        );
    }
}
