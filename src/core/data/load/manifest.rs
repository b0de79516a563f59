//! Manifests: a CSV or JSONL table with a file column, an optional label and split column, and any
//! number of metadata columns, which are all kept.

use std::path::Path;

use crate::core::data::dataset::{Dataset, DatasetBuilder, DatasetSource, TableFormat};
use crate::core::data::error::LoadError;
use crate::core::data::warnings::{Tally, WarningKind, Warnings};

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
    let builder = match format {
        TableFormat::Csv => load_csv(path, &abs_root, control, warnings)?,
        TableFormat::Jsonl => load_jsonl(path, &abs_root, control)?,
    };
    if builder.is_empty() {
        return Err(LoadError::parse_file(path, "the manifest lists no samples"));
    }
    let (dataset, repeated) = builder.finish(
        root,
        DatasetSource::Manifest {
            path: path.to_path_buf(),
            format,
        },
    );
    let mut dups = Tally::new(WarningKind::DuplicateSample, Some(path.to_path_buf()));
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
            "no file column: expected one of {} (found: {})",
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
    for i in 0..rec.len() {
        let name = rec.str(i, path, "header")?.trim().to_string();
        if names.contains(&name) {
            let mut k = 2;
            while names.contains(&format!("{name} ({k})")) {
                k += 1;
            }
            warnings.note(
                WarningKind::Header,
                Some(path.to_path_buf()),
                Some(rec.line()),
                format!("column {name:?} appears more than once; the copy in column {} is called \"{name} ({k})\"", i + 1),
            );
            names.push(format!("{name} ({k})"));
        } else {
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
) -> Result<DatasetBuilder, LoadError> {
    let (mut reader, mut rec, names) = open_csv(
        path,
        control,
        warnings,
        "a header row naming a file_name column",
    )?;
    let file_col = find_column(&names, FILE_COLUMNS)
        .ok_or_else(|| missing_file_column(path, Some(1), &names))?;
    let label_col = find_column(&names, LABEL_COLUMNS);
    let split_col = names.iter().position(|n| n == SPLIT_COLUMN);
    let rows_guess = (file_len(path) / 48).min(1 << 26) as usize;
    let mut builder = DatasetBuilder::with_capacity(rows_guess);
    let meta_cols: Vec<(usize, usize)> = (0..names.len())
        .filter(|&i| i != file_col && Some(i) != label_col && Some(i) != split_col)
        .map(|i| (i, builder.add_metadata_column(names[i].clone())))
        .collect();
    let label_name = label_col.map(|i| names[i].clone()).unwrap_or_default();
    let file_name = names[file_col].clone();
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
        let file = rec.str(file_col, path, &file_name)?;
        let label = label_col
            .map(|i| rec.str(i, path, &label_name))
            .transpose()?;
        let split = split_col
            .map(|i| rec.str(i, path, SPLIT_COLUMN))
            .transpose()?;
        push_sample(&mut builder, &ctx, rec.line(), file, label, split)?;
        for &(src, dst) in &meta_cols {
            let value = rec.str(src, path, &names[src])?;
            builder
                .push_metadata(dst, value)
                .map_err(|_| LoadError::parse(path, rec.line(), "column too large"))?;
        }
    }
    Ok(builder)
}

fn load_jsonl(
    path: &Path,
    abs_root: &Path,
    control: Option<&LoadControl>,
) -> Result<DatasetBuilder, LoadError> {
    let mut reader = JsonlReader::open(path, control.cloned())?;
    let mut builder = DatasetBuilder::default();
    let mut meta_cols: Vec<String> = Vec::new();
    let ctx = RowContext { path, abs_root };
    let mut n = 0u64;
    while let Some((line, obj)) = reader.next_object()? {
        n += 1;
        if n.is_multiple_of(65536) {
            LoadControl::check(control)?;
        }
        let keys: Vec<String> = obj.keys().cloned().collect();
        let Some(file_key) = FILE_COLUMNS.iter().find(|k| obj.contains_key(**k)) else {
            return Err(missing_file_column(path, Some(line), &keys));
        };
        let file = string_field(&obj, file_key, path, line, "must be a string")?;
        let label_key = LABEL_COLUMNS.iter().find(|k| obj.contains_key(**k));
        let label = label_key.and_then(|k| obj.get(*k)).map(value_text);
        let split = obj.get(SPLIT_COLUMN).map(value_text);
        push_sample(
            &mut builder,
            &ctx,
            line,
            file,
            label.as_deref(),
            split.as_deref(),
        )?;
        for (key, value) in &obj {
            if key == *file_key || Some(&key.as_str()) == label_key || key == SPLIT_COLUMN {
                continue;
            }
            let col = match meta_cols.iter().position(|c| c == key) {
                Some(c) => c,
                None => {
                    meta_cols.push(key.clone());
                    builder.add_metadata_column(key.clone())
                }
            };
            builder
                .push_metadata(col, &value_text(value))
                .map_err(|_| LoadError::parse(path, line, "column too large"))?;
        }
    }
    Ok(builder)
}
