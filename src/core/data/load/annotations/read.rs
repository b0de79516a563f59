//! Reading judgement rows from CSV (large files in parallel chunks), JSONL and Parquet, each row
//! matched to its sample as it is read.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::atomic::Ordering;

use rayon::prelude::*;

use crate::core::data::columns::{ColumnFull, Interner, NONE, StrColumn};
use crate::core::data::dataset::Dataset;
use crate::core::data::error::LoadError;
use crate::core::data::sample_files::path_hash;
use crate::core::data::warnings::Warnings;

use super::super::control::{LoadControl, file_len};
use super::super::conventions::{FILE_COLUMNS, LABEL_COLUMNS};
use super::super::csv_reader::{CsvReader, Next, Record};
use super::super::hf::cells::for_each_text;
use super::super::hf::{OpenShard, guarded};
use super::super::jsonl_reader::{JsonlReader, value_text};
use super::super::manifest::{find_column, open_csv};
use super::super::paths::{absolute_root, normalize_sample_path};
use super::super::predictions::{CHUNK_BYTES, chunk_ranges};
use super::ANNOTATOR_COLUMNS;
use crate::core::data::hf_source::ShardFormat;

/// Judgement rows as read: the sample's normalised path and its hash (looked up all at once after
/// reading, in hash-table order, which a million shuffled rows need), interned annotator and label,
/// source line. [`RawRows::resolve`] turns the paths into sample indices.
#[derive(Debug, Default)]
pub(super) struct RawRows {
    files: StrColumn,
    hashes: Vec<u64>,
    pub sample: Vec<u32>,
    pub annotator: Vec<u32>,
    pub label: Vec<u32>,
    pub line: Vec<u32>,
    pub annotators: Interner,
    pub labels: Interner,
}

/// Where the three columns are.
struct Columns {
    file: usize,
    annotator: usize,
    label: usize,
    names: Vec<String>,
}

impl Columns {
    fn find(names: Vec<String>, path: &Path, line: Option<u64>) -> Result<Self, LoadError> {
        let missing = |what: &str, accepted: &[&str]| LoadError::Parse {
            path: path.to_path_buf(),
            line,
            message: format!(
                "no {what} column: expected one of {} (found: {})",
                accepted.join(", "),
                names.join(", ")
            ),
        };
        let file =
            find_column(&names, FILE_COLUMNS).ok_or_else(|| missing("file", FILE_COLUMNS))?;
        let annotator = find_column(&names, ANNOTATOR_COLUMNS)
            .ok_or_else(|| missing("annotator", ANNOTATOR_COLUMNS))?;
        let label =
            find_column(&names, LABEL_COLUMNS).ok_or_else(|| missing("label", LABEL_COLUMNS))?;
        Ok(Self {
            file,
            annotator,
            label,
            names,
        })
    }
}

/// How rows are read: paths normalised against the dataset's absolute root, errors naming the file.
struct Matcher<'a> {
    root: std::path::PathBuf,
    path: &'a Path,
}

impl RawRows {
    /// Adds one judgement; an empty field is an error naming the line.
    fn push(
        &mut self,
        m: &Matcher<'_>,
        cols: &Columns,
        file: &str,
        annotator: &str,
        label: &str,
        line: u64,
    ) -> Result<(), LoadError> {
        let (file, annotator, label) = (file.trim(), annotator.trim(), label.trim());
        for (value, col) in [
            (file, cols.file),
            (annotator, cols.annotator),
            (label, cols.label),
        ] {
            if value.is_empty() {
                return Err(LoadError::parse(
                    m.path,
                    line,
                    format!(
                        "the {} is empty (every judgement needs a file, an annotator and a label)",
                        cols.names.get(col).map_or("field", String::as_str)
                    ),
                ));
            }
        }
        let normalized = normalize_sample_path(file, &m.root);
        self.hashes.push(path_hash(&normalized));
        self.files
            .push(&normalized)
            .map_err(|_| LoadError::parse(m.path, line, "the file is too large"))?;
        self.annotator.push(self.annotators.intern(annotator));
        self.label.push(self.labels.intern(label));
        self.line.push(u32::try_from(line).unwrap_or(u32::MAX));
        Ok(())
    }

    /// Appends `other` (a later chunk whose lines start after `lines_before`); fails when the paths
    /// would pass the column's 4 GiB limit.
    fn append(&mut self, other: RawRows, lines_before: u64) -> Result<(), ColumnFull> {
        let annotators: Vec<u32> = other
            .annotators
            .names()
            .map(|n| self.annotators.intern(n))
            .collect();
        let labels: Vec<u32> = other
            .labels
            .names()
            .map(|n| self.labels.intern(n))
            .collect();
        self.files.append(&other.files)?;
        self.hashes.extend_from_slice(&other.hashes);
        self.annotator
            .extend(other.annotator.iter().map(|&a| annotators[a as usize]));
        self.label
            .extend(other.label.iter().map(|&l| labels[l as usize]));
        let shift = u32::try_from(lines_before).unwrap_or(u32::MAX);
        self.line
            .extend(other.line.iter().map(|&l| l.saturating_add(shift)));
        Ok(())
    }

    /// Finds every row's sample (in parallel, in hash-table order). The contract makes a row naming
    /// a file that is not a sample bad input: the first such row (in file order) is the error.
    fn resolve(&mut self, dataset: &Dataset, path: &Path) -> Result<(), LoadError> {
        let files = std::mem::take(&mut self.files);
        let hashes = std::mem::take(&mut self.hashes);
        let sample = dataset.files().find_all(&files, &hashes);
        let unknown = sample.iter().filter(|&&s| s == NONE).count();
        if let Some(first) = sample.iter().position(|&s| s == NONE) {
            let line = self.line.get(first).copied().unwrap_or(0);
            return Err(LoadError::parse(
                path,
                u64::from(line),
                format!(
                    "{:?} is not a sample of the dataset{}",
                    files.get(first).unwrap_or_default(),
                    if unknown > 1 {
                        format!(" ({unknown} rows name files that are not samples)")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        self.sample = sample;
        Ok(())
    }
}

/// Reads every judgement of `path` (by extension: `.jsonl`/`.ndjson`, `.parquet`, else CSV).
pub(super) fn read_rows(
    dataset: &Dataset,
    path: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<RawRows, LoadError> {
    if let Some(c) = control {
        c.total.fetch_add(file_len(path), Ordering::Relaxed);
    }
    let m = Matcher {
        root: absolute_root(dataset.root()),
        path,
    };
    let mut rows = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jsonl") | Some("ndjson") => read_jsonl(&m, control)?,
        Some("parquet") => read_parquet(&m, control)?,
        _ => read_csv(&m, control, warnings)?,
    };
    rows.resolve(dataset, path)?;
    Ok(rows)
}

fn read_csv(
    m: &Matcher<'_>,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<RawRows, LoadError> {
    let (mut reader, mut rec, names) = open_csv(
        m.path,
        control,
        warnings,
        "a header row with file_name, annotator and label columns",
    )?;
    let cols = Columns::find(names, m.path, Some(1))?;
    let size = file_len(m.path);
    let body_start = reader.consumed_bytes();
    let header_lines = reader.line() - 1;
    if size.saturating_sub(body_start) >= 2 * CHUNK_BYTES
        && let Some(ranges) = chunk_ranges(m.path, body_start, size)
    {
        // Chunks in parallel; any error (or a chunk that started inside a quoted field) sends the
        // whole file through the one-pass reader below, whose messages name the exact line.
        let parts: Vec<Result<(RawRows, u64), LoadError>> = ranges
            .par_iter()
            .map(|&(start, end)| read_range(m, &cols, control, start, end))
            .collect();
        if parts.iter().all(Result::is_ok) {
            let mut out = RawRows::default();
            let mut lines_before = header_lines;
            for part in parts {
                let (rows, lines) = part?;
                out.append(rows, lines_before).map_err(|_| {
                    LoadError::parse_file(m.path, "the file names add up to more than 4 GiB")
                })?;
                lines_before += lines;
            }
            return Ok(out);
        }
        LoadControl::check(control)?;
    }
    let mut out = RawRows::default();
    read_records(m, &cols, &mut reader, &mut rec, &mut out, control)?;
    Ok(out)
}

/// Parses the bytes `start..end` (starting right after a newline): its rows and how many lines it held.
fn read_range(
    m: &Matcher<'_>,
    cols: &Columns,
    control: Option<&LoadControl>,
    start: u64,
    end: u64,
) -> Result<(RawRows, u64), LoadError> {
    let mut file = std::fs::File::open(m.path).map_err(|e| LoadError::io(m.path, e))?;
    file.seek(SeekFrom::Start(start))
        .map_err(|e| LoadError::io(m.path, e))?;
    let mut reader = CsvReader::new_slice(file.take(end - start), m.path, control.cloned());
    let mut rec = Record::default();
    let mut out = RawRows::default();
    read_records(m, cols, &mut reader, &mut rec, &mut out, control)?;
    Ok((out, reader.line() - 1))
}

fn read_records<R: std::io::Read>(
    m: &Matcher<'_>,
    cols: &Columns,
    reader: &mut CsvReader<R>,
    rec: &mut Record,
    out: &mut RawRows,
    control: Option<&LoadControl>,
) -> Result<(), LoadError> {
    let width = cols.names.len();
    let mut n = 0u64;
    loop {
        match reader.next_line(rec)? {
            Next::End => break,
            Next::Record => {}
            Next::Line(bytes, line) => {
                // The usual row (three unquoted fields) straight from the line's bytes.
                if width == 3
                    && let Some(fields) = three_fields(bytes)
                {
                    n += 1;
                    if n.is_multiple_of(65536) {
                        LoadControl::check(control)?;
                    }
                    out.push(
                        m,
                        cols,
                        fields[cols.file],
                        fields[cols.annotator],
                        fields[cols.label],
                        line,
                    )?;
                    continue;
                }
                rec.set_from_line(bytes, line);
            }
        }
        n += 1;
        if n.is_multiple_of(65536) {
            LoadControl::check(control)?;
        }
        let line = rec.line();
        if rec.len() != width {
            return Err(LoadError::parse(
                m.path,
                line,
                format!(
                    "this row has {} fields but the header has {width}",
                    rec.len()
                ),
            ));
        }
        let file = rec.str(cols.file, m.path, &cols.names[cols.file])?;
        let annotator = rec.str(cols.annotator, m.path, &cols.names[cols.annotator])?;
        let label = rec.str(cols.label, m.path, &cols.names[cols.label])?;
        out.push(m, cols, file, annotator, label, line)?;
    }
    Ok(())
}

/// The three comma-separated UTF-8 fields of an unquoted line, or `None` (any other shape goes the
/// general way, which reports it).
fn three_fields(bytes: &[u8]) -> Option<[&str; 3]> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let a = memchr::memchr(b',', bytes)?;
    let rest = bytes.get(a + 1..)?;
    let b = memchr::memchr(b',', rest)?;
    let last = rest.get(b + 1..)?;
    if memchr::memchr(b',', last).is_some() {
        return None;
    }
    Some([
        std::str::from_utf8(bytes.get(..a)?).ok()?,
        std::str::from_utf8(rest.get(..b)?).ok()?,
        std::str::from_utf8(last).ok()?,
    ])
}

fn read_jsonl(m: &Matcher<'_>, control: Option<&LoadControl>) -> Result<RawRows, LoadError> {
    let mut reader = JsonlReader::open(m.path, control.cloned())?;
    let mut out = RawRows::default();
    let mut cols: Option<Columns> = None;
    while let Some((line, obj)) = reader.next_object()? {
        let c = match &cols {
            Some(c) => c,
            None => cols.insert(Columns::find(
                obj.keys().cloned().collect(),
                m.path,
                Some(line),
            )?),
        };
        let field = |i: usize| {
            c.names
                .get(i)
                .and_then(|k| obj.get(k))
                .map(value_text)
                .unwrap_or_default()
        };
        let (file, annotator, label) = (field(c.file), field(c.annotator), field(c.label));
        out.push(m, c, &file, &annotator, &label, line)?;
    }
    Ok(out)
}

fn read_parquet(m: &Matcher<'_>, control: Option<&LoadControl>) -> Result<RawRows, LoadError> {
    let path = m.path;
    let open =
        OpenShard::open(path, ShardFormat::Parquet).map_err(|e| LoadError::parse_file(path, e))?;
    let names = open.column_names();
    let cols = Columns::find(names, path, None)?;
    let wanted = [cols.file, cols.annotator, cols.label];
    let mut out = RawRows::default();
    let mut row = 0u64;
    let mut fail: Option<LoadError> = None;
    let read = guarded(|| {
        open.read_columns(path, &wanted, |batch| {
            LoadControl::check(control).map_err(|e| e.to_string())?;
            let n = batch.num_rows();
            let mut texts: [Vec<Option<String>>; 3] = Default::default();
            for (slot, &col) in texts.iter_mut().zip(&wanted) {
                *slot = vec![None; n];
                if let Some(array) = batch.column_by_name(&cols.names[col]) {
                    for_each_text(array.as_ref(), |i, t| {
                        if let Some(cell) = slot.get_mut(i) {
                            *cell = t.map(str::to_string);
                        }
                    });
                }
            }
            for i in 0..n {
                row += 1;
                let get = |k: usize| texts[k].get(i).and_then(|t| t.as_deref()).unwrap_or("");
                if let Err(e) = out.push(m, &cols, get(0), get(1), get(2), row) {
                    fail = Some(e);
                    return Err("stop".into());
                }
            }
            Ok(())
        })
    });
    if let Some(e) = fail {
        return Err(e);
    }
    read.map_err(|e| {
        if control.is_some_and(LoadControl::is_cancelled) {
            LoadError::Cancelled
        } else {
            LoadError::parse_file(path, e)
        }
    })?;
    Ok(out)
}
