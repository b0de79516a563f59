//! Predictions saved as Parquet (pandas' `to_parquet`, a `datasets` table): the same columns as the
//! CSV form (a file column, then `prob_<class>`, `logit_<class>` or `prediction`), read by
//! projection. A row's "line" in messages is its 1-based row number.

use std::path::Path;

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
    let schema = open.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
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
