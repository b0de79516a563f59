//! A labels manifest (`file_name,label[,split]` CSV, or JSONL with those keys) read from bytes, for
//! the pipeline's `--labels` join: the same column names and path rules as the dataset loader.

use std::path::Path;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use spotcheck::core::data::load::{
    CsvReader, FILE_COLUMNS, LABEL_COLUMNS, Record, SPLIT_COLUMN, find_column,
    normalize_sample_path, read_csv_header, value_text,
};
use spotcheck::core::data::warnings::Warnings;

/// One manifest row: file (as the manifest names it, normalised), label, split.
type LabelRow = (String, Option<String>, Option<String>);

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn read_csv(data: &[u8], name: &str) -> Result<Vec<LabelRow>, String> {
    let path = Path::new(name);
    let mut reader = CsvReader::new(std::io::Cursor::new(data), path, None);
    let mut warnings = Warnings::default();
    let (_, names) = read_csv_header(&mut reader, &mut warnings, "a header with file_name,label")
        .map_err(|e| e.to_string())?;
    let file = find_column(&names, FILE_COLUMNS).ok_or_else(|| {
        format!(
            "{name}: no file column (expected one of {})",
            FILE_COLUMNS.join(", ")
        )
    })?;
    let label = find_column(&names, LABEL_COLUMNS);
    let split = find_column(&names, &[SPLIT_COLUMN]);
    let mut rows = Vec::new();
    let mut rec = Record::default();
    while reader.read_record(&mut rec).map_err(|e| e.to_string())? {
        let field = |i: usize, what: &str| rec.str(i, path, what).map_err(|e| e.to_string());
        let f = field(file, "file")?;
        if f.is_empty() {
            return Err(format!("{name}:{}: the file name is empty", rec.line()));
        }
        let f = normalize_sample_path(f, Path::new("")).into_owned();
        let l = label
            .map(|i| field(i, "label"))
            .transpose()?
            .and_then(non_empty);
        let s = split
            .map(|i| field(i, "split"))
            .transpose()?
            .and_then(non_empty);
        rows.push((f, l, s));
    }
    Ok(rows)
}

fn read_jsonl(data: &[u8], name: &str) -> Result<Vec<LabelRow>, String> {
    let mut rows = Vec::new();
    for (n, line) in data.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let at = || format!("{name}:{}", n + 1);
        let value: serde_json::Value =
            serde_json::from_slice(line).map_err(|e| format!("{}: not JSON: {e}", at()))?;
        let obj = value
            .as_object()
            .ok_or_else(|| format!("{}: expected a JSON object", at()))?;
        let text = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| obj.get(*k))
                .map(|v| value_text(v).into_owned())
        };
        let f = text(FILE_COLUMNS)
            .filter(|f| !f.is_empty())
            .ok_or_else(|| format!("{}: no file name (expected {})", at(), FILE_COLUMNS[0]))?;
        let f = normalize_sample_path(&f, Path::new("")).into_owned();
        let l = text(LABEL_COLUMNS).and_then(|s| non_empty(&s));
        let s = text(&[SPLIT_COLUMN]).and_then(|s| non_empty(&s));
        rows.push((f, l, s));
    }
    Ok(rows)
}

/// The rows of a labels manifest: `(file, label or None, split or None)`. `name` (the file's name)
/// picks the format (`.jsonl` or CSV) and is named in every error (a `ValueError` with the line).
#[pyfunction]
pub fn read_labels(data: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<LabelRow>> {
    let data = data
        .cast::<PyBytes>()
        .map_err(|_| PyTypeError::new_err("data must be bytes"))?
        .as_bytes();
    let rows = if name.to_ascii_lowercase().ends_with(".jsonl") {
        read_jsonl(data, name)
    } else {
        read_csv(data, name)
    };
    rows.map_err(PyValueError::new_err)
}
