//! Manifests: a CSV or JSONL table with a file column, an optional label and split column, and any
//! number of metadata columns, which are all kept.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::core::data::dataset::{Dataset, DatasetBuilder, DatasetSource, TableFormat};
use crate::core::data::error::LoadError;
use crate::core::data::warnings::{FoldedWarning, WarningKind, Warnings};

use super::control::{LoadControl, file_len};
use super::conventions::{FILE_COLUMNS, LABEL_COLUMNS, SPLIT_COLUMN};
use super::csv_reader::{CsvReader, Record};
use super::jsonl_reader::{JsonlReader, string_field, value_text};
use super::paths::{absolute_root, normalize_sample_path};

/// Loads a manifest; sample paths are relative to the manifest's folder.
pub fn load_manifest(
    path: &Path,
    format: TableFormat,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<Dataset, LoadError> {
    if let Some(c) = control {
        c.total
            .fetch_add(file_len(path), std::sync::atomic::Ordering::Relaxed);
    }
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let root = if root.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        root
    };
    let abs_root = absolute_root(&root);
    let (builder, text_column) = match format {
        TableFormat::Csv => load_csv(path, &abs_root, control, warnings)?,
        TableFormat::Jsonl => load_jsonl(path, &abs_root, control, warnings)?,
    };
    if builder.is_empty() {
        return Err(LoadError::parse_file(path, "the manifest lists no samples"));
    }
    let (dataset, repeated) = builder.finish(
        root,
        DatasetSource::Manifest {
            path: path.to_path_buf(),
            format,
            text_column,
        },
    );
    let mut dups = FoldedWarning::new(WarningKind::DuplicateSample, Some(path.to_path_buf()));
    for r in repeated {
        dups.add(r.line, || match r.line {
            Some(line) => format!("{} on line {line}", r.path),
            None => r.path.clone(),
        });
    }
    dups.finish(warnings, |n| {
        format!("{n} row(s) repeat a file already listed; the first row of each file is kept")
    });
    Ok(dataset)
}

fn missing_file_column(path: &Path, line: Option<u64>, found: &[String]) -> LoadError {
    LoadError::Parse {
        path: path.to_path_buf(),
        line,
        message: format!(
            "no file column: expected one of {} (or, for a text dataset, a column text, sentence, content or review, or --text-column NAME) (found: {})",
            FILE_COLUMNS.join(", "),
            if found.is_empty() {
                "nothing".to_string()
            } else {
                found.join(", ")
            }
        ),
    }
}

/// Opens a CSV and reads its header row (see [`read_csv_header`]).
pub(super) fn open_csv(
    path: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
    expected: &str,
) -> Result<(CsvReader<std::fs::File>, Record, Vec<String>), LoadError> {
    let mut reader = CsvReader::open(path, control.cloned())?;
    let (rec, names) = read_csv_header(&mut reader, warnings, expected)?;
    Ok((reader, rec, names))
}

/// Reads a CSV's header row: names trimmed, repeated names made unique (`x`, `x (2)`) with a warning,
/// so every column can be told apart. An empty file is an error saying `expected`. Shared by the
/// loader and the label write-back, so both find the same columns.
pub fn read_csv_header<R: std::io::Read>(
    reader: &mut CsvReader<R>,
    warnings: &mut Warnings,
    expected: &str,
) -> Result<(Record, Vec<String>), LoadError> {
    let path = reader.path().to_path_buf();
    let path = path.as_path();
    let mut rec = Record::default();
    if !reader.read_record(&mut rec)? {
        return Err(LoadError::parse_file(
            path,
            format!("the file is empty: expected {expected}"),
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(rec.len());
    // Names taken so far, for the repeat check (a scan of `names` was quadratic in the columns).
    let mut taken: HashSet<String> = HashSet::with_capacity(rec.len());
    for i in 0..rec.len() {
        let name = rec.str(i, path, "header")?.trim().to_string();
        if taken.contains(&name) {
            let mut k = 2;
            while taken.contains(&format!("{name} ({k})")) {
                k += 1;
            }
            warnings.note(
                WarningKind::Header,
                Some(path.to_path_buf()),
                Some(rec.line()),
                format!("column {name:?} appears more than once; the copy in column {} is called \"{name} ({k})\"", i + 1),
            );
            let unique = format!("{name} ({k})");
            taken.insert(unique.clone());
            names.push(unique);
        } else {
            taken.insert(name.clone());
            names.push(name);
        }
    }
    Ok((rec, names))
}

/// Position of the first of `candidates` present in `names` (the loader's and the write-back's rule).
pub fn find_column(names: &[String], candidates: &[&str]) -> Option<usize> {
    candidates
        .iter()
        .find_map(|c| names.iter().position(|n| n == c))
}

/// The text column of a manifest: `--text-column NAME` (which must be a column), else, when there
/// is no file column, the first of `text`, `sentence`, `content`, `review`.
fn text_column(path: &Path, names: &[String], has_file: bool) -> Result<Option<usize>, LoadError> {
    if let Some(name) = super::options::text_column() {
        return names
            .iter()
            .position(|n| n == name)
            .map(Some)
            .ok_or_else(|| {
                LoadError::Request(format!(
                    "--text-column {name}: {} has no such column (columns: {})",
                    path.display(),
                    names.join(", ")
                ))
            });
    }
    if has_file {
        return Ok(None);
    }
    Ok(find_column(names, super::hf::TEXT_COLUMNS))
}

/// `SPLIT/ROW` identities for a text manifest with no file column: ROW counts the rows of each
/// split in file order from 0 (`ROW` alone without a split), as for Hugging Face tables.
#[derive(Default)]
pub(crate) struct RowIdentity {
    counters: HashMap<String, u64>,
    buf: String,
}

impl RowIdentity {
    /// The identity of the next row of `split`.
    pub(crate) fn next(&mut self, split: Option<&str>) -> &str {
        use std::fmt::Write as _;
        let split = split.filter(|s| !s.is_empty());
        let key = split.unwrap_or_default();
        let n = match self.counters.get_mut(key) {
            Some(n) => n,
            None => self.counters.entry(key.to_string()).or_insert(0),
        };
        let row = *n;
        *n += 1;
        self.buf.clear();
        if let Some(s) = split {
            self.buf.push_str(s);
            self.buf.push('/');
        }
        let _ = write!(self.buf, "{row}");
        &self.buf
    }
}

/// What every row of one manifest shares.
struct RowContext<'a> {
    path: &'a Path,
    abs_root: &'a Path,
}

/// Adds one row's sample (repeated paths are found when the dataset is finished).
fn push_sample(
    builder: &mut DatasetBuilder,
    ctx: &RowContext<'_>,
    line: u64,
    file: &str,
    label: Option<&str>,
    split: Option<&str>,
) -> Result<(), LoadError> {
    if file.is_empty() {
        return Err(LoadError::parse(ctx.path, line, "the file name is empty"));
    }
    let file = normalize_sample_path(file, ctx.abs_root);
    let label = label.filter(|l| !l.is_empty());
    let split = split.filter(|s| !s.is_empty());
    builder.push(&file, label, split).map_err(|_| {
        LoadError::parse(
            ctx.path,
            line,
            "the manifest is too large (over 4 GiB of file names)",
        )
    })?;
    builder.push_line(line);
    Ok(())
}

fn load_csv(
    path: &Path,
    abs_root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<(DatasetBuilder, Option<String>), LoadError> {
    let (mut reader, mut rec, names) = open_csv(
        path,
        control,
        warnings,
        "a header row naming a file_name column",
    )?;
    let file_col = find_column(&names, FILE_COLUMNS);
    let text_col = text_column(path, &names, file_col.is_some())?;
    if file_col.is_none() && text_col.is_none() {
        return Err(missing_file_column(path, Some(1), &names));
    }
    let mut row_ids = RowIdentity::default();
    let label_col = find_column(&names, LABEL_COLUMNS);
    let split_col = names.iter().position(|n| n == SPLIT_COLUMN);
    let rows_guess = (file_len(path) / 48).min(1 << 26) as usize;
    let mut builder = DatasetBuilder::with_capacity(rows_guess);
    let meta_cols: Vec<(usize, usize)> = (0..names.len())
        .filter(|&i| Some(i) != file_col && Some(i) != label_col && Some(i) != split_col)
        .map(|i| (i, builder.add_metadata_column(names[i].clone())))
        .collect();
    let label_name = label_col.map(|i| names[i].clone()).unwrap_or_default();
    let file_name = file_col.map(|c| names[c].clone()).unwrap_or_default();
    let ctx = RowContext { path, abs_root };
    let mut n = 0u64;
    while reader.read_record(&mut rec)? {
        n += 1;
        if n.is_multiple_of(65536) {
            LoadControl::check(control)?;
        }
        if rec.len() != names.len() {
            return Err(LoadError::parse(
                path,
                rec.line(),
                format!(
                    "this row has {} fields but the header has {}",
                    rec.len(),
                    names.len()
                ),
            ));
        }
        let label = label_col
            .map(|i| rec.str(i, path, &label_name))
            .transpose()?;
        let split = split_col
            .map(|i| rec.str(i, path, SPLIT_COLUMN))
            .transpose()?;
        let file = match file_col {
            Some(c) => rec.str(c, path, &file_name)?,
            None => row_ids.next(split),
        };
        push_sample(&mut builder, &ctx, rec.line(), file, label, split)?;
        for &(src, dst) in &meta_cols {
            let value = rec.str(src, path, &names[src])?;
            builder
                .push_metadata(dst, value)
                .map_err(|_| LoadError::parse(path, rec.line(), "column too large"))?;
        }
    }
    Ok((builder, text_col.map(|c| names[c].clone())))
}

/// At most this many metadata columns are kept from a JSONL manifest. Every column holds a value per
/// row, so a file whose rows each bring new keys would otherwise grow rows × keys; keys past the cap
/// are dropped with one warning.
pub const MAX_METADATA_COLUMNS: usize = 256;

/// The metadata columns of a JSONL manifest, found by key in a map (a linear scan per key was
/// quadratic when rows bring new keys), with the keys dropped past [`MAX_METADATA_COLUMNS`].
struct JsonlColumns {
    by_key: HashMap<String, usize>,
    dropped: FoldedWarning,
}

impl JsonlColumns {
    fn new(path: &Path) -> Self {
        Self {
            by_key: HashMap::new(),
            dropped: FoldedWarning::new(WarningKind::Header, Some(path.to_path_buf())),
        }
    }

    /// The builder column of `key`, declared on first sight while there is room.
    fn column(&mut self, builder: &mut DatasetBuilder, key: &str, line: u64) -> Option<usize> {
        if let Some(&col) = self.by_key.get(key) {
            return Some(col);
        }
        if self.by_key.len() >= MAX_METADATA_COLUMNS {
            self.dropped
                .add(Some(line), || format!("{key:?} on line {line}"));
            return None;
        }
        let col = builder.add_metadata_column(key.to_string());
        self.by_key.insert(key.to_string(), col);
        Some(col)
    }

    fn finish(self, warnings: &mut Warnings) {
        self.dropped.finish(warnings, |n| {
            format!(
                "{n} value(s) under keys past the first {MAX_METADATA_COLUMNS} metadata keys are not kept"
            )
        });
    }
}

fn load_jsonl(
    path: &Path,
    abs_root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<(DatasetBuilder, Option<String>), LoadError> {
    let mut reader = JsonlReader::open(path, control.cloned())?;
    let mut builder = DatasetBuilder::default();
    let mut columns = JsonlColumns::new(path);
    let ctx = RowContext { path, abs_root };
    let mut n = 0u64;
    // Decided on the first object: a text manifest (no file key) or a file manifest.
    let mut text_key: Option<Option<String>> = None;
    let mut row_ids = RowIdentity::default();
    while let Some((line, obj)) = reader.next_object()? {
        n += 1;
        if n.is_multiple_of(65536) {
            LoadControl::check(control)?;
        }
        let file_key = FILE_COLUMNS.iter().find(|k| obj.contains_key(**k)).copied();
        if text_key.is_none() {
            let keys: Vec<String> = obj.keys().cloned().collect();
            let t = text_column(path, &keys, file_key.is_some())?.map(|i| keys[i].clone());
            text_key = Some(t);
        }
        let text_mode = matches!(&text_key, Some(Some(_)));
        let split = obj.get(SPLIT_COLUMN).map(value_text);
        let file = match file_key {
            Some(k) => string_field(&obj, k, path, line, "must be a string")?,
            None if text_mode => row_ids.next(split.as_deref()),
            None => {
                let keys: Vec<String> = obj.keys().cloned().collect();
                return Err(missing_file_column(path, Some(line), &keys));
            }
        };
        let file = file.to_string();
        let file_key = file_key.unwrap_or_default();
        let label_key = LABEL_COLUMNS.iter().find(|k| obj.contains_key(**k));
        let label = label_key.and_then(|k| obj.get(*k)).map(value_text);
        // Columns are declared before the row is pushed: a column declared after it would pad the
        // new row too and shift its values down one row.
        let mut values = Vec::with_capacity(obj.len());
        for (key, value) in &obj {
            if key == file_key || Some(&key.as_str()) == label_key || key == SPLIT_COLUMN {
                continue;
            }
            if let Some(col) = columns.column(&mut builder, key, line) {
                values.push((col, value));
            }
        }
        push_sample(
            &mut builder,
            &ctx,
            line,
            &file,
            label.as_deref(),
            split.as_deref(),
        )?;
        for (col, value) in values {
            builder
                .push_metadata(col, &value_text(value))
                .map_err(|_| LoadError::parse(path, line, "column too large"))?;
        }
    }
    columns.finish(warnings);
    Ok((builder, text_key.flatten()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (Dataset, Warnings) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        std::fs::write(&path, text).unwrap();
        let mut warnings = Warnings::default();
        let dataset = load_manifest(&path, TableFormat::Jsonl, None, &mut warnings).unwrap();
        (dataset, warnings)
    }

    fn column<'a>(d: &'a Dataset, name: &str) -> Vec<&'a str> {
        let m = d.metadata().iter().find(|m| m.name == name).unwrap();
        m.values.iter().collect()
    }

    #[test]
    fn jsonl_metadata_keys_arriving_on_later_rows_fill_the_right_cells() {
        let (d, warnings) = load(concat!(
            "{\"file_name\": \"a.jpg\", \"label\": \"cat\", \"w\": 1}\n",
            "{\"file_name\": \"b.jpg\", \"h\": 2, \"w\": 3}\n",
            "{\"file_name\": \"c.jpg\", \"note\": null, \"h\": [1, 2]}\n",
        ));
        assert!(warnings.is_empty(), "{:?}", warnings.items());
        let names: Vec<&str> = d.metadata().iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["w", "h", "note"]);
        assert_eq!(column(&d, "w"), ["1", "3", ""]);
        assert_eq!(column(&d, "h"), ["", "2", "[1,2]"]);
        assert_eq!(column(&d, "note"), ["", "", ""]);
    }

    #[test]
    fn a_new_key_on_every_row_loads_fast_and_keeps_a_bounded_number_of_columns() {
        let rows = 20_000;
        let mut text = String::new();
        for i in 0..rows {
            text.push_str(&format!(
                "{{\"file_name\": \"f{i}.jpg\", \"key{i}\": {i}}}\n"
            ));
        }
        let start = std::time::Instant::now();
        let (d, warnings) = load(&text);
        let took = start.elapsed();
        assert!(took.as_secs_f64() < 1.0, "took {took:?}");
        assert_eq!(d.len(), rows);
        assert_eq!(d.metadata().len(), MAX_METADATA_COLUMNS);
        assert_eq!(column(&d, "key7")[7], "7");
        let dropped: Vec<_> = warnings.of_kind(WarningKind::Header).collect();
        assert_eq!(dropped.len(), 1, "{:?}", warnings.items());
        assert_eq!(dropped[0].count, (rows - MAX_METADATA_COLUMNS) as u64);
        assert_eq!(dropped[0].line, Some(MAX_METADATA_COLUMNS as u64 + 1));
    }
}
