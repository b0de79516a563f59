//! Which columns of a predictions table are the file and the classes: one rule for the CSV, JSONL
//! and Parquet readers.

use std::path::Path;

use crate::core::data::warnings::WarningKind;

use super::super::conventions::FILE_COLUMNS;
use super::super::manifest::find_column;
use super::*;

/// The file column and the value columns (`prob_`, `logit_`, or a hard `prediction`) of a header.
pub(super) fn layout(
    names: &[String],
    path: &Path,
    line: Option<u64>,
    warnings: &mut Warnings,
) -> Result<Layout, LoadError> {
    let file_col = find_column(names, FILE_COLUMNS).ok_or_else(|| LoadError::Parse {
        path: path.to_path_buf(),
        line,
        message: format!(
            "no file column: expected one of {} (found: {})",
            FILE_COLUMNS.join(", "),
            names.join(", ")
        ),
    })?;
    let with_prefix = |prefix: &str| -> Vec<(usize, String)> {
        names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                n.strip_prefix(prefix)
                    .filter(|c| !c.is_empty())
                    .map(|c| (i, c.to_string()))
            })
            .collect()
    };
    let probs = with_prefix(PROB_PREFIX);
    let logits = with_prefix(LOGIT_PREFIX);
    if !probs.is_empty() {
        if !logits.is_empty() {
            warnings.note(
                WarningKind::Header,
                Some(path.to_path_buf()),
                line,
                "the file has both prob_ and logit_ columns; the prob_ columns are used".into(),
            );
        }
        return Ok(Layout {
            file_col,
            kind: PredictionKind::Probabilities,
            value_cols: probs,
        });
    }
    if !logits.is_empty() {
        return Ok(Layout {
            file_col,
            kind: PredictionKind::Logits,
            value_cols: logits,
        });
    }
    if let Some(col) = find_column(names, HARD_COLUMNS) {
        return Ok(Layout {
            file_col,
            kind: PredictionKind::Hard,
            value_cols: vec![(col, names[col].clone())],
        });
    }
    Err(LoadError::Parse {
        path: path.to_path_buf(),
        line,
        message: format!(
            "no class columns: expected prob_<class> or logit_<class> columns, or a prediction column (found: {})",
            names.join(", ")
        ),
    })
}
