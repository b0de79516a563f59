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
    let mut row = 0u64;
    read_kept(path, &open, &names, &layout, control, |batch| {
        for (i, file) in batch.files.iter().enumerate() {
            row += 1;
            raw.push_file(file.as_deref().unwrap_or_default(), root, row)?;
            if layout.kind == PredictionKind::Hard {
                let name = batch.hard.get(i).and_then(|h| h.as_deref());
                raw.hard_ids.push(match name {
                    None | Some("") => NONE,
                    Some(name) => interner.intern(name),
                });
            } else {
                for v in &batch.numbers {
                    raw.values.push(v.get(i).copied().unwrap_or(f64::NAN));
                }
            }
        }
        Ok(())
    })?;
    raw.hard_names = interner.into_names();
    Ok(raw)
}

/// A batch's kept columns, decoded once for both readers: each row's file, and the value columns'
/// numbers (probabilities or logits, a null as NaN) or, for hard predictions, the trimmed names.
struct KeptColumns {
    files: Vec<Option<String>>,
    numbers: Vec<Vec<f64>>,
    hard: Vec<Option<String>>,
}

/// Reads the file and value columns of `open` (a Parquet predictions file at `path`) batch by
/// batch into `each`: one reader, so the loader and the CSV conversion cannot disagree on a value.
fn read_kept(
    path: &Path,
    open: &OpenShard,
    names: &[String],
    layout: &Layout,
    control: Option<&LoadControl>,
    mut each: impl FnMut(KeptColumns) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let mut fail: Option<LoadError> = None;
    let read = guarded(|| {
        open.read_columns(path, &kept_columns(layout), |batch| {
            LoadControl::check(control).map_err(|e| e.to_string())?;
            match decode(batch, path, names, layout).and_then(&mut each) {
                Ok(()) => Ok(()),
                Err(e) => {
                    fail = Some(e);
                    Err("stop".into())
                }
            }
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
    })
}

/// One batch's kept columns as [`KeptColumns`]; a value column that holds no numbers is an error
/// naming the file, the column and its class.
fn decode(
    batch: &arrow_array::RecordBatch,
    path: &Path,
    names: &[String],
    layout: &Layout,
) -> Result<KeptColumns, LoadError> {
    let n = batch.num_rows();
    let column = |i: usize| {
        batch
            .column_by_name(&names[i])
            .ok_or_else(|| LoadError::parse_file(path, format!("no column {}", names[i])))
    };
    let texts = |array: &dyn arrow_array::Array, trim: bool| {
        let mut out: Vec<Option<String>> = vec![None; n];
        for_each_text(array, |i, t| {
            if let Some(slot) = out.get_mut(i) {
                *slot = t.map(|t| if trim { t.trim() } else { t }.to_string());
            }
        });
        out
    };
    let files = texts(column(layout.file_col)?.as_ref(), false);
    let (mut numbers, mut hard) = (Vec::new(), Vec::new());
    for (col, class) in &layout.value_cols {
        let array = column(*col)?;
        if layout.kind == PredictionKind::Hard {
            hard = texts(array.as_ref(), true);
        } else {
            numbers.push(f64_values(array.as_ref()).ok_or_else(|| {
                let name = &names[*col];
                LoadError::parse_file(
                    path,
                    format!("{name} (class {class:?}) does not hold numbers"),
                )
            })?);
        }
    }
    Ok(KeptColumns {
        files,
        numbers,
        hard,
    })
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
    let header = kept_columns(&layout)
        .iter()
        .map(|&i| quote_field(&names[i], false).into_owned())
        .collect::<Vec<_>>()
        .join(",")
        .into_bytes();
    let mut line = Vec::new();
    read_kept(path, &open, &names, &layout, None, |batch| {
        for (i, file) in batch.files.iter().enumerate() {
            let file = file.as_deref().unwrap_or_default();
            line.clear();
            line.extend_from_slice(quote_field(file, false).as_bytes());
            if layout.kind == PredictionKind::Hard {
                let name = batch.hard.get(i).and_then(|h| h.as_deref());
                line.push(b',');
                line.extend_from_slice(quote_field(name.unwrap_or_default(), false).as_bytes());
            } else {
                for v in &batch.numbers {
                    let v = v.get(i).copied().unwrap_or(f64::NAN);
                    line.push(b',');
                    line.extend_from_slice(format!("{v:?}").as_bytes());
                }
            }
            each(file, &line);
        }
        Ok(())
    })?;
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
            err.contains("bad.parquet")
                && err.contains("prob_cat (class \"cat\") does not hold numbers"),
            "{err}"
        );
    }
}
