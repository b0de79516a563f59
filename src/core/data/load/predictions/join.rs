//! Joining parsed predictions to a dataset: columns into class order, rows renormalised and turned
//! into logs, each row matched to its sample, and every finding reported.

use std::path::PathBuf;

use ndarray::Array2;
use rayon::prelude::*;

use crate::core::util::fast_math::ln_nonnegative;

use crate::core::data::columns::NONE;
use crate::core::data::dataset::Dataset;
use crate::core::data::warnings::{FoldedWarning, MAX_EXAMPLES, Warning, WarningKind, Warnings};

use super::*;

/// Joins parsed predictions to `dataset`. An unlabelled dataset adopts the predictions' class names.
pub fn join_predictions(
    dataset: &mut Dataset,
    raw: RawPredictions,
    warnings: &mut Warnings,
) -> Predictions {
    let RawPredictions {
        path,
        kind,
        files,
        hashes,
        lines,
        columns,
        values,
        hard_ids,
        hard_names,
    } = raw;
    dataset.adopt_classes(if kind == PredictionKind::Hard {
        hard_names.clone()
    } else {
        columns.clone()
    });
    let k = dataset.classes().len();
    let rows = files.len();
    let file_of = Some(path.clone());

    let t0 = std::time::Instant::now();
    // Which sample each row names (hash lookups, in parallel).
    let mut sample_of_row: Vec<u32> = dataset.files().find_all(&files, &hashes);
    drop(hashes);
    super::super::control::timing("  join: lookups", t0);

    // Settle unmatched and repeated rows while the names are at hand (the first row naming a file is
    // the one used), then let the names go before the matrix work.
    let n = dataset.len();
    let mut row_of_sample = vec![NONE; n];
    let (mut matched, mut unmatched) = (0u64, 0u64);
    let mut unmatched_tally = FoldedWarning::new(WarningKind::UnmatchedPrediction, file_of.clone());
    let mut dup_tally = FoldedWarning::new(WarningKind::DuplicatePrediction, file_of.clone());
    for (row, sample) in sample_of_row.iter_mut().enumerate() {
        let line = lines.get(row).map(|&l| u64::from(l));
        if *sample == NONE {
            unmatched += 1;
            unmatched_tally.add(line, || files.get(row).unwrap_or_default().to_string());
            continue;
        }
        matched += 1;
        let s = *sample as usize;
        if row_of_sample[s] != NONE {
            dup_tally.add(line, || {
                format!(
                    "{} on line {}",
                    files.get(row).unwrap_or_default(),
                    line.unwrap_or(0)
                )
            });
            *sample = NONE;
            continue;
        }
        row_of_sample[s] = row as u32;
    }
    drop(files);

    // Per-row values in dataset class order.
    let (log_probs, info) = if kind == PredictionKind::Hard {
        let info = hard_rows(
            dataset,
            &hard_ids,
            &hard_names,
            &lines,
            file_of.clone(),
            warnings,
        );
        (Array2::zeros((0, k)), info)
    } else {
        let matrix = class_matrix(
            dataset,
            kind,
            &columns,
            values,
            rows,
            file_of.clone(),
            warnings,
        );
        soft_rows(matrix, kind == PredictionKind::Logits)
    };
    super::super::control::timing("  join: matrix", t0);

    // Rows whose values cannot be used leave their sample without a prediction.
    let mut invalid_tally = FoldedWarning::new(WarningKind::InvalidProbabilities, file_of.clone());
    let mut far_tally = FoldedWarning::new(WarningKind::UnnormalisedProbabilities, file_of.clone());
    for (row, sample) in sample_of_row.iter_mut().enumerate() {
        if *sample == NONE {
            continue;
        }
        let line = lines.get(row).map(|&l| u64::from(l));
        match info.state.get(row).copied().unwrap_or(RowState::Invalid) {
            RowState::Invalid => {
                if kind != PredictionKind::Hard {
                    invalid_tally.add(line, || format!("line {}", line.unwrap_or(0)));
                }
                if let Some(r) = row_of_sample.get_mut(*sample as usize) {
                    *r = NONE;
                }
                *sample = NONE;
            }
            RowState::FarFromOne => far_tally.add(line, || format!("line {}", line.unwrap_or(0))),
            RowState::Ok => {}
        }
    }
    let RowColumns {
        top: row_top,
        confidence: row_confidence,
        sum_sq: row_sum_sq,
        ..
    } = info;
    let predicted: Vec<u32> = row_of_sample
        .par_iter()
        .map(|&r| {
            if r == NONE {
                NONE
            } else {
                row_top.get(r as usize).copied().unwrap_or(NONE)
            }
        })
        .collect();
    let confidence: Vec<f64> = row_of_sample
        .par_iter()
        .map(|&r| {
            if r == NONE {
                f64::NAN
            } else {
                row_confidence.get(r as usize).copied().unwrap_or(f64::NAN)
            }
        })
        .collect();

    let mut missing_tally = FoldedWarning::new(WarningKind::MissingPrediction, file_of.clone());
    for (s, &r) in row_of_sample.iter().enumerate() {
        if r == NONE {
            missing_tally.add(None, || dataset.file(s).to_string());
        }
    }
    let total_rows = rows as u64;
    unmatched_tally.finish(warnings, |c| {
        if c == total_rows {
            format!("none of the {c} rows names a sample of this dataset: is this the predictions file of another dataset?")
        } else {
            format!("{c} row(s) name files that are not samples of this dataset (counted as unmatched)")
        }
    });
    dup_tally.finish(warnings, |c| {
        format!("{c} row(s) repeat a file already predicted; the first row of each file is used")
    });
    invalid_tally.finish(warnings, |c| {
        let what = if kind == PredictionKind::Logits {
            "logits that are NaN or infinite"
        } else {
            "probabilities that are negative, NaN, infinite or all zero"
        };
        format!("{c} row(s) have {what} and are not used")
    });
    far_tally.finish(warnings, |c| {
        format!("{c} row(s) have probabilities that do not sum to 1 (off by more than {SUM_TOLERANCE}); they are renormalised")
    });
    missing_tally.finish(warnings, |c| {
        format!("{c} of {n} samples have no usable prediction")
    });
    Predictions {
        path,
        kind,
        log_probs,
        sample_of_row,
        row_top,
        row_confidence,
        row_sum_sq,
        row_of_sample,
        predicted,
        confidence,
        matched,
        unmatched,
    }
}

/// Maps hard prediction names to class ids; unknown names are reported and their rows not used.
pub(super) fn hard_rows(
    dataset: &Dataset,
    hard_ids: &[u32],
    hard_names: &[String],
    lines: &[u32],
    file: Option<PathBuf>,
    warnings: &mut Warnings,
) -> RowColumns {
    let map: Vec<u32> = hard_names
        .iter()
        .map(|n| dataset.class_id(n).map_or(NONE, |c| c as u32))
        .collect();
    let mut unknown = FoldedWarning::new(WarningKind::UnknownPredictedClass, file);
    let mut out = RowColumns::new(hard_ids.len());
    for (row, &h) in hard_ids.iter().enumerate() {
        let class = if h == NONE {
            NONE
        } else {
            map.get(h as usize).copied().unwrap_or(NONE)
        };
        if h != NONE && class == NONE {
            let name = hard_names.get(h as usize).cloned().unwrap_or_default();
            unknown.add(lines.get(row).map(|&l| u64::from(l)), || name);
        }
        out.state[row] = if class == NONE {
            RowState::Invalid
        } else {
            RowState::Ok
        };
        out.top[row] = class;
    }
    unknown.finish(warnings, |c| {
        format!("{c} row(s) predict a class that is not in the dataset, or none; those samples are left out of the metrics")
    });
    out
}

/// Puts probability/logit columns into dataset class order (in place when the columns are exactly the
/// classes, the usual case), reporting unknown and missing class columns.
pub(super) fn class_matrix(
    dataset: &Dataset,
    kind: PredictionKind,
    columns: &[String],
    mut values: Vec<f64>,
    rows: usize,
    file: Option<PathBuf>,
    warnings: &mut Warnings,
) -> Array2<f64> {
    let k = dataset.classes().len();
    let col_class: Vec<Option<usize>> = columns.iter().map(|c| dataset.class_id(c)).collect();
    let prefix = if kind == PredictionKind::Logits {
        LOGIT_PREFIX
    } else {
        PROB_PREFIX
    };
    let unknown: Vec<String> = columns
        .iter()
        .zip(&col_class)
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| format!("{prefix}{n}"))
        .collect();
    if !unknown.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::UnknownClassColumn,
            file: file.clone(),
            line: Some(1),
            message: format!(
                "{} column(s) name no dataset class and are ignored (rows are renormalised without them)",
                unknown.len()
            ),
            count: unknown.len() as u64,
            examples: unknown.into_iter().take(MAX_EXAMPLES).collect(),
        });
    }
    // Which classes have a column, marked once (a `contains` per class was k × columns: minutes for
    // a 100,000-column header).
    let mut has_column = vec![false; k];
    for c in col_class.iter().flatten() {
        if let Some(h) = has_column.get_mut(*c) {
            *h = true;
        }
    }
    let missing: Vec<String> = dataset
        .classes()
        .iter()
        .zip(&has_column)
        .filter(|(_, has)| !**has)
        .map(|(n, _)| n.clone())
        .collect();
    if !missing.is_empty() {
        warnings.push(Warning {
            kind: WarningKind::MissingClassColumn,
            file,
            line: Some(1),
            message: format!("{} dataset class(es) have no {prefix}<class> column; their probability is taken as 0", missing.len()),
            count: missing.len() as u64,
            examples: missing.into_iter().take(MAX_EXAMPLES).collect(),
        });
    }
    let width = columns.len();
    if width == k && col_class.iter().all(Option::is_some) {
        let dest: Vec<usize> = col_class.iter().map(|c| c.unwrap_or(0)).collect();
        if dest.iter().enumerate().any(|(i, &d)| i != d) {
            values
                .par_chunks_mut(width.max(1) * 4096)
                .for_each(|block| {
                    let mut tmp = vec![0.0; width];
                    for row in block.chunks_exact_mut(width.max(1)) {
                        tmp.copy_from_slice(row);
                        for (v, &d) in tmp.iter().zip(&dest) {
                            row[d] = *v;
                        }
                    }
                });
        }
    } else {
        // Columns missing from the file are 0 (logits: -inf, i.e. probability 0 after softmax).
        let fill = if kind == PredictionKind::Logits {
            f64::NEG_INFINITY
        } else {
            0.0
        };
        let mut out = vec![fill; rows * k];
        out.par_chunks_mut(k.max(1))
            .zip(values.par_chunks(width.max(1)))
            .for_each(|(dst, src)| {
                for (v, c) in src.iter().zip(&col_class) {
                    if let Some(c) = c {
                        dst[*c] = *v;
                    }
                }
            });
        values = out;
    }
    values.truncate(rows * k);
    values.shrink_to_fit();
    Array2::from_shape_vec((rows, k), values).unwrap_or_else(|_| Array2::zeros((0, k)))
}

/// Normalises every row in parallel: top class, confidence and sum of squares from the exact
/// probabilities, then the row becomes log-probabilities.
pub(super) fn soft_rows(mut matrix: Array2<f64>, logits: bool) -> (Array2<f64>, RowColumns) {
    let mut out = RowColumns::new(matrix.nrows());
    if matrix.ncols() > 0 {
        const BLOCK: usize = 4096;
        let RowColumns {
            state,
            top,
            confidence,
            sum_sq,
        } = &mut out;
        matrix
            .axis_chunks_iter_mut(ndarray::Axis(0), BLOCK)
            .into_par_iter()
            .zip(state.par_chunks_mut(BLOCK))
            .zip(top.par_chunks_mut(BLOCK))
            .zip(
                confidence
                    .par_chunks_mut(BLOCK)
                    .zip(sum_sq.par_chunks_mut(BLOCK)),
            )
            .for_each(|(((mut block, state), top), (confidence, sum_sq))| {
                for (r, mut row) in block.rows_mut().into_iter().enumerate() {
                    if let Some(row) = row.as_slice_mut() {
                        let info = prepare_row(row, logits);
                        state[r] = info.state;
                        top[r] = info.top;
                        confidence[r] = info.confidence;
                        sum_sq[r] = info.sum_sq;
                    }
                }
            });
    }
    (matrix, out)
}

/// Renormalises a probability row (or applies softmax to logits, where -inf means probability 0),
/// records its top class, confidence and sum of squares, then replaces it with its natural logs.
pub(super) fn prepare_row(row: &mut [f64], logits: bool) -> RowInfo {
    let mut state = RowState::Ok;
    if logits {
        if row.iter().any(|v| v.is_nan() || *v == f64::INFINITY) {
            return EMPTY_ROW;
        }
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            return EMPTY_ROW;
        }
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    } else {
        if row.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return EMPTY_ROW;
        }
        let sum: f64 = row.iter().sum();
        if sum <= 0.0 {
            return EMPTY_ROW;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            state = RowState::FarFromOne;
        }
    }
    let (top, confidence) = argmax(row);
    let sum_sq = row.iter().map(|p| p * p).sum();
    for v in row.iter_mut() {
        *v = ln_nonnegative(*v);
    }
    RowInfo {
        state,
        top: top as u32,
        confidence,
        sum_sq,
    }
}

/// Index and value of the largest entry; the lowest index wins ties (numpy's `argmax`).
pub fn argmax(row: &[f64]) -> (usize, f64) {
    let mut best = (0usize, f64::NEG_INFINITY);
    for (i, &v) in row.iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best
}
