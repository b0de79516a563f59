//! Predictions files: per sample either class probabilities (`prob_<class>`), logits (`logit_<class>`)
//! or a hard `prediction`/`pred` class name. Parsing does not need the dataset, so it runs in parallel
//! with the dataset load; the join then maps columns to classes, validates rows and renormalises.

use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::core::data::columns::{Interner, NONE, StrColumn, id_at};
use crate::core::data::dataset::Dataset;
use crate::core::data::error::LoadError;
use crate::core::data::sample_files::path_hash;
use crate::core::data::warnings::Warnings;

use super::LoadControl;
use super::paths::normalize_sample_path;

mod chunks;
mod header;
mod join;
mod parquet;
mod parse;

use chunks::*;
pub(in crate::core::data::load) use chunks::{CHUNK_BYTES, chunk_ranges};
pub use chunks::{ChunkPlan, CsvPlan};
pub use join::{argmax, join_predictions};
pub use parquet::{parquet_predictions_as_csv, predictions_columns};
use parse::*;
pub use parse::{parse_predictions, plan_predictions};

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

/// Predictions joined to a dataset's samples. Per-row arrays follow the file's row order (the order
/// the metrics read the matrix in, sequentially); per-sample arrays serve the GUI's filters.
#[derive(Debug, Clone)]
pub struct Predictions {
    path: PathBuf,
    kind: PredictionKind,
    /// Natural log of the renormalised probabilities, rows in file order, columns in class order
    /// (-inf for a probability of 0). Logs, because the temperature fit needs only `exp` per pass then.
    log_probs: Array2<f64>,
    /// The sample each row predicts; [`NONE`] for rows not used (unmatched, repeated, invalid).
    sample_of_row: Vec<u32>,
    /// Top class (argmax, lowest index on ties) per row; the class itself for hard predictions.
    row_top: Vec<u32>,
    /// Top probability per row (NaN for hard predictions).
    row_confidence: Vec<f64>,
    /// Sum of squared probabilities per row (the Brier score is `sum_sq - 2 p_true + 1`).
    row_sum_sq: Vec<f64>,
    row_of_sample: Vec<u32>,
    predicted: Vec<u32>,
    confidence: Vec<f64>,
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
        id_at(&self.predicted, i)
    }

    /// Predicted class per sample ([`NONE`] = no usable prediction).
    pub fn predicted_all(&self) -> &[u32] {
        &self.predicted
    }

    /// Confidence (the top probability) of sample `i`, if it has probabilities.
    pub fn confidence(&self, i: usize) -> Option<f64> {
        self.confidence.get(i).copied().filter(|c| !c.is_nan())
    }

    /// The predictions row of sample `i`, if it has a usable prediction.
    pub fn row_of(&self, i: usize) -> Option<usize> {
        id_at(&self.row_of_sample, i)
    }

    /// The sample per predictions row ([`NONE`] = row not used), in file order.
    pub fn sample_of_rows(&self) -> &[u32] {
        &self.sample_of_row
    }

    /// Top class of row `row`.
    pub fn row_top(&self, row: usize) -> Option<usize> {
        id_at(&self.row_top, row)
    }

    /// Top probability of row `row` (NaN for hard predictions).
    pub fn row_confidence(&self, row: usize) -> f64 {
        self.row_confidence.get(row).copied().unwrap_or(f64::NAN)
    }

    /// Sum of squared probabilities of row `row`.
    pub fn row_sum_sq(&self, row: usize) -> f64 {
        self.row_sum_sq.get(row).copied().unwrap_or(0.0)
    }

    /// Log-probabilities of row `row`, in dataset class order (empty for hard predictions).
    pub fn row_log_probabilities(&self, row: usize) -> &[f64] {
        if !self.has_probabilities() || row >= self.log_probs.nrows() {
            return &[];
        }
        self.log_probs.row(row).to_slice().unwrap_or(&[])
    }

    /// The natural log of sample `i`'s renormalised probabilities, in dataset class order.
    pub fn log_probabilities(&self, i: usize) -> Option<&[f64]> {
        let row = self.row_of(i)?;
        self.has_probabilities()
            .then(|| self.row_log_probabilities(row))
    }

    /// Sample `i`'s renormalised probabilities, in dataset class order.
    pub fn probabilities(&self, i: usize) -> Option<Vec<f64>> {
        self.log_probabilities(i)
            .map(|row| row.iter().map(|z| z.exp()).collect())
    }

    /// Probability of class `class` for sample `i`.
    pub fn probability(&self, i: usize, class: usize) -> Option<f64> {
        self.log_probabilities(i)?.get(class).map(|z| z.exp())
    }

    /// Follows a change of the dataset's class list (a label edit that added a class): column `c`
    /// moves to `table[c]` of `classes` columns, and the new classes get probability 0.
    pub fn remap_classes(&mut self, table: &[u32], classes: usize) {
        let map = |id: &mut u32| {
            if *id != NONE {
                *id = table.get(*id as usize).copied().unwrap_or(NONE);
            }
        };
        self.row_top.iter_mut().for_each(map);
        self.predicted.iter_mut().for_each(map);
        let rows = self.log_probs.nrows();
        let mut wider = Array2::from_elem((rows, classes), f64::NEG_INFINITY);
        if self.kind == PredictionKind::Hard {
            wider = Array2::zeros((0, classes));
        } else {
            for (old, &new) in table.iter().enumerate() {
                if (new as usize) < classes && old < self.log_probs.ncols() {
                    wider
                        .column_mut(new as usize)
                        .assign(&self.log_probs.column(old));
                }
            }
        }
        self.log_probs = wider;
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.log_probs.len() * 8
            + (self.sample_of_row.len()
                + self.row_top.len()
                + self.row_of_sample.len()
                + self.predicted.len())
                * 4
            + (self.row_confidence.len() + self.row_sum_sq.len() + self.confidence.len()) * 8
    }
}

/// A parsed predictions file, not yet joined to a dataset.
#[derive(Debug)]
pub struct RawPredictions {
    path: PathBuf,
    kind: PredictionKind,
    /// Normalised sample paths, one per row.
    files: StrColumn,
    /// [`path_hash`] of each path, computed while parsing (the bytes are hot then).
    hashes: Vec<u64>,
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

impl RawPredictions {
    /// The classes the file names: its value columns, or for hard predictions the names its rows
    /// give (unmatched rows too, as the join adopts them).
    pub fn class_names(&self) -> &[String] {
        if self.kind == PredictionKind::Hard {
            &self.hard_names
        } else {
            &self.columns
        }
    }

    /// Rows parsed.
    pub fn num_rows(&self) -> usize {
        self.hashes.len()
    }

    /// What the file holds.
    pub fn kind(&self) -> PredictionKind {
        self.kind
    }

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
            hashes: Vec::with_capacity(rows_guess),
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
        self.hashes.push(path_hash(&file));
        self.files
            .push(&file)
            .map_err(|_| LoadError::parse(&self.path, line, "the file is too large"))?;
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        Ok(())
    }
}

/// What every chunk of one predictions CSV shares.
struct CsvHeader {
    path: PathBuf,
    root: PathBuf,
    control: Option<LoadControl>,
    names: Vec<String>,
    layout: Layout,
}

/// Rows parsed from a file or a chunk of it; hard prediction names are interned per chunk.
struct Parsed {
    raw: RawPredictions,
    interner: Interner,
}

impl CsvHeader {
    fn empty(&self, bytes: u64) -> Parsed {
        let columns: Vec<String> = self
            .layout
            .value_cols
            .iter()
            .map(|(_, c)| c.clone())
            .collect();
        let width = columns.len().max(1);
        let rows_guess = (bytes / (12 * width as u64 + 30)).min(1 << 26) as usize;
        Parsed {
            raw: RawPredictions::new(&self.path, self.layout.kind, columns, rows_guess),
            interner: Interner::default(),
        }
    }
}

impl Parsed {
    fn finish(mut self) -> RawPredictions {
        self.raw.hard_names = self.interner.into_names();
        self.raw
    }
}

impl Parsed {
    /// Empties the buffers for reuse, keeping their capacity.
    fn clear(&mut self) {
        let raw = &mut self.raw;
        raw.files = std::mem::take(&mut raw.files).cleared();
        raw.hashes.clear();
        raw.lines.clear();
        raw.values.clear();
        raw.hard_ids.clear();
        self.interner = Interner::default();
    }

    /// Appends a chunk's rows (line numbers made absolute, hard prediction names re-interned).
    fn append(&mut self, part: &Parsed, lines_before: u64) -> Option<()> {
        let raw = &mut self.raw;
        raw.files.append(&part.raw.files).ok()?;
        raw.hashes.extend_from_slice(&part.raw.hashes);
        raw.lines.extend(
            part.raw
                .lines
                .iter()
                .map(|&l| u32::try_from(u64::from(l) + lines_before).unwrap_or(u32::MAX)),
        );
        raw.values.extend_from_slice(&part.raw.values);
        let ids: Vec<u32> = part
            .interner
            .names()
            .map(|n| self.interner.intern(n))
            .collect();
        raw.hard_ids.extend(part.raw.hard_ids.iter().map(|&i| {
            if i == NONE {
                NONE
            } else {
                ids.get(i as usize).copied().unwrap_or(NONE)
            }
        }));
        Some(())
    }
}

/// Why a row could not be used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowState {
    Ok,
    FarFromOne,
    Invalid,
}

/// What the join learns about one predictions row.
#[derive(Clone, Copy)]
struct RowInfo {
    state: RowState,
    top: u32,
    confidence: f64,
    sum_sq: f64,
}

/// What the join learns about every predictions row, one column per field (a million rows of
/// `RowInfo` would be 32 MB; these columns are what `Predictions` keeps anyway).
struct RowColumns {
    state: Vec<RowState>,
    top: Vec<u32>,
    confidence: Vec<f64>,
    sum_sq: Vec<f64>,
}

impl RowColumns {
    fn new(rows: usize) -> Self {
        Self {
            state: vec![RowState::Invalid; rows],
            top: vec![NONE; rows],
            confidence: vec![f64::NAN; rows],
            sum_sq: vec![0.0; rows],
        }
    }
}

const EMPTY_ROW: RowInfo = RowInfo {
    state: RowState::Invalid,
    top: NONE,
    confidence: f64::NAN,
    sum_sq: 0.0,
};

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
