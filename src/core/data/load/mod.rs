//! Opening datasets and predictions from disk: detects the layout (class folders, CSV/JSONL manifest,
//! Hugging Face `metadata.csv`/`metadata.jsonl` folder), parses it and reports per-row findings as
//! [`Warnings`] instead of stopping, except where the input cannot mean anything (then a [`LoadError`]
//! naming file and line).

mod annotations;
mod control;
mod conventions;
mod csv_reader;
mod folder;
pub mod hf;
mod jsonl_reader;
mod manifest;
pub mod options;
mod paths;
mod predictions;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub use annotations::{ANNOTATOR_COLUMNS, Annotations, load_annotations};
pub use control::{LoadControl, timing};
pub use conventions::{FILE_COLUMNS, LABEL_COLUMNS, SPLIT_COLUMN, SPLIT_NAMES, is_media_file};
pub use csv_reader::{CsvReader, Record, quote_field};
pub use folder::{class_folder_sample, is_split_level};
pub use jsonl_reader::{JsonlReader, value_text};
pub(crate) use manifest::RowIdentity;
pub use manifest::{find_column, read_csv_header};
pub use paths::normalize_sample_path;
pub use predictions::{
    ChunkPlan, CsvPlan, PredictionKind, Predictions, RawPredictions, argmax, join_predictions,
    load_predictions, parquet_predictions_as_csv, parse_predictions, plan_predictions,
    predictions_columns,
};

use super::dataset::{Dataset, TableFormat};
use super::error::LoadError;
use super::warnings::Warnings;

pub use crate::core::media::{AUDIO_EXTENSIONS, IMAGE_EXTENSIONS};
/// What a DATASET argument turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetKind {
    /// A class-folder tree rooted at this folder.
    Folder(PathBuf),
    /// A manifest file.
    Manifest(PathBuf, TableFormat),
    /// A Hugging Face dataset: Parquet shards or a `save_to_disk` folder.
    HuggingFace(hf::HfLayout),
}

/// Decides how to read `path` without reading the whole of it.
pub fn detect(path: &Path) -> Result<DatasetKind, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_dir() {
        for (name, format) in [
            ("metadata.csv", TableFormat::Csv),
            ("metadata.jsonl", TableFormat::Jsonl),
        ] {
            let candidate = path.join(name);
            if candidate.is_file() {
                return Ok(DatasetKind::Manifest(candidate, format));
            }
        }
        if let Some(layout) = hf::detect_layout(path)? {
            return Ok(DatasetKind::HuggingFace(layout));
        }
        return Ok(DatasetKind::Folder(path.to_path_buf()));
    }
    if let Some(layout) = hf::detect_layout(path)? {
        return Ok(DatasetKind::HuggingFace(layout));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(DatasetKind::Manifest(path.to_path_buf(), TableFormat::Csv)),
        Some("jsonl") | Some("ndjson") => Ok(DatasetKind::Manifest(path.to_path_buf(), TableFormat::Jsonl)),
        _ => Err(LoadError::NotADataset {
            path: path.to_path_buf(),
            reason: "not a dataset: expected a folder (class folders, metadata.csv/metadata.jsonl inside, Parquet shards or a save_to_disk folder), a .csv/.jsonl manifest or a .parquet/.arrow file".into(),
        }),
    }
}

/// Opens a dataset (any of the layouts in the contract). Row-level findings go to `warnings`.
pub fn open_dataset(
    path: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<Dataset, LoadError> {
    match detect(path)? {
        DatasetKind::Folder(root) => folder::load_folder(&root, control, warnings),
        DatasetKind::Manifest(file, format) => {
            manifest::load_manifest(&file, format, control, warnings)
        }
        DatasetKind::HuggingFace(layout) => {
            let options = hf::HfOptions {
                text_column: options::text_column().map(str::to_string),
            };
            hf::load_hf(&layout, &options, control, warnings)
        }
    }
}

/// Opens a dataset and, optionally, its predictions. The two files are parsed on two threads at once
/// (the join needs both), which is most of the time on a million rows.
pub fn open(
    dataset_path: &Path,
    predictions_path: Option<&Path>,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<(Dataset, Option<Predictions>), LoadError> {
    open_with(dataset_path, predictions_path, control, warnings, |_, _| {
        Ok(())
    })
}

/// [`open`], with `prepare` run on the dataset before predictions are joined to it (label edits go
/// there: a new class must exist before the predictions' columns are mapped to classes).
pub fn open_with<E: From<LoadError>>(
    dataset_path: &Path,
    predictions_path: Option<&Path>,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
    prepare: impl FnOnce(&mut Dataset, &mut Warnings) -> Result<(), E>,
) -> Result<(Dataset, Option<Predictions>), E> {
    let Some(pred_path) = predictions_path else {
        let mut dataset = open_dataset(dataset_path, control, warnings)?;
        prepare(&mut dataset, warnings)?;
        return Ok((dataset, None));
    };
    let root = match detect(dataset_path)? {
        DatasetKind::Folder(root) => root,
        DatasetKind::Manifest(file, _) => file.parent().map(Path::to_path_buf).unwrap_or_default(),
        DatasetKind::HuggingFace(layout) => layout.root().to_path_buf(),
    };
    let root = paths::absolute_root(if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &root
    });
    let mut pred_warnings = Warnings::default();
    let started = std::time::Instant::now();
    // The predictions thread reads the header and, for a large CSV, starts on its chunks; this thread
    // loads the dataset, then takes the chunks that are left. The join needs both.
    let shared: std::sync::OnceLock<ChunkPlan> = std::sync::OnceLock::new();
    let dataset_failed = AtomicBool::new(false);
    let (dataset, planned) = std::thread::scope(|scope| {
        let parser =
            std::thread::Builder::new()
                .name("predictions-parser".into())
                .spawn_scoped(scope, || {
                    let planned = plan_predictions(pred_path, &root, control, &mut pred_warnings)
                        .map(|plan| match plan {
                            CsvPlan::Parsed(raw) => Some(raw),
                            CsvPlan::Chunks(chunks) => {
                                let plan = shared.get_or_init(|| chunks);
                                // Published first, checked second: with the dataset thread doing
                                // the opposite, one of the two always sees the other.
                                if dataset_failed.load(Ordering::SeqCst) {
                                    plan.abandon();
                                }
                                plan.work();
                                None
                            }
                        });
                    timing("parse predictions (its thread)", started);
                    planned
                });
        let dataset = open_dataset(dataset_path, control, warnings);
        timing("load dataset", started);
        if dataset.is_err() {
            // Its error is what the user will see: stop parsing predictions that cannot be joined.
            dataset_failed.store(true, Ordering::SeqCst);
            if let Some(plan) = shared.get() {
                plan.abandon();
            }
        } else if let Some(plan) = shared.get() {
            // Beyond the two threads already at work, idle cores take chunks too.
            let extra =
                std::thread::available_parallelism().map_or(0, |n| n.get().saturating_sub(2));
            std::thread::scope(|helpers| {
                for _ in 0..extra {
                    std::thread::Builder::new()
                        .name("predictions-helper".into())
                        .spawn_scoped(helpers, || plan.work())
                        .ok();
                }
                plan.work();
            });
        }
        let planned = match parser {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(LoadError::parse_file(
                    pred_path,
                    "the predictions parser stopped unexpectedly",
                ))
            }),
            // No thread available: parse here instead.
            Err(_) => {
                parse_predictions(pred_path, &root, control, &mut Warnings::default()).map(Some)
            }
        };
        (dataset, planned)
    });
    // The dataset's own error comes first: predictions mean nothing without it.
    let mut dataset = dataset?;
    prepare(&mut dataset, warnings)?;
    let raw = match planned? {
        Some(raw) => raw,
        None => match shared.into_inner() {
            Some(plan) => plan.finish()?,
            None => {
                return Err(LoadError::parse_file(
                    pred_path,
                    "the predictions parser stopped unexpectedly",
                )
                .into());
            }
        },
    };
    timing("parse predictions", started);
    warnings.extend(pred_warnings);
    let predictions = join_predictions(&mut dataset, raw, warnings);
    timing("join", started);
    Ok((dataset, Some(predictions)))
}
