//! Predictions saved as Parquet (pandas' `to_parquet`, a `datasets` table): the same columns as the
//! CSV form (a file column, then `prob_<class>`, `logit_<class>` or `prediction`), read by
//! projection. A row's "line" in messages is its 1-based row number.

use std::path::Path;

use super::super::csv_reader::quote_field;
use super::super::hf::cells::{f64_values, for_each_text};
use super::super::hf::{OpenShard, guarded};
use super::header::layout;
use super::*;
use crate::core::data::hf_source::ShardFormat;

/// Parses a `.parquet` predictions file.
pub(super) fn parse_parquet(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<RawPredictions, LoadError> {
    let open =
        OpenShard::open(path, ShardFormat::Parquet).map_err(|e| LoadError::parse_file(path, e))?;
    let names = open.column_names();
    let layout = layout(&names, path, None, warnings)?;
    let columns: Vec<String> = layout.value_cols.iter().map(|(_, c)| c.clone()).collect();
    // The footer's row count is a claim: room for a bounded number up front.
    let rows = usize::try_from(open.rows())
        .unwrap_or(0)
        .min(super::super::hf::MAX_ROWS_UP_FRONT);
    let mut raw = RawPredictions::new(path, layout.kind, columns, rows);
    let mut interner = Interner::default();
    let wanted: Vec<usize> = std::iter::once(layout.file_col)
        .chain(layout.value_cols.iter().map(|(i, _)| *i))
        .collect();
    let mut row = 0u64;
    let mut fail: Option<LoadError> = None;
    let read = guarded(|| {
        open.read_columns(path, &wanted, |batch| {
            LoadControl::check(control).map_err(|e| e.to_string())?;
            let n = batch.num_rows();
            let mut files: Vec<Option<String>> = vec![None; n];
            if let Some(col) = batch.column_by_name(&names[layout.file_col]) {
                for_each_text(col.as_ref(), |i, t| {
                    if let Some(slot) = files.get_mut(i) {
                        *slot = t.map(str::to_string);
                    }
                });
            }
            let mut values: Vec<Vec<f64>> = Vec::new();
            let mut hard: Vec<Option<String>> = Vec::new();
            for (col, class) in &layout.value_cols {
                let name = &names[*col];
                let Some(array) = batch.column_by_name(name) else {
                    continue;
                };
                if layout.kind == PredictionKind::Hard {
                    hard = vec![None; n];
                    for_each_text(array.as_ref(), |i, t| {
                        if let Some(slot) = hard.get_mut(i) {
                            *slot = t.map(|t| t.trim().to_string());
                        }
                    });
                } else {
                    match f64_values(array.as_ref()) {
                        Some(v) => values.push(v),
                        None => {
                            fail = Some(LoadError::parse_file(
                                path,
                                format!("{name} (class {class:?}) does not hold numbers"),
                            ));
                            return Err("stop".into());
                        }
                    }
                }
            }
            for i in 0..n {
                row += 1;
                let file = files.get(i).and_then(|f| f.as_deref()).unwrap_or_default();
                if let Err(e) = raw.push_file(file, root, row) {
                    fail = Some(e);
                    return Err("stop".into());
                }
                if layout.kind == PredictionKind::Hard {
                    let name = hard.get(i).and_then(|h| h.as_deref()).unwrap_or_default();
                    raw.hard_ids.push(if name.is_empty() {
                        NONE
                    } else {
                        interner.intern(name)
                    });
                } else {
                    for v in &values {
                        raw.values.push(v.get(i).copied().unwrap_or(f64::NAN));
                    }
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
    raw.hard_names = interner.into_names();
    Ok(raw)
}

fn kept_columns(layout: &Layout) -> Vec<usize> {
    std::iter::once(layout.file_col)
        .chain(layout.value_cols.iter().map(|(i, _)| *i))
        .collect()
}

/// The columns of a predictions header (`names`) the loader reads: the file column, then the
/// probability, logit or hard-prediction columns; others (a split, a note) are ignored. Shards of
/// one predictions file agree on these even when their first rows carry different extra keys.
pub fn predictions_columns(names: &[String], path: &Path) -> Result<Vec<usize>, LoadError> {
    layout(names, path, None, &mut Warnings::default()).map(|l| kept_columns(&l))
}

/// A Parquet predictions file as CSV text, for a pipeline that moves rows as text (the Beam stats
/// routes every row to a bucket by its file): returns the header (the file column, then the value
/// columns the layout keeps) and calls `each` with every row's file and its CSV line (no line
/// break). Values are written so the CSV reader reads back the same bits (shortest round-trip form;
/// a null as `NaN`, which is what [`parse_parquet`] makes of it), so metrics agree exactly.
pub fn parquet_predictions_as_csv(
    path: &Path,
    mut each: impl FnMut(&str, &[u8]),
) -> Result<Vec<u8>, LoadError> {
    let open =
        OpenShard::open(path, ShardFormat::Parquet).map_err(|e| LoadError::parse_file(path, e))?;
    let names = open.column_names();
    let layout = layout(&names, path, None, &mut Warnings::default())?;
    let wanted = kept_columns(&layout);
    let header = wanted
        .iter()
        .map(|&i| quote_field(&names[i], false).into_owned())
        .collect::<Vec<_>>()
        .join(",")
        .into_bytes();
    let mut fail: Option<LoadError> = None;
    let mut line = Vec::new();
    let read = guarded(|| {
        open.read_columns(path, &wanted, |batch| {
            let n = batch.num_rows();
            let mut cells: Vec<Vec<String>> = Vec::with_capacity(wanted.len());
            for &col in &wanted {
                let name = &names[col];
                let Some(array) = batch.column_by_name(name) else {
                    fail = Some(LoadError::parse_file(path, format!("no column {name}")));
                    return Err("stop".into());
                };
                let mut texts = vec![String::new(); n];
                if col == layout.file_col || layout.kind == PredictionKind::Hard {
                    let trim = col != layout.file_col;
                    for_each_text(array.as_ref(), |i, t| {
                        if let (Some(slot), Some(t)) = (texts.get_mut(i), t) {
                            *slot = if trim { t.trim() } else { t }.to_string();
                        }
                    });
                } else {
                    let Some(values) = f64_values(array.as_ref()) else {
                        fail = Some(LoadError::parse_file(
                            path,
                            format!("{name} does not hold numbers"),
                        ));
                        return Err("stop".into());
                    };
                    for (slot, v) in texts.iter_mut().zip(values) {
                        *slot = format!("{v:?}");
                    }
                }
                cells.push(texts);
            }
            for i in 0..n {
                line.clear();
                for (k, column) in cells.iter().enumerate() {
                    if k > 0 {
                        line.push(b',');
                    }
                    let text = column.get(i).map_or("", String::as_str);
                    line.extend_from_slice(quote_field(text, false).as_bytes());
                }
                let file = cells
                    .first()
                    .and_then(|c| c.get(i))
                    .map_or("", String::as_str);
                each(file, &line);
            }
            Ok(())
        })
    });
    if let Some(e) = fail {
        return Err(e);
    }
    read.map_err(|e| LoadError::parse_file(path, e))?;
    Ok(header)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Float32Array, Float64Array, RecordBatch, StringArray};

    use super::*;

    fn write_parquet(path: &Path, batch: &RecordBatch) {
        let file = std::fs::File::create(path).unwrap();
        let mut w = ::parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
    }

    /// The file converted to CSV text, then parsed as CSV.
    fn via_csv(dir: &Path, pq: &Path) -> RawPredictions {
        let mut text = Vec::new();
        let header = parquet_predictions_as_csv(pq, |_, line| {
            text.extend_from_slice(line);
            text.push(b'\n');
        })
        .unwrap();
        let csv = dir.join("converted.csv");
        std::fs::write(&csv, [header, b"\n".to_vec(), text].concat()).unwrap();
        parse_predictions(&csv, Path::new(""), None, &mut Warnings::default()).unwrap()
    }

    #[test]
    fn parquet_rows_as_csv_parse_to_the_same_bits() {
        let dir = tempfile::tempdir().unwrap();
        let pq = dir.path().join("p.parquet");
        let files = vec!["a,b.jpg", " spaced.jpg", "q\"uote.jpg", "d.jpg"];
        let batch = RecordBatch::try_from_iter([
            ("split", Arc::new(StringArray::from(vec!["x"; 4])) as _),
            ("file_name", Arc::new(StringArray::from(files)) as _),
            (
                "prob_cat",
                Arc::new(Float32Array::from(vec![
                    Some(0.1),
                    None,
                    Some(1e-30),
                    Some(0.3),
                ])) as _,
            ),
            (
                "prob_dog",
                Arc::new(Float64Array::from(vec![0.9, 0.7, 1e-300, 0.1 + 0.2])) as _,
            ),
        ])
        .unwrap();
        write_parquet(&pq, &batch);
        let direct = parse_parquet(&pq, Path::new(""), None, &mut Warnings::default()).unwrap();
        let converted = via_csv(dir.path(), &pq);
        assert_eq!(direct.values.len(), 8);
        let bits = |r: &RawPredictions| r.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&converted), bits(&direct));
        assert!(direct.values[2].is_nan(), "a null is NaN");
        assert_eq!(converted.hashes, direct.hashes);
        assert_eq!(converted.columns, direct.columns);
    }

    #[test]
    fn hard_predictions_convert_trimmed_and_a_bad_value_column_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let pq = dir.path().join("hard.parquet");
        let batch = RecordBatch::try_from_iter([
            (
                "file_name",
                Arc::new(StringArray::from(vec!["a.jpg", "b.jpg"])) as _,
            ),
            (
                "prediction",
                Arc::new(StringArray::from(vec![Some(" dog "), None])) as _,
            ),
        ])
        .unwrap();
        write_parquet(&pq, &batch);
        let direct = parse_parquet(&pq, Path::new(""), None, &mut Warnings::default()).unwrap();
        let converted = via_csv(dir.path(), &pq);
        assert_eq!(converted.hard_ids, direct.hard_ids);
        assert_eq!(converted.hard_names, vec!["dog".to_string()]);
        assert_eq!(direct.hard_ids[1], NONE);

        let bad = dir.path().join("bad.parquet");
        let batch = RecordBatch::try_from_iter([
            ("file_name", Arc::new(StringArray::from(vec!["a.jpg"])) as _),
            ("prob_cat", Arc::new(StringArray::from(vec!["high"])) as _),
        ])
        .unwrap();
        write_parquet(&bad, &batch);
        let err = parquet_predictions_as_csv(&bad, |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bad.parquet") && err.contains("prob_cat does not hold numbers"),
            "{err}"
        );
    }
}
