//! Predictions files: per sample either class probabilities (`prob_<class>`), logits (`logit_<class>`)
//! or a hard `prediction`/`pred` class name. Parsing does not need the dataset, so it runs in parallel
//! with the dataset load; the join then maps columns to classes, validates rows and renormalises.

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView1};
use rayon::prelude::*;

use crate::core::columns::{Interner, NONE, StrColumn};
use crate::core::dataset::{Dataset, TableFormat};
use crate::core::error::LoadError;
use crate::core::warnings::{Tally, WarningKind, Warnings};

use super::csv_reader::{CsvReader, Record};
use super::jsonl_reader::{JsonlReader, value_text};
use super::manifest::find_column;
use super::paths::normalize_sample_path;
use super::{FILE_COLUMNS, LoadControl, file_len};

/// What a predictions file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredictionKind {
    /// `prob_<class>` columns (renormalised per row).
    Probabilities,
    /// `logit_<class>` columns (softmax applied).
    Logits,
    /// A `prediction`/`pred` column with class names only: no probabilities, so no calibration.
    Hard,
}

/// A row whose probability sum is further than this from 1 is reported (and still renormalised).
pub const SUM_TOLERANCE: f64 = 0.01;

/// Predictions joined to a dataset's samples.
#[derive(Debug, Clone)]
pub struct Predictions {
    path: PathBuf,
    kind: PredictionKind,
    probs: Array2<f64>,
    row_of_sample: Vec<u32>,
    predicted: Vec<u32>,
    confidence: Vec<f64>,
    sum_sq: Vec<f64>,
    matched: u64,
    unmatched: u64,
}

impl Predictions {
    /// The file the predictions came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Probabilities, logits or hard labels.
    pub fn kind(&self) -> PredictionKind {
        self.kind
    }

    /// Whether per-class probabilities exist (so calibration can be computed).
    pub fn has_probabilities(&self) -> bool {
        self.kind != PredictionKind::Hard
    }

    /// Rows of the predictions file that named a sample of the dataset.
    pub fn matched(&self) -> u64 {
        self.matched
    }

    /// Rows that named files not in the dataset.
    pub fn unmatched(&self) -> u64 {
        self.unmatched
    }

    /// Predicted class of sample `i` (argmax, lowest index on ties), if it has a usable prediction.
    pub fn predicted(&self, i: usize) -> Option<usize> {
        self.predicted
            .get(i)
            .filter(|&&c| c != NONE)
            .map(|&c| c as usize)
    }

    /// Predicted class per sample ([`NONE`] = no usable prediction).
    pub fn predicted_all(&self) -> &[u32] {
        &self.predicted
    }

    /// Confidence (the top probability) of sample `i`, if it has probabilities.
    pub fn confidence(&self, i: usize) -> Option<f64> {
        self.confidence.get(i).copied().filter(|c| !c.is_nan())
    }

    /// The renormalised probability row of sample `i`, in dataset class order.
    pub fn probabilities(&self, i: usize) -> Option<ArrayView1<'_, f64>> {
        let row = *self.row_of_sample.get(i)?;
        if row == NONE || !self.has_probabilities() {
            return None;
        }
        Some(self.probs.row(row as usize))
    }

    /// Probability of class `class` for sample `i`.
    pub fn probability(&self, i: usize, class: usize) -> Option<f64> {
        let row = *self.row_of_sample.get(i)?;
        if row == NONE || !self.has_probabilities() {
            return None;
        }
        self.probs.get((row as usize, class)).copied()
    }

    /// Sum of squared probabilities of sample `i` (the Brier score is `sum_sq - 2 p_true + 1`).
    pub fn sum_sq(&self, i: usize) -> Option<f64> {
        let row = *self.row_of_sample.get(i)?;
        self.sum_sq.get(row as usize).copied()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.probs.len() * 8
            + self.row_of_sample.len() * 4
            + self.predicted.len() * 4
            + self.confidence.len() * 8
            + self.sum_sq.len() * 8
    }
}

/// A parsed predictions file, not yet joined to a dataset.
#[derive(Debug)]
pub struct RawPredictions {
    path: PathBuf,
    kind: PredictionKind,
    /// Normalised sample paths, one per row.
    files: StrColumn,
    lines: Vec<u32>,
    /// Class name per value column (prefix stripped), for probabilities/logits.
    columns: Vec<String>,
    /// Row-major values, `columns.len()` per row.
    values: Vec<f64>,
    /// Hard predictions: interned class name per row.
    hard_ids: Vec<u32>,
    hard_names: Vec<String>,
}

const PROB_PREFIX: &str = "prob_";
const LOGIT_PREFIX: &str = "logit_";
const HARD_COLUMNS: &[&str] = &["prediction", "pred"];

/// The value columns a header declares.
struct Layout {
    file_col: usize,
    kind: PredictionKind,
    /// (column index, class name) of each value column, or the hard column.
    value_cols: Vec<(usize, String)>,
}

fn layout(
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

fn parse_number(bytes: &[u8], path: &Path, line: u64, column: &str) -> Result<f64, LoadError> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(LoadError::parse(
            path,
            line,
            format!("{column} is empty; expected a number"),
        ));
    }
    fast_float2::parse::<f64, _>(trimmed).map_err(|_| {
        LoadError::parse(
            path,
            line,
            format!(
                "{column} is not a number: {:?}",
                String::from_utf8_lossy(trimmed)
            ),
        )
    })
}

/// Parses a predictions file. `root` (absolute) is the dataset root that file names are relative to.
pub fn parse_predictions(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<RawPredictions, LoadError> {
    if let Some(c) = control {
        c.total
            .fetch_add(file_len(path), std::sync::atomic::Ordering::Relaxed);
    }
    let format = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jsonl") | Some("ndjson") => TableFormat::Jsonl,
        _ => TableFormat::Csv,
    };
    match format {
        TableFormat::Csv => parse_csv(path, root, control, warnings),
        TableFormat::Jsonl => parse_jsonl(path, root, control, warnings),
    }
}

impl RawPredictions {
    fn new(path: &Path, kind: PredictionKind, columns: Vec<String>, rows_guess: usize) -> Self {
        let width = if kind == PredictionKind::Hard {
            0
        } else {
            columns.len()
        };
        Self {
            path: path.to_path_buf(),
            kind,
            files: StrColumn::with_capacity(rows_guess, 40),
            lines: Vec::with_capacity(rows_guess),
            columns,
            values: Vec::with_capacity(rows_guess * width),
            hard_ids: Vec::new(),
            hard_names: Vec::new(),
        }
    }

    fn push_file(&mut self, file: &str, root: &Path, line: u64) -> Result<(), LoadError> {
        if file.is_empty() {
            return Err(LoadError::parse(&self.path, line, "the file name is empty"));
        }
        let file = normalize_sample_path(file, root);
        self.files
            .push(&file)
            .map_err(|_| LoadError::parse(&self.path, line, "the file is too large"))?;
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        Ok(())
    }
}

fn parse_csv(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<RawPredictions, LoadError> {
    let mut reader = CsvReader::open(path, control.cloned())?;
    let mut rec = Record::default();
    if !reader.read_record(&mut rec)? {
        return Err(LoadError::parse_file(
            path,
            "the file is empty: expected a header row with file_name and prob_<class> columns",
        ));
    }
    let names: Vec<String> = (0..rec.len())
        .map(|i| rec.str(i, path, "header").map(|s| s.trim().to_string()))
        .collect::<Result<_, _>>()?;
    let layout = layout(&names, path, Some(1), warnings)?;
    let columns: Vec<String> = layout.value_cols.iter().map(|(_, c)| c.clone()).collect();
    let width = columns.len().max(1);
    let rows_guess = (file_len(path) / (12 * width as u64 + 30)).min(1 << 26) as usize;
    let mut raw = RawPredictions::new(path, layout.kind, columns, rows_guess);
    let mut interner = Interner::default();
    let file_name = &names[layout.file_col];
    let mut n = 0u64;
    while reader.read_record(&mut rec)? {
        n += 1;
        if n % 65536 == 0 {
            LoadControl::check(control)?;
        }
        let line = rec.line();
        if rec.len() != names.len() {
            return Err(LoadError::parse(
                path,
                line,
                format!(
                    "this row has {} fields but the header has {}",
                    rec.len(),
                    names.len()
                ),
            ));
        }
        raw.push_file(rec.str(layout.file_col, path, file_name)?, root, line)?;
        if layout.kind == PredictionKind::Hard {
            let (col, _) = &layout.value_cols[0];
            let name = rec.str(*col, path, &names[*col])?.trim();
            raw.hard_ids.push(if name.is_empty() {
                NONE
            } else {
                interner.intern(name)
            });
        } else {
            for (col, _) in &layout.value_cols {
                let bytes = rec.get(*col).unwrap_or_default();
                raw.values
                    .push(parse_number(bytes, path, line, &names[*col])?);
            }
        }
    }
    raw.hard_names = interner.into_names();
    Ok(raw)
}

fn parse_jsonl(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<RawPredictions, LoadError> {
    let mut reader = JsonlReader::open(path, control.cloned())?;
    let mut raw: Option<(RawPredictions, Layout, Vec<String>)> = None;
    let mut interner = Interner::default();
    while let Some((line, obj)) = reader.next_object()? {
        if raw.is_none() {
            let names: Vec<String> = obj.keys().cloned().collect();
            let layout = layout(&names, path, Some(line), warnings)?;
            let columns = layout.value_cols.iter().map(|(_, c)| c.clone()).collect();
            raw = Some((
                RawPredictions::new(path, layout.kind, columns, 1024),
                layout,
                names,
            ));
        }
        let Some((raw, layout, names)) = raw.as_mut() else {
            continue;
        };
        let file_key = &names[layout.file_col];
        let file = match obj.get(file_key) {
            Some(serde_json::Value::String(s)) => s.as_str(),
            _ => {
                return Err(LoadError::parse(
                    path,
                    line,
                    format!("{file_key:?} is missing or not a string"),
                ));
            }
        };
        raw.push_file(file, root, line)?;
        for (col, class) in &layout.value_cols {
            let key = &names[*col];
            let value = obj.get(key);
            if layout.kind == PredictionKind::Hard {
                let name = value.map(value_text).unwrap_or_default();
                let name = name.trim();
                raw.hard_ids.push(if name.is_empty() {
                    NONE
                } else {
                    interner.intern(name)
                });
                continue;
            }
            let number = match value {
                Some(serde_json::Value::Number(n)) => n.as_f64(),
                Some(serde_json::Value::String(s)) => {
                    Some(parse_number(s.as_bytes(), path, line, key)?)
                }
                None => {
                    return Err(LoadError::parse(
                        path,
                        line,
                        format!("no value for {key} (class {class:?})"),
                    ));
                }
                Some(other) => {
                    return Err(LoadError::parse(
                        path,
                        line,
                        format!("{key} is not a number: {other}"),
                    ));
                }
            };
            raw.values.push(number.unwrap_or(f64::NAN));
        }
    }
    let Some((mut raw, _, _)) = raw else {
        return Err(LoadError::parse_file(
            path,
            "the file is empty: expected one JSON object per line",
        ));
    };
    raw.hard_names = interner.into_names();
    Ok(raw)
}

/// Why a row could not be used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowState {
    Ok,
    FarFromOne,
    Invalid,
}

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
        lines,
        columns,
        mut values,
        hard_ids,
        hard_names,
    } = raw;
    let file_of = Some(path.clone());
    if kind == PredictionKind::Hard {
        dataset.adopt_classes(hard_names.clone());
    } else {
        dataset.adopt_classes(columns.clone());
    }
    let k = dataset.classes().len();
    let rows = files.len();

    // Column → class mapping, and the per-row class (hard) or reordered values (soft).
    let mut probs = Array2::<f64>::zeros((0, k));
    let mut hard_class: Vec<u32> = Vec::new();
    let mut unknown_pred = Tally::new(WarningKind::UnknownPredictedClass, file_of.clone());
    if kind == PredictionKind::Hard {
        let map: Vec<u32> = hard_names
            .iter()
            .map(|n| dataset.class_id(n).map_or(NONE, |c| c as u32))
            .collect();
        hard_class = hard_ids
            .iter()
            .map(|&h| {
                if h == NONE {
                    NONE
                } else {
                    map.get(h as usize).copied().unwrap_or(NONE)
                }
            })
            .collect();
        for (row, &h) in hard_ids.iter().enumerate() {
            if h != NONE && hard_class[row] == NONE {
                let name = hard_names.get(h as usize).cloned().unwrap_or_default();
                unknown_pred.add(lines.get(row).map(|&l| u64::from(l)), || name);
            }
        }
    } else {
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
            warnings.push(crate::core::warnings::Warning {
                kind: WarningKind::UnknownClassColumn,
                file: file_of.clone(),
                line: Some(1),
                message: format!("{} column(s) name no dataset class and are ignored (rows are renormalised without them)", unknown.len()),
                count: unknown.len() as u64,
                examples: unknown.into_iter().take(crate::core::warnings::MAX_EXAMPLES).collect(),
            });
        }
        let missing: Vec<String> = dataset
            .classes()
            .iter()
            .enumerate()
            .filter(|(c, _)| !col_class.contains(&Some(*c)))
            .map(|(_, n)| n.clone())
            .collect();
        if !missing.is_empty() {
            warnings.push(crate::core::warnings::Warning {
                kind: WarningKind::MissingClassColumn,
                file: file_of.clone(),
                line: Some(1),
                message: format!("{} dataset class(es) have no {prefix}<class> column; their probability is taken as 0", missing.len()),
                count: missing.len() as u64,
                examples: missing.into_iter().take(crate::core::warnings::MAX_EXAMPLES).collect(),
            });
        }
        let width = columns.len();
        let identity = width == k && col_class.iter().all(Option::is_some);
        if identity {
            // Reorder each row in place: the common case, no second matrix.
            let dest: Vec<usize> = col_class.iter().map(|c| c.unwrap_or(0)).collect();
            values.par_chunks_mut(width.max(1)).for_each(|row| {
                let tmp: Vec<f64> = row.to_vec();
                for (v, &d) in tmp.iter().zip(&dest) {
                    row[d] = *v;
                }
            });
        } else {
            let mut out = vec![0.0f64; rows * k];
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
        probs = Array2::from_shape_vec((rows, k), values).unwrap_or_else(|_| Array2::zeros((0, k)));
    }

    // Normalise rows (in parallel) and find each row's sample.
    let logits = kind == PredictionKind::Logits;
    let mut states = vec![RowState::Ok; rows];
    let mut sum_sq = vec![
        0.0f64;
        if kind == PredictionKind::Hard {
            0
        } else {
            rows
        }
    ];
    if kind != PredictionKind::Hard && k > 0 {
        probs
            .axis_iter_mut(ndarray::Axis(0))
            .into_par_iter()
            .zip(states.par_iter_mut())
            .zip(sum_sq.par_iter_mut())
            .for_each(|((mut row, state), ss)| {
                *state = normalise_row(row.as_slice_mut().unwrap_or(&mut []), logits);
                *ss = row.iter().map(|p| p * p).sum();
            });
    }
    let sample_of_row: Vec<u32> = (0..rows)
        .into_par_iter()
        .map(|r| {
            files
                .get(r)
                .and_then(|f| dataset.files().find(f))
                .unwrap_or(NONE)
        })
        .collect();

    let n = dataset.len();
    let mut row_of_sample = vec![NONE; n];
    let mut predicted = vec![NONE; n];
    let mut confidence = vec![f64::NAN; n];
    let (mut matched, mut unmatched) = (0u64, 0u64);
    let mut unmatched_tally = Tally::new(WarningKind::UnmatchedPrediction, file_of.clone());
    let mut dup_tally = Tally::new(WarningKind::DuplicatePrediction, file_of.clone());
    let mut invalid_tally = Tally::new(WarningKind::InvalidProbabilities, file_of.clone());
    let mut far_tally = Tally::new(WarningKind::UnnormalisedProbabilities, file_of.clone());
    for (row, &sample) in sample_of_row.iter().enumerate() {
        let line = lines.get(row).map(|&l| u64::from(l));
        let name = || files.get(row).unwrap_or_default().to_string();
        if sample == NONE {
            unmatched += 1;
            unmatched_tally.add(line, name);
            continue;
        }
        matched += 1;
        let s = sample as usize;
        if row_of_sample[s] != NONE {
            dup_tally.add(line, || format!("{} on line {}", name(), line.unwrap_or(0)));
            continue;
        }
        match states[row] {
            RowState::Invalid => {
                invalid_tally.add(line, || format!("line {}", line.unwrap_or(0)));
                continue;
            }
            RowState::FarFromOne => far_tally.add(line, || format!("line {}", line.unwrap_or(0))),
            RowState::Ok => {}
        }
        if kind == PredictionKind::Hard {
            let c = hard_class.get(row).copied().unwrap_or(NONE);
            if c == NONE {
                continue;
            }
            row_of_sample[s] = row as u32;
            predicted[s] = c;
        } else {
            row_of_sample[s] = row as u32;
            let (arg, conf) = argmax(probs.row(row));
            predicted[s] = arg as u32;
            confidence[s] = conf;
        }
    }
    let mut missing_tally = Tally::new(WarningKind::MissingPrediction, file_of.clone());
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
        let what = if logits {
            "non-finite logits"
        } else {
            "probabilities that are negative, NaN, infinite or all zero"
        };
        format!("{c} row(s) have {what} and are not used")
    });
    far_tally.finish(warnings, |c| format!("{c} row(s) have probabilities that do not sum to 1 (off by more than {SUM_TOLERANCE}); they are renormalised"));
    unknown_pred.finish(warnings, |c| format!("{c} row(s) predict a class that is not in the dataset; those samples are left out of the metrics"));
    missing_tally.finish(warnings, |c| {
        format!("{c} of {n} samples have no usable prediction")
    });
    Predictions {
        path,
        kind,
        probs,
        row_of_sample,
        predicted,
        confidence,
        sum_sq,
        matched,
        unmatched,
    }
}

/// Renormalises probabilities (or applies softmax to logits) in place.
fn normalise_row(row: &mut [f64], logits: bool) -> RowState {
    if logits {
        if row.iter().any(|v| !v.is_finite()) {
            return RowState::Invalid;
        }
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
        return RowState::Ok;
    }
    if row.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return RowState::Invalid;
    }
    let sum: f64 = row.iter().sum();
    if sum <= 0.0 {
        return RowState::Invalid;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
    if (sum - 1.0).abs() > SUM_TOLERANCE {
        RowState::FarFromOne
    } else {
        RowState::Ok
    }
}

/// Index and value of the largest entry; the lowest index wins ties (numpy's `argmax`).
pub fn argmax(row: ArrayView1<'_, f64>) -> (usize, f64) {
    let mut best = (0usize, f64::NEG_INFINITY);
    for (i, &v) in row.iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best
}

/// Parses and joins a predictions file to an already loaded dataset ("Open predictions…").
pub fn load_predictions(
    dataset: &mut Dataset,
    path: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<Predictions, LoadError> {
    let root = super::paths::absolute_root(dataset.root());
    let raw = parse_predictions(path, &root, control, warnings)?;
    Ok(join_predictions(dataset, raw, warnings))
}
