//! The mergeable pieces of `stats` for a distributed pipeline. Rows of the manifest and predictions
//! shards are routed to buckets by a hash of their file name, so every row naming a file lands in
//! the same bucket (a bucket then joins and deduplicates exactly as the loader does); each bucket is
//! loaded with the core's own loaders and summarised as a `StatsPartial` (JSON text, so Beam can
//! move and merge it); partials merge exactly; temperature passes refine T; `finish_stats` gives
//! the `stats --json` document.

use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use spotcheck::core::analysis::stats_partial::{
    PartialError, ScoredRows, StatsPartial, TemperaturePartial, finish, grid as temperature_grid,
};
use spotcheck::core::data::dataset::Dataset;
use spotcheck::core::data::error::LoadError;
use spotcheck::core::data::load::{
    CsvReader, FILE_COLUMNS, JsonlReader, PredictionKind, Predictions, Record, find_column,
    normalize_sample_path, open_with, parquet_predictions_as_csv, parse_predictions,
    predictions_columns, read_csv_header,
};
use spotcheck::core::data::warnings::Warnings;

fn bytes_arg<'a>(data: &'a Bound<'_, PyAny>, what: &str) -> PyResult<&'a [u8]> {
    data.cast::<PyBytes>()
        .map(|b| b.as_bytes())
        .map_err(|_| PyTypeError::new_err(format!("{what} must be bytes")))
}

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A shard's header line and its data rows by bucket (raw bytes, quoting kept). JSON Lines shards
/// have no header: theirs is empty, which no CSV header can be (it names the file column), so an
/// empty header is how a bucket knows to write its rows back as JSON Lines.
type Buckets = (Vec<u8>, Vec<(u32, Vec<u8>)>);

/// Which bucket a sample identity (the file column's value) belongs to.
fn bucket_of(file: &str, buckets: u32) -> usize {
    let identity = normalize_sample_path(file, Path::new(""));
    (xxhash_bucket(&identity) % u64::from(buckets)) as usize
}

/// The buckets that got rows, numbered.
fn numbered(out: Vec<Vec<u8>>) -> Vec<(u32, Vec<u8>)> {
    out.into_iter()
        .enumerate()
        .filter(|(_, r)| !r.is_empty())
        .map(|(b, r)| (b as u32, r))
        .collect()
}

fn bucket_csv(data: &[u8], name: &str, buckets: u32) -> Result<Buckets, String> {
    let path = Path::new(name);
    let mut reader = CsvReader::new(std::io::Cursor::new(data), path, None);
    let mut warnings = Warnings::default();
    let (header, names) = read_csv_header(&mut reader, &mut warnings, "a header naming file_name")
        .map_err(|e| e.to_string())?;
    let file = find_column(&names, FILE_COLUMNS).ok_or_else(|| {
        format!(
            "{name}: no file column (expected one of {})",
            FILE_COLUMNS.join(", ")
        )
    })?;
    let raw = |rec: &Record| -> Vec<u8> {
        let start = rec.raw_span(0).map_or(0, |s| s.0) as usize;
        let end = rec.content_end() as usize;
        data.get(start..end).unwrap_or_default().to_vec()
    };
    let header_line = raw(&header);
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); buckets as usize];
    let mut rec = Record::default();
    while reader.read_record(&mut rec).map_err(|e| e.to_string())? {
        let f = rec.str(file, path, "file").map_err(|e| e.to_string())?;
        if let Some(rows) = out.get_mut(bucket_of(f, buckets)) {
            rows.extend_from_slice(&raw(&rec));
            rows.push(b'\n');
        }
    }
    Ok((header_line, numbered(out)))
}

/// As [`bucket_csv`] for a JSON Lines manifest shard: every object needs a file key (`file_name`, ...) holding
/// a string; its line goes to its bucket as written. The header is empty. An empty shard is allowed,
/// as a CSV shard with only its header is.
fn bucket_jsonl(data: &[u8], name: &str, buckets: u32) -> Result<Buckets, String> {
    let path = Path::new(name);
    let mut reader = JsonlReader::from_reader(data, path);
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); buckets as usize];
    while let Some((at, obj)) = reader.next_object().map_err(|e| e.to_string())? {
        let Some(key) = FILE_COLUMNS.iter().find(|k| obj.contains_key(**k)) else {
            return Err(format!(
                "{name}:{at}: no file key (expected one of {}); the Beam stats routes rows by file",
                FILE_COLUMNS.join(", ")
            ));
        };
        let Some(f) = obj.get(*key).and_then(|v| v.as_str()) else {
            return Err(format!("{name}:{at}: {key:?} must be a string"));
        };
        if let Some(rows) = out.get_mut(bucket_of(f, buckets)) {
            rows.extend_from_slice(reader.last_line());
            rows.push(b'\n');
        }
    }
    Ok((Vec::new(), numbered(out)))
}

/// A JSON Lines predictions shard as CSV lines (as [`bucket_parquet`] does), under a header of the
/// columns the loader reads among the shard's first object's keys (file, then values; extra keys
/// dropped): the loader takes a JSONL predictions file's columns from its first object, so every
/// bucket must read the shard's first object's columns, not its own first row's;
/// and a bucket with no prediction row still needs a predictions part that parses (a header alone).
/// Strings go as they are, numbers as serde_json writes them (the shortest form of the f64 it read,
/// so the CSV reader gets the same bits), null or a missing key as an empty cell (the loader
/// refuses both either way). An empty shard gives an empty header: it adds no row and no columns.
fn bucket_jsonl_predictions(data: &[u8], name: &str, buckets: u32) -> Result<Buckets, String> {
    use spotcheck::core::data::load::{quote_field, value_text};
    let path = Path::new(name);
    let mut reader = JsonlReader::from_reader(data, path);
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); buckets as usize];
    let mut columns: Option<(Vec<String>, String)> = None;
    let mut line = Vec::new();
    while let Some((at, obj)) = reader.next_object().map_err(|e| e.to_string())? {
        let (keys, file_key) = match &columns {
            Some(c) => c,
            None => {
                let names: Vec<String> = obj.keys().cloned().collect();
                let kept =
                    predictions_columns(&names, path).map_err(|e| format!("{e} (line {at})"))?;
                let keys: Vec<String> = kept.iter().map(|&i| names[i].clone()).collect();
                let file_key = keys.first().cloned().unwrap_or_default();
                columns.insert((keys, file_key))
            }
        };
        let Some(f) = obj.get(file_key).and_then(|v| v.as_str()) else {
            return Err(format!("{name}:{at}: {file_key:?} must be a string"));
        };
        line.clear();
        for (k, key) in keys.iter().enumerate() {
            if k > 0 {
                line.push(b',');
            }
            let text = obj.get(key).map(value_text).unwrap_or_default();
            line.extend_from_slice(quote_field(&text, false).as_bytes());
        }
        if let Some(rows) = out.get_mut(bucket_of(f, buckets)) {
            rows.extend_from_slice(&line);
            rows.push(b'\n');
        }
    }
    let header = columns.map_or_else(Vec::new, |(keys, _)| {
        keys.iter()
            .map(|k| quote_field(k, false).into_owned())
            .collect::<Vec<_>>()
            .join(",")
            .into_bytes()
    });
    Ok((header, numbered(out)))
}

fn xxhash_bucket(identity: &str) -> u64 {
    spotcheck::core::data::sample_files::path_hash(identity)
}

/// As [`bucket_csv`] for a Parquet predictions shard: its rows become CSV lines under a header of its
/// file and value columns (values in a form that parses back to the same bits), so Parquet and CSV
/// shards with the same columns mix. The Parquet reader needs a file: the bytes go to a temporary
/// one, removed when done.
fn bucket_parquet(data: &[u8], name: &str, buckets: u32) -> Result<Buckets, String> {
    let dir = TempDir::new("shard").map_err(|e| format!("cannot write a temporary file: {e}"))?;
    let local = dir.0.join("shard.parquet");
    std::fs::write(&local, data).map_err(|e| format!("cannot write a temporary file: {e}"))?;
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); buckets as usize];
    let header = parquet_predictions_as_csv(&local, |file, line| {
        if let Some(rows) = out.get_mut(bucket_of(file, buckets)) {
            rows.extend_from_slice(line);
            rows.push(b'\n');
        }
    })
    .map_err(|e| e.to_string().replace(&local.display().to_string(), name))?;
    Ok((header, numbered(out)))
}

/// A temporary folder of this process, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> std::io::Result<Self> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "spotcheck-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // A new folder, never one that is already there (the name is predictable).
        std::fs::create_dir(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Splits a shard (manifest or predictions: CSV, JSON Lines, or for predictions Parquet) into
/// buckets by its file column: returns the header line (empty for JSON Lines) and `(bucket, rows)`
/// pairs for the buckets that got rows.
#[pyfunction]
#[pyo3(signature = (data, name, buckets, predictions = false))]
pub fn bucket_shard(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    name: &str,
    buckets: u32,
    predictions: bool,
) -> PyResult<Buckets> {
    if buckets == 0 {
        return Err(PyValueError::new_err("buckets must be at least 1"));
    }
    let data = bytes_arg(data, "data")?;
    let lower = name.to_ascii_lowercase();
    let split: fn(&[u8], &str, u32) -> Result<Buckets, String> = if lower.ends_with(".csv") {
        bucket_csv
    } else if (lower.ends_with(".jsonl") || lower.ends_with(".ndjson")) && predictions {
        bucket_jsonl_predictions
    } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
        bucket_jsonl
    } else if lower.ends_with(".parquet") && predictions {
        bucket_parquet
    } else {
        let formats = if predictions {
            "CSV shards (each with its header), JSON Lines (.jsonl, .ndjson) or Parquet"
        } else {
            "CSV shards (each with its header) or JSON Lines (.jsonl, .ndjson); a Parquet \
             manifest's class ids and names do not travel as rows"
        };
        return Err(PyValueError::new_err(format!(
            "{name}: the Beam stats reads {formats}"
        )));
    };
    py.detach(|| split(data, name, buckets))
        .map_err(PyValueError::new_err)
}

/// One bucket's rows: the header all its shards share and the rows of every shard.
struct BucketFiles {
    _dir: TempDir,
    manifest: PathBuf,
    predictions: Option<PathBuf>,
    label: String,
}

/// The file name a bucket's part is written under: its extension tells the loader the format.
fn part_name(stem: &str, header: &[u8]) -> String {
    if header.is_empty() {
        format!("{stem}.jsonl")
    } else {
        format!("{stem}.csv")
    }
}

fn write_part(path: &Path, header: &[u8], rows: &[Vec<u8>]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    if !header.is_empty() {
        f.write_all(header)?;
        f.write_all(b"\n")?;
    }
    for r in rows {
        f.write_all(r)?;
    }
    f.flush()
}

/// A bucket as two small files the core's loaders read (a temporary folder, removed on drop).
fn bucket_files(
    bucket: u32,
    manifest: &(Vec<u8>, Vec<Vec<u8>>),
    predictions: Option<&(Vec<u8>, Vec<Vec<u8>>)>,
) -> std::io::Result<BucketFiles> {
    let temp = TempDir::new(&format!("bucket-{bucket}"))?;
    let dir = &temp.0;
    let manifest_path = dir.join(part_name("manifest", &manifest.0));
    write_part(&manifest_path, &manifest.0, &manifest.1)?;
    let predictions_path = match predictions {
        Some(p) => {
            let path = dir.join(part_name("predictions", &p.0));
            write_part(&path, &p.0, &p.1)?;
            Some(path)
        }
        None => None,
    };
    Ok(BucketFiles {
        _dir: temp,
        manifest: manifest_path,
        predictions: predictions_path,
        label: format!("bucket {bucket}"),
    })
}

/// Loads a bucket with the core's loaders; errors name the bucket instead of the temporary files.
/// `classes` are the whole dataset's label classes, declared before the predictions are joined: a
/// bucket that happens to have no sample of a class must still map that class's column.
fn load_bucket(
    files: &BucketFiles,
    classes: &[String],
) -> Result<(Dataset, Option<Predictions>), String> {
    let mut warnings = Warnings::default();
    open_with(
        &files.manifest,
        files.predictions.as_deref(),
        None,
        &mut warnings,
        |dataset: &mut Dataset, _: &mut Warnings| -> Result<(), LoadError> {
            dataset.ensure_classes(classes.iter().map(String::as_str));
            Ok(())
        },
    )
    .map_err(|e| {
        let mut text = e.to_string();
        text = text.replace(
            &files.manifest.display().to_string(),
            &format!("the manifest ({})", files.label),
        );
        if let Some(p) = &files.predictions {
            text = text.replace(
                &p.display().to_string(),
                &format!("the predictions ({})", files.label),
            );
        }
        text
    })
}

type Part = (Vec<u8>, Vec<Vec<u8>>);

fn with_bucket<T>(
    bucket: u32,
    manifest: Part,
    predictions: Option<Part>,
    classes: &[String],
    work: impl FnOnce(&Dataset, Option<&Predictions>) -> T,
) -> Result<T, String> {
    let files = bucket_files(bucket, &manifest, predictions.as_ref())
        .map_err(|e| format!("cannot write the bucket's temporary files: {e}"))?;
    let (dataset, predictions) = load_bucket(&files, classes)?;
    Ok(work(&dataset, predictions.as_ref()))
}

/// The label classes of a bucket's manifest rows, as the loader names them (the union over all
/// buckets is the dataset's label classes).
#[pyfunction]
pub fn bucket_classes(py: Python<'_>, bucket: u32, manifest: Part) -> PyResult<Vec<String>> {
    if manifest.1.is_empty() {
        return Ok(Vec::new());
    }
    py.detach(|| with_bucket(bucket, manifest, None, &[], |d, _| d.classes().to_vec()))
        .map_err(PyValueError::new_err)
}

/// A bucket with predictions rows and no manifest rows: the loader refuses an empty manifest, so
/// the predictions are parsed alone (every row unmatched, their classes adopted).
fn unmatched_only(
    bucket: u32,
    manifest: &Part,
    predictions: &Part,
    classes: &[String],
    split: Option<&str>,
    bins: usize,
) -> Result<StatsPartial, String> {
    let files = bucket_files(bucket, manifest, Some(predictions))
        .map_err(|e| format!("cannot write the bucket's temporary files: {e}"))?;
    let path = files.predictions.as_deref().unwrap_or(Path::new(""));
    let root = files.manifest.parent().unwrap_or(Path::new(""));
    let mut warnings = Warnings::default();
    let raw = parse_predictions(path, root, None, &mut warnings).map_err(|e| {
        e.to_string().replace(
            &path.display().to_string(),
            &format!("the predictions ({})", files.label),
        )
    })?;
    // A labelled dataset keeps its own classes; an unlabelled one adopts the predictions'.
    let adopted: &[String] = if classes.is_empty() {
        raw.class_names()
    } else {
        &[]
    };
    Ok(StatsPartial::unmatched_only(
        bins,
        split,
        adopted,
        raw.kind() != PredictionKind::Hard,
        raw.num_rows() as u64,
    ))
}

/// The `StatsPartial` (JSON) of one bucket: `manifest` and `predictions` are `(header, [rows])`.
#[pyfunction]
#[pyo3(signature = (bucket, manifest, predictions, classes, split = None, bins = 15))]
pub fn bucket_partial(
    py: Python<'_>,
    bucket: u32,
    manifest: Part,
    predictions: Option<Part>,
    classes: Vec<String>,
    split: Option<String>,
    bins: usize,
) -> PyResult<String> {
    let (partial, _) = prepare(py, bucket, manifest, predictions, &classes, split, bins)?;
    serde_json::to_string(&partial).map_err(value_error)
}

/// One load of a bucket, with the GIL released: its partial and its scored rows (none for a bucket
/// with predictions rows only: they are all unmatched).
fn prepare(
    py: Python<'_>,
    bucket: u32,
    manifest: Part,
    predictions: Option<Part>,
    classes: &[String],
    split: Option<String>,
    bins: usize,
) -> PyResult<(StatsPartial, ScoredRows)> {
    check_bins(bins)?;
    py.detach(|| {
        load_prepared(
            bucket,
            manifest,
            predictions,
            classes,
            split.as_deref(),
            bins,
        )
    })
    .map_err(PyValueError::new_err)
}

fn load_prepared(
    bucket: u32,
    manifest: Part,
    predictions: Option<Part>,
    classes: &[String],
    split: Option<&str>,
    bins: usize,
) -> Result<(StatsPartial, ScoredRows), String> {
    match predictions {
        Some(p) if manifest.1.is_empty() => {
            unmatched_only(bucket, &manifest, &p, classes, split, bins)
                .map(|partial| (partial, ScoredRows::default()))
        }
        predictions => with_bucket(bucket, manifest, predictions, classes, |d, p| {
            (
                StatsPartial::of_part(d, p, split, bins),
                ScoredRows::of_part(d, p, split),
            )
        }),
    }
}

/// A bucket loaded once for the whole pipeline: its `StatsPartial` (JSON) and its scored rows
/// (bytes), which the refinement passes read ([`rows_temperature`]) instead of loading the bucket
/// again for each pass.
#[pyfunction]
#[pyo3(signature = (bucket, manifest, predictions, classes, split = None, bins = 15))]
pub fn bucket_prepare<'py>(
    py: Python<'py>,
    bucket: u32,
    manifest: Part,
    predictions: Option<Part>,
    classes: Vec<String>,
    split: Option<String>,
    bins: usize,
) -> PyResult<(String, Bound<'py, PyBytes>)> {
    let (partial, rows) = prepare(py, bucket, manifest, predictions, &classes, split, bins)?;
    let json = serde_json::to_string(&partial).map_err(value_error)?;
    let bytes = py.detach(|| rows.to_bytes());
    Ok((json, PyBytes::new(py, &bytes)))
}

/// One refinement pass's `TemperaturePartial` (JSON) at `b` = 1/T over a bucket's scored rows
/// (from [`bucket_prepare`]).
#[pyfunction]
#[pyo3(signature = (rows, b, bins = 15))]
pub fn rows_temperature(
    py: Python<'_>,
    rows: &Bound<'_, PyAny>,
    b: f64,
    bins: usize,
) -> PyResult<String> {
    check_bins(bins)?;
    let bytes = bytes_arg(rows, "rows")?;
    let partial = py
        .detach(|| ScoredRows::from_bytes(bytes).map(|r| TemperaturePartial::of_rows(&r, bins, b)))
        .map_err(value_error)?;
    serde_json::to_string(&partial).map_err(value_error)
}

/// One refinement pass's `TemperaturePartial` (JSON) over a bucket, at `b` = 1/T.
#[pyfunction]
#[pyo3(signature = (bucket, manifest, predictions, classes, b, split = None, bins = 15))]
#[allow(clippy::too_many_arguments)]
pub fn bucket_temperature(
    py: Python<'_>,
    bucket: u32,
    manifest: Part,
    predictions: Option<Part>,
    classes: Vec<String>,
    b: f64,
    split: Option<String>,
    bins: usize,
) -> PyResult<String> {
    check_bins(bins)?;
    if manifest.1.is_empty() {
        let empty = TemperaturePartial::empty(b, bins);
        return serde_json::to_string(&empty).map_err(value_error);
    }
    let partial = py
        .detach(|| {
            with_bucket(bucket, manifest, predictions, &classes, |d, p| {
                TemperaturePartial::of_part(d, p, split.as_deref(), bins, b)
            })
        })
        .map_err(PyValueError::new_err)?;
    serde_json::to_string(&partial).map_err(value_error)
}

fn check_bins(bins: usize) -> PyResult<()> {
    if (1..=1000).contains(&bins) {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "bins {bins}: expected 1 to 1000"
        )))
    }
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> PyResult<T> {
    serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("not a {what}: {e}")))
}

/// Partials that merge pairwise.
trait Mergeable: serde::Serialize + serde::de::DeserializeOwned {
    fn merged(self, other: &Self) -> Result<Self, PartialError>;
}

impl Mergeable for StatsPartial {
    fn merged(self, other: &Self) -> Result<Self, PartialError> {
        self.merge(other)
    }
}

impl Mergeable for TemperaturePartial {
    fn merged(self, other: &Self) -> Result<Self, PartialError> {
        self.merge(other)
    }
}

/// Merges JSON partials of one kind (`what` names it in errors); None for no parts.
fn merge_json<T: Mergeable>(parts: &[String], what: &str) -> PyResult<Option<String>> {
    let mut merged: Option<T> = None;
    for text in parts {
        let part: T = parse(text, what)?;
        merged = Some(match merged {
            None => part,
            Some(m) => m.merged(&part).map_err(value_error)?,
        });
    }
    merged
        .map(|m| serde_json::to_string(&m).map_err(value_error))
        .transpose()
}

/// Merges `StatsPartial`s (JSON) into one; associative and commutative (a Beam combiner).
#[pyfunction]
pub fn merge_partials(parts: Vec<String>) -> PyResult<Option<String>> {
    merge_json::<StatsPartial>(&parts, "stats partial")
}

/// Merges `TemperaturePartial`s (JSON, all at the same b).
#[pyfunction]
pub fn merge_temperature(parts: Vec<String>) -> PyResult<Option<String>> {
    merge_json::<TemperaturePartial>(&parts, "temperature partial")
}

/// Where the refinement passes start (b = 1/T), from a merged partial's grid.
#[pyfunction]
pub fn temperature_start(partial: &str) -> PyResult<f64> {
    Ok(parse::<StatsPartial>(partial, "stats partial")?.temperature_start())
}

/// The b of the next refinement pass after a merged pass.
#[pyfunction]
pub fn temperature_next(pass_: &str) -> PyResult<f64> {
    Ok(parse::<TemperaturePartial>(pass_, "temperature partial")?.next_b())
}

/// The `stats --json` document (text) of a merged partial and the last merged refinement pass.
#[pyfunction]
#[pyo3(signature = (partial, temperature = None))]
pub fn finish_stats(partial: &str, temperature: Option<&str>) -> PyResult<String> {
    let partial: StatsPartial = parse(partial, "stats partial")?;
    let temperature: Option<TemperaturePartial> = temperature
        .map(|t| parse(t, "temperature partial"))
        .transpose()?;
    let report = finish(&partial, temperature.as_ref()).map_err(value_error)?;
    serde_json::to_string(&report).map_err(value_error)
}

/// The warm-start grid of b (for tests and the curious).
#[pyfunction]
pub fn temperature_grid_points() -> Vec<f64> {
    temperature_grid()
}

/// Adds the stats functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bucket_shard, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_classes, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_partial, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_temperature, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_prepare, m)?)?;
    m.add_function(wrap_pyfunction!(rows_temperature, m)?)?;
    m.add_function(wrap_pyfunction!(merge_partials, m)?)?;
    m.add_function(wrap_pyfunction!(merge_temperature, m)?)?;
    m.add_function(wrap_pyfunction!(temperature_start, m)?)?;
    m.add_function(wrap_pyfunction!(temperature_next, m)?)?;
    m.add_function(wrap_pyfunction!(finish_stats, m)?)?;
    m.add_function(wrap_pyfunction!(temperature_grid_points, m)?)?;
    Ok(())
}
