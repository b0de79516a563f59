//! Predictions files: per sample either class probabilities (`prob_<class>`), logits (`logit_<class>`)
//! or a hard `prediction`/`pred` class name. Parsing does not need the dataset, so it runs in parallel
//! with the dataset load; the join then maps columns to classes, validates rows and renormalises.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use rayon::prelude::*;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::core::columns::{Interner, NONE, StrColumn};
use crate::core::dataset::Dataset;
use crate::core::error::LoadError;
use crate::core::sample_files::path_hash;
use crate::core::warnings::{MAX_EXAMPLES, Tally, Warning, WarningKind, Warnings};

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

    /// The predictions row of sample `i`, if it has a usable prediction.
    pub fn row_of(&self, i: usize) -> Option<usize> {
        self.row_of_sample
            .get(i)
            .filter(|&&r| r != NONE)
            .map(|&r| r as usize)
    }

    /// The sample per predictions row ([`NONE`] = row not used), in file order.
    pub fn sample_of_rows(&self) -> &[u32] {
        &self.sample_of_row
    }

    /// Top class of row `row`.
    pub fn row_top(&self, row: usize) -> Option<usize> {
        self.row_top
            .get(row)
            .filter(|&&c| c != NONE)
            .map(|&c| c as usize)
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

/// Powers of ten exactly representable as f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Clinger's fast path for a plain decimal (`-0.0012`, `9.11885e-05`): when the digits fit in 53 bits
/// and the power of ten is exact, one IEEE multiply or divide gives the correctly rounded value, the
/// same bits any correct parser returns. `None` sends everything else to the general parser.
fn parse_simple_decimal(b: &[u8]) -> Option<f64> {
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let mut exponent: i32 = 0;
    let mut digits = 0;
    // Integer part, then fraction: two tight loops predict better than one with a branch per '.'.
    while let Some(d) = b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10) {
        if mantissa >= (1 << 53) / 10 {
            return None;
        }
        mantissa = mantissa * 10 + u64::from(d);
        digits += 1;
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10) {
            if mantissa >= (1 << 53) / 10 {
                return None;
            }
            mantissa = mantissa * 10 + u64::from(d);
            digits += 1;
            exponent -= 1;
            i += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if let Some(&(b'e' | b'E')) = b.get(i) {
        i += 1;
        let exp_negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i32 = 0;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start >= 4 {
                return None;
            }
            e = e * 10 + i32::from(c - b'0');
            i += 1;
        }
        if i == start {
            return None;
        }
        exponent += if exp_negative { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let value = mantissa as f64;
    let value = match exponent {
        0 => value,
        1..=22 => value * POW10[exponent as usize],
        -22..=-1 => value / POW10[(-exponent) as usize],
        _ => return None,
    };
    Some(if negative { -value } else { value })
}

fn parse_number(bytes: &[u8], path: &Path, line: u64, column: &str) -> Result<f64, LoadError> {
    if let Some(v) = parse_simple_decimal(bytes) {
        return Ok(v);
    }
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(LoadError::parse(
            path,
            line,
            format!("{column} is empty; expected a number"),
        ));
    }
    if let Some(v) = parse_simple_decimal(trimmed) {
        return Ok(v);
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
    match plan_predictions(path, root, control, warnings)? {
        CsvPlan::Parsed(raw) => Ok(raw),
        CsvPlan::Chunks(plan) => {
            plan.work();
            plan.finish()
        }
    }
}

/// Starts parsing a predictions file: JSONL and small CSV files are parsed at once; a large CSV comes
/// back as chunks for one or more threads to parse ([`ChunkPlan::work`]) and join ([`ChunkPlan::finish`]).
pub fn plan_predictions(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<CsvPlan, LoadError> {
    if let Some(c) = control {
        c.total.fetch_add(file_len(path), Ordering::Relaxed);
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jsonl") | Some("ndjson") => {
            parse_jsonl(path, root, control, warnings).map(CsvPlan::Parsed)
        }
        _ => plan_csv(path, root, control, warnings),
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

/// Files with a body at least twice this size are parsed in chunks of about this size, which any
/// thread can take (see [`crate::core::load::open`]).
const CHUNK_BYTES: u64 = 4 << 20;

/// How a predictions CSV will be parsed: already parsed (small files), or chunks to share out.
#[allow(
    clippy::large_enum_variant,
    reason = "made once per load and moved once; boxing buys nothing"
)]
pub enum CsvPlan {
    /// Parsed in one pass.
    Parsed(RawPredictions),
    /// To be parsed chunk by chunk by [`ChunkPlan::work`] on one or more threads.
    Chunks(ChunkPlan),
}

/// Reads the header of a predictions CSV and either parses a small file at once or splits a large one.
fn plan_csv(
    path: &Path,
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<CsvPlan, LoadError> {
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
    let header = CsvHeader {
        path: path.to_path_buf(),
        root: root.to_path_buf(),
        control: control.cloned(),
        names,
        layout,
    };
    let size = file_len(path);
    let body_start = reader.consumed_bytes();
    if size.saturating_sub(body_start) >= 2 * CHUNK_BYTES
        && let Some(ranges) = chunk_ranges(path, body_start, size)
    {
        return Ok(CsvPlan::Chunks(ChunkPlan::new(header, ranges, size)));
    }
    let mut out = header.empty(size);
    parse_rows(&header, &mut reader, &mut out, &mut rec)?;
    Ok(CsvPlan::Parsed(out.finish()))
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

/// Parses every remaining record of `reader` into `out`.
fn parse_rows<R: std::io::Read>(
    h: &CsvHeader,
    reader: &mut CsvReader<R>,
    out: &mut Parsed,
    rec: &mut Record,
) -> Result<(), LoadError> {
    let (path, names, layout) = (h.path.as_path(), &h.names, &h.layout);
    let file_name = &names[layout.file_col];
    let mut n = 0u64;
    while reader.read_record(rec)? {
        n += 1;
        if n.is_multiple_of(65536) {
            LoadControl::check(h.control.as_ref())?;
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
        out.raw
            .push_file(rec.str(layout.file_col, path, file_name)?, &h.root, line)?;
        if layout.kind == PredictionKind::Hard {
            let (col, _) = &layout.value_cols[0];
            let name = rec.str(*col, path, &names[*col])?.trim();
            out.raw.hard_ids.push(if name.is_empty() {
                NONE
            } else {
                out.interner.intern(name)
            });
        } else {
            for (col, _) in &layout.value_cols {
                let bytes = rec.get(*col).unwrap_or_default();
                out.raw
                    .values
                    .push(parse_number(bytes, path, line, &names[*col])?);
            }
        }
    }
    Ok(())
}

/// Byte ranges of about [`CHUNK_BYTES`] covering `body_start..size`, each starting right after a newline.
fn chunk_ranges(path: &Path, body_start: u64, size: u64) -> Option<Vec<(u64, u64)>> {
    use std::os::unix::fs::FileExt as _;
    let file = std::fs::File::open(path).ok()?;
    let chunks = ((size - body_start) / CHUNK_BYTES).max(2);
    let mut starts = vec![body_start];
    let mut buf = vec![0u8; 64 << 10];
    for k in 1..chunks {
        let mut at = body_start + (size - body_start) * k / chunks;
        let start = loop {
            if at >= size {
                break size;
            }
            let n = file.read_at(&mut buf, at).ok()?;
            if n == 0 {
                break size;
            }
            if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                break at + i as u64 + 1;
            }
            at += n as u64;
        };
        if start > *starts.last()? && start < size {
            starts.push(start);
        }
    }
    Some(
        starts
            .iter()
            .zip(starts.iter().skip(1).chain([&size]))
            .map(|(&a, &b)| (a, b))
            .collect(),
    )
}

/// A large predictions CSV split into chunks that several threads parse: each thread takes the next
/// chunk until none are left (no idle spinning, unlike a thread pool, so a thread still busy with the
/// dataset is not slowed), parses it into its own reused scratch buffers, then appends them to the
/// shared result in chunk order (waiting its turn), so there is no merge at the end and no per-chunk
/// allocation churn. Chunks start right after a newline; chunk k starts at a record boundary when
/// chunk k-1, itself rightly started, ends outside any quoted field, which its reader checks (an open
/// quote at its end is an error). Any error in any chunk makes [`ChunkPlan::finish`] parse the file in
/// one pass instead, which reports errors with exact line numbers.
pub struct ChunkPlan {
    header: CsvHeader,
    ranges: Vec<(u64, u64)>,
    next: AtomicUsize,
    failed: AtomicBool,
    joined: Mutex<Joined>,
    turn: Condvar,
}

/// The chunks appended so far.
struct Joined {
    /// The chunk whose turn it is to append.
    next: usize,
    out: Parsed,
    /// Lines before the next chunk (the header is line 1).
    lines_before: u64,
}

impl ChunkPlan {
    fn new(header: CsvHeader, ranges: Vec<(u64, u64)>, size: u64) -> Self {
        let out = header.empty(size);
        Self {
            header,
            ranges,
            next: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
            joined: Mutex::new(Joined {
                next: 0,
                out,
                lines_before: 1,
            }),
            turn: Condvar::new(),
        }
    }

    fn fail(&self) {
        self.failed.store(true, Ordering::Relaxed);
        // Take the lock so no waiter misses the wake-up between its check and its wait.
        drop(self.joined.lock());
        self.turn.notify_all();
    }

    /// Parses chunks until none are left; call from any number of threads.
    pub fn work(&self) {
        use std::io::{Read as _, Seek as _};
        let h = &self.header;
        let mut scratch = h.empty(CHUNK_BYTES + CHUNK_BYTES / 2);
        let mut rec = Record::default();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&(start, end)) = self.ranges.get(i) else {
                return;
            };
            if self.failed.load(Ordering::Relaxed) {
                return;
            }
            scratch.clear();
            let lines = (|| {
                let mut f = std::fs::File::open(&h.path).ok()?;
                f.seek(std::io::SeekFrom::Start(start)).ok()?;
                let mut reader =
                    CsvReader::new_slice(f.take(end - start), &h.path, h.control.clone());
                parse_rows(h, &mut reader, &mut scratch, &mut rec).ok()?;
                Some(reader.line() - 1)
            })();
            let Some(lines) = lines else {
                self.fail();
                return;
            };
            let Ok(mut joined) = self.joined.lock() else {
                self.fail();
                return;
            };
            while joined.next != i && !self.failed.load(Ordering::Relaxed) {
                joined = match self.turn.wait(joined) {
                    Ok(j) => j,
                    Err(_) => {
                        self.failed.store(true, Ordering::Relaxed);
                        return;
                    }
                };
            }
            if self.failed.load(Ordering::Relaxed) {
                return;
            }
            let Joined {
                out,
                lines_before,
                next,
            } = &mut *joined;
            if out.append(&scratch, *lines_before).is_none() {
                drop(joined);
                self.fail();
                return;
            }
            *lines_before += lines;
            *next += 1;
            drop(joined);
            self.turn.notify_all();
        }
    }

    /// The joined chunks, or one pass over the file if any chunk could not be taken on its own.
    pub fn finish(self) -> Result<RawPredictions, LoadError> {
        let Self {
            header,
            failed,
            joined,
            ranges,
            ..
        } = self;
        let joined = joined
            .into_inner()
            .ok()
            .filter(|j| !failed.into_inner() && j.next == ranges.len());
        match joined {
            Some(j) => Ok(j.out.finish()),
            None => {
                let mut reader = CsvReader::open(&header.path, header.control.clone())?;
                let mut rec = Record::default();
                reader.read_record(&mut rec)?; // the header, already checked
                let mut out = header.empty(file_len(&header.path));
                parse_rows(&header, &mut reader, &mut out, &mut rec)?;
                Ok(out.finish())
            }
        }
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
    super::timing("  join: lookups", t0);

    // Settle unmatched and repeated rows while the names are at hand (the first row naming a file is
    // the one used), then let the names go before the matrix work.
    let n = dataset.len();
    let mut row_of_sample = vec![NONE; n];
    let (mut matched, mut unmatched) = (0u64, 0u64);
    let mut unmatched_tally = Tally::new(WarningKind::UnmatchedPrediction, file_of.clone());
    let mut dup_tally = Tally::new(WarningKind::DuplicatePrediction, file_of.clone());
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
    super::timing("  join: matrix", t0);

    // Rows whose values cannot be used leave their sample without a prediction.
    let mut invalid_tally = Tally::new(WarningKind::InvalidProbabilities, file_of.clone());
    let mut far_tally = Tally::new(WarningKind::UnnormalisedProbabilities, file_of.clone());
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
fn hard_rows(
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
    let mut unknown = Tally::new(WarningKind::UnknownPredictedClass, file);
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
fn class_matrix(
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
    let missing: Vec<String> = dataset
        .classes()
        .iter()
        .enumerate()
        .filter(|(c, _)| !col_class.contains(&Some(*c)))
        .map(|(_, n)| n.clone())
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
fn soft_rows(mut matrix: Array2<f64>, logits: bool) -> (Array2<f64>, RowColumns) {
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
fn prepare_row(row: &mut [f64], logits: bool) -> RowInfo {
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
        *v = v.ln();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_decimal_path_agrees_bit_for_bit_with_the_general_parser() {
        let cases = [
            "0",
            "1",
            "-2.5",
            "+3",
            "0.000110216",
            "9.11885e-05",
            "0.991475",
            "1e-22",
            "12345678901234567",
            "7.2E+3",
            "0.1",
            "0.30000000000000004",
            "123.456e2",
            ".5",
            "5.",
            "4.2e-7",
            "0.000000000000000000001",
        ];
        for c in cases {
            let fast = parse_simple_decimal(c.as_bytes());
            let general: f64 = c.parse().unwrap();
            if let Some(v) = fast {
                assert_eq!(v.to_bits(), general.to_bits(), "{c}");
            }
        }
        // Outside the exact range the fast path declines and the general parser decides.
        for c in [
            "1e-300",
            "123456789012345678901",
            "nan",
            "inf",
            "1e",
            "--1",
            "1.2.3",
            "",
            "e5",
            " 1",
        ] {
            assert_eq!(parse_simple_decimal(c.as_bytes()), None, "{c}");
        }
        let p = Path::new("p.csv");
        assert_eq!(parse_number(b"1e-300", p, 2, "prob_a").unwrap(), 1e-300);
        assert_eq!(parse_number(b" 0.25 ", p, 2, "prob_a").unwrap(), 0.25);
        assert!(parse_number(b"NaN", p, 2, "prob_a").unwrap().is_nan());
        assert!(parse_number(b"0.5x", p, 2, "prob_a").is_err());
    }

    #[test]
    fn fast_decimal_path_on_many_random_values() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mantissa = x % 10_000_000;
            let exp = (x >> 40) % 30;
            let text = format!("{mantissa}e-{exp}");
            let general: f64 = text.parse().unwrap();
            if let Some(v) = parse_simple_decimal(text.as_bytes()) {
                assert_eq!(v.to_bits(), general.to_bits(), "{text}");
            }
            let text = format!("{:.6}", general);
            let general: f64 = text.parse().unwrap();
            assert_eq!(
                parse_simple_decimal(text.as_bytes()).map(f64::to_bits),
                Some(general.to_bits()),
                "{text}"
            );
        }
    }
}
