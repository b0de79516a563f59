//! Hugging Face datasets as they are: a `.parquet` file, a folder of Parquet shards in the Hub's
//! layouts, or a `save_to_disk` folder of Arrow IPC streams. Only the columns the model holds are read
//! (paths, labels, splits, text, scalar metadata); embedded media stays in the files until a view asks
//! for one row of it ([`embedded`]).

pub mod cells;
pub mod embedded;
mod features;
mod ipc_stream;
mod layout;
mod parquet_shard;
mod shard;

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;

use crate::core::data::dataset::{Dataset, DatasetBuilder, DatasetSource};
use crate::core::data::error::LoadError;
use crate::core::data::hf_source::{EmbeddedColumn, HfSource, LabelEncoding, Shard};
use crate::core::data::warnings::{FoldedWarning, WarningKind, Warnings};

use super::control::LoadControl;
use super::paths::{absolute_root, normalize_sample_path};

pub use features::{PATH_COLUMNS, TEXT_COLUMNS};
pub use layout::{HfLayout, detect_layout};
pub use parquet_shard::{guarded, is_reader_panic, quiet_reader_panics};
pub use shard::OpenShard;

/// The most rows room is made for before any is read (see [`load_hf`]).
pub const MAX_ROWS_UP_FRONT: usize = 1 << 22;

/// Options a Hugging Face load takes from the command line.
#[derive(Debug, Clone, Default)]
pub struct HfOptions {
    /// `--text-column NAME`.
    pub text_column: Option<String>,
}

/// Loads a dataset in a Hugging Face layout.
pub fn load_hf(
    layout: &HfLayout,
    options: &HfOptions,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<Dataset, LoadError> {
    let started = std::time::Instant::now();
    let root = layout.root().to_path_buf();
    let abs_root = absolute_root(&root);
    let format = layout.format();
    let mut shards = Vec::new();
    let mut opened = Vec::new();
    let mut start = 0u64;
    // Footers are read in parallel too (one small read each, at the end of every file).
    let footers: Vec<Result<OpenShard, String>> = {
        use rayon::prelude::*;
        layout
            .shards()
            .par_iter()
            .map(|spec| OpenShard::open(&spec.path, format))
            .collect()
    };
    for (spec, footer) in layout.shards().iter().zip(footers) {
        LoadControl::check(control)?;
        let shard = footer.map_err(|e| LoadError::parse_file(&spec.path, e))?;
        let rows = shard.rows();
        let meta = std::fs::metadata(&spec.path).map_err(|e| LoadError::io(&spec.path, e))?;
        let mtime_ns = crate::core::util::file_stamp::mtime_ns(&meta);
        shards.push(Shard {
            path: spec.path.clone(),
            name: spec.name.clone(),
            split: spec.split.clone(),
            start,
            rows,
            len: meta.len(),
            mtime_ns,
        });
        start += rows;
        opened.push(shard);
    }
    super::control::timing("hf: shards opened", started);
    let (Some(first), Some(first_shard)) = (opened.first(), shards.first()) else {
        return Err(LoadError::NotADataset {
            path: root,
            reason: "no shard files found".into(),
        });
    };
    let schema = first.schema();
    let json = first
        .huggingface_json()
        .or_else(|| layout.dataset_info_json(first_shard));
    let features = json
        .as_deref()
        .map(features::parse_features)
        .unwrap_or_default();
    let roles = features::column_roles(&schema, &features, options.text_column.as_deref())
        .map_err(|e| {
            if options.text_column.is_some() && e.starts_with("--text-column") {
                LoadError::Request(format!("{}: {e}", first_shard.path.display()))
            } else {
                LoadError::parse_file(&first_shard.path, e)
            }
        })?;
    let named = |role: &Option<(usize, String)>| role.as_ref().map(|(_, n)| n.clone());
    let path_name = named(&roles.path);
    let text_name = named(&roles.text);
    let label = roles.label.as_ref().map(|(_, n, e)| (n.clone(), e.clone()));
    let split_name = roles.split.map(|i| schema.field(i).name().clone());
    let meta_names: Vec<String> = roles.metadata.iter().map(|(_, n)| n.clone()).collect();
    let mut wanted: Vec<String> = Vec::new();
    wanted.extend(path_name.clone());
    wanted.extend(text_name.clone());
    wanted.extend(label.as_ref().map(|(n, _)| n.clone()));
    wanted.extend(split_name.clone());
    wanted.extend(meta_names.iter().cloned());

    // The footers' row counts are the file's claim, not a fact (a column of nulls encodes billions
    // of rows in a few bytes): room for at most a few million up front, the rest grows as rows come.
    let mut builder =
        DatasetBuilder::with_capacity(usize::try_from(start).unwrap_or(0).min(MAX_ROWS_UP_FRONT));
    if let Some((_, LabelEncoding::ClassLabel(names))) = &label {
        for n in names {
            builder.declare_class(n);
        }
    }
    let text_col = text_name
        .as_ref()
        .map(|n| builder.add_metadata_column(n.clone()));
    let meta_cols: Vec<usize> = meta_names
        .iter()
        .map(|n| builder.add_metadata_column(n.clone()))
        .collect();
    let mut bad_label = FoldedWarning::new(WarningKind::BadCell, None);
    let mut null_path = FoldedWarning::new(WarningKind::BadCell, None);
    // Row counters per split, for `SPLIT/ROW` identities.
    let mut split_rows: std::collections::HashMap<Option<String>, u64> = Default::default();
    let mut id = String::new();
    let mut scratch = String::new();
    let mut null_texts = Vec::new();
    let mut all_indices = Vec::with_capacity(shards.len());
    for (shard, open) in shards.iter().zip(&opened) {
        let s = open.schema();
        let mut indices = Vec::with_capacity(wanted.len());
        for name in &wanted {
            let i = s.index_of(name).map_err(|_| {
                LoadError::parse_file(
                    &shard.path,
                    format!(
                        "has no column `{name}` (the first shard, {}, has)",
                        first_shard.name
                    ),
                )
            })?;
            indices.push(i);
        }
        all_indices.push(indices);
    }
    let prefetched = prefetch_columns(&shards, &opened, &all_indices, control);
    for (k, (shard, open)) in shards.iter().zip(&opened).enumerate() {
        LoadControl::check(control)?;
        let indices = &all_indices[k];
        let mut global = shard.start;
        let mut fail: Option<LoadError> = None;
        let process = |batch: &RecordBatch| -> Result<(), String> {
            if let Some(c) = control
                && c.is_cancelled()
            {
                return Err("cancelled".into());
            }
            let col = |name: &Option<String>| name.as_ref().and_then(|n| batch.column_by_name(n));
            let paths = col(&path_name).map(|a| TextCells::new(a.as_ref()));
            let texts = col(&text_name).map(|a| TextCells::new(a.as_ref()));
            let split_col = col(&split_name).map(|a| TextCells::new(a.as_ref()));
            let metas: Vec<TextCells> = meta_names
                .iter()
                .map(|n| match batch.column_by_name(n) {
                    Some(a) => TextCells::new(a.as_ref()),
                    None => TextCells::Owned(vec![None; batch.num_rows()]),
                })
                .collect();
            let labels = label
                .as_ref()
                .and_then(|(n, enc)| batch.column_by_name(n).map(|a| LabelCells::new(a, enc)));
            for r in 0..batch.num_rows() {
                // A row's own `split` value wins over the file name's (a scan shard written as
                // `scan-00000-of-00004.parquet` keeps its rows' splits).
                let split = split_col
                    .as_ref()
                    .and_then(|c| c.get(r))
                    .filter(|s| !s.is_empty())
                    .or(shard.split.as_deref());
                let counter = split_rows.entry(split.map(str::to_string)).or_insert(0);
                let row_in_split = *counter;
                *counter += 1;
                id.clear();
                let path = paths
                    .as_ref()
                    .and_then(|p| p.get(r))
                    .filter(|p| !p.is_empty());
                match path {
                    Some(p) => id.push_str(&normalize_sample_path(p, &abs_root)),
                    None => {
                        if paths.is_some() {
                            null_path.add(None, || {
                                format!("{} row {}", shard.name, global - shard.start)
                            });
                        }
                        if let Some(s) = split {
                            id.push_str(s);
                            id.push('/');
                        }
                        let _ = write!(id, "{row_in_split}");
                    }
                }
                let label = match &labels {
                    Some(l) => match l.get(r) {
                        Ok(v) => v,
                        Err(bad) => {
                            bad_label.add(None, || {
                                format!("{} row {}: {bad}", shard.name, global - shard.start)
                            });
                            None
                        }
                    },
                    None => None,
                };
                if let Err(e) = builder.push(&id, label, split) {
                    fail = Some(LoadError::parse_file(
                        &shard.path,
                        format!("row {}: {e:?}", global - shard.start),
                    ));
                    return Err("stop".into());
                }
                builder.push_line(global);
                if let (Some(c), Some(t)) = (text_col, &texts) {
                    match t.get(r) {
                        Some(v) => {
                            builder.push_metadata(c, v).ok();
                        }
                        None => null_texts.push(global),
                    }
                }
                for (c, m) in meta_cols.iter().zip(&metas) {
                    if let TextCells::Ints(ints) = m {
                        // Formatted here, into one buffer: no string per cell.
                        if let Some(Some(x)) = ints.get(r) {
                            scratch.clear();
                            let _ = write!(scratch, "{x}");
                            builder.push_metadata(*c, &scratch).ok();
                        }
                    } else if let Some(v) = m.get(r) {
                        builder.push_metadata(*c, v).ok();
                    }
                }
                global += 1;
            }
            if let Some(c) = control {
                c.progress.fetch_add(
                    batch.num_rows() as u64,
                    std::sync::atomic::Ordering::Relaxed,
                );
            }
            Ok(())
        };
        // A shard's batches are used as soon as its reader is done, while later shards are read.
        let read = match prefetched.get(k).map(|rx| rx.recv()) {
            Some(Ok(Ok(batches))) => batches.iter().try_for_each(process),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err("a shard reader stopped unexpectedly".to_string()),
            None => open.read_columns(&shard.path, indices, process),
        };
        read.map_err(|e| {
            if control.is_some_and(LoadControl::is_cancelled) {
                LoadError::Cancelled
            } else {
                fail.take()
                    .unwrap_or_else(|| LoadError::parse_file(&shard.path, e))
            }
        })?;
        if let Some(f) = fail {
            return Err(f);
        }
    }
    super::control::timing("hf: columns read", started);
    if builder.is_empty() && label.is_none() {
        return Err(LoadError::parse_file(
            &first_shard.path,
            "the dataset has no rows",
        ));
    }
    bad_label.finish(warnings, |n| {
        format!("{n} label value(s) name no class of the ClassLabel; those samples are unlabelled")
    });
    null_path.finish(warnings, |n| {
        format!("{n} row(s) have no file name; they are known by SPLIT/ROW instead")
    });
    let source = HfSource {
        given: layout.given().to_path_buf(),
        format,
        shards,
        media: roles
            .media
            .as_ref()
            .map(|(index, name, kind)| EmbeddedColumn {
                name: name.clone(),
                index: *index,
                kind: *kind,
            }),
        path_column: path_name,
        text_column: text_name,
        label,
        null_texts,
    };
    let source = Arc::new(source);
    super::control::timing("hf: finishing", started);
    let (mut dataset, repeated) = builder.finish(root, DatasetSource::HuggingFace(source.clone()));
    if source.media.is_some() {
        dataset.set_embedded_reader(Arc::new(embedded::EmbeddedReader::new(source, abs_root)));
    }
    let mut dups = FoldedWarning::new(WarningKind::DuplicateSample, None);
    for r in repeated {
        dups.add(None, || r.path.clone());
    }
    dups.finish(warnings, |n| {
        format!("{n} row(s) repeat a file name already listed; the first row of each is kept")
    });
    Ok(dataset)
}

/// The result of reading one shard's wanted columns.
type ShardColumns = Result<Vec<RecordBatch>, String>;

/// Starts reading the wanted columns of every shard at once when there are several (a cold disk
/// serves many small reads in parallel much faster than one after another); each shard's batches
/// arrive on its own channel, so the caller processes shard 0 while later ones are still read.
/// Empty for a lone shard, which is streamed batch by batch instead.
fn prefetch_columns(
    shards: &[Shard],
    opened: &[OpenShard],
    indices: &[Vec<usize>],
    control: Option<&LoadControl>,
) -> Vec<std::sync::mpsc::Receiver<ShardColumns>> {
    if shards.len() < 2 {
        return Vec::new();
    }
    const READERS: usize = 8;
    let mut senders = Vec::with_capacity(shards.len());
    let mut receivers = Vec::with_capacity(shards.len());
    for _ in shards {
        let (tx, rx) = std::sync::mpsc::channel();
        senders.push(tx);
        receivers.push(rx);
    }
    let jobs: Vec<_> = shards
        .iter()
        .zip(opened)
        .zip(indices)
        .zip(senders)
        .map(|(((s, o), i), tx)| (s.path.clone(), o.clone(), i.clone(), tx))
        .collect();
    let queue = Arc::new(std::sync::Mutex::new(jobs.into_iter()));
    for _ in 0..READERS.min(shards.len()) {
        let queue = Arc::clone(&queue);
        let control = control.cloned();
        let spawned = std::thread::Builder::new()
            .name("shard-reader".into())
            .spawn(move || {
                loop {
                    let job = match queue.lock() {
                        Ok(mut q) => q.next(),
                        Err(_) => return,
                    };
                    let Some((path, open, idx, tx)) = job else {
                        return;
                    };
                    let mut batches = Vec::new();
                    let result = open
                        .read_columns(&path, &idx, |b| {
                            if control.as_ref().is_some_and(LoadControl::is_cancelled) {
                                return Err("cancelled".into());
                            }
                            batches.push(b.clone());
                            Ok(())
                        })
                        .map(|()| batches);
                    // The loader may have stopped on an earlier shard's error: nobody listens.
                    let _ = tx.send(result);
                }
            });
        if spawned.is_err() {
            // No thread: the shards this reader would have taken fail with a clear message.
            break;
        }
    }
    receivers
}

/// Row access to a string-like column (strings directly, anything else as text per row).
enum TextCells<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    /// Integers, formatted when pushed (a string per cell would be most of the load's time).
    Ints(Vec<Option<i64>>),
    Owned(Vec<Option<String>>),
}

impl<'a> TextCells<'a> {
    /// Like [`TextCells::new`], but every row answers [`TextCells::get`] (integers as text too).
    fn text_of(array: &'a dyn Array) -> Self {
        match Self::new(array) {
            Self::Ints(v) => Self::Owned(v.into_iter().map(|x| x.map(|x| x.to_string())).collect()),
            other => other,
        }
    }

    fn new(array: &'a dyn Array) -> Self {
        match array.data_type() {
            DataType::Utf8 => Self::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => Self::Large(array.as_string::<i64>()),
            DataType::Utf8View => Self::View(array.as_string_view()),
            t if t.is_integer() => {
                let mut out = vec![None; array.len()];
                cells::for_each_integer(array, |i, v| {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = v;
                    }
                });
                Self::Ints(out)
            }
            _ => {
                let mut out = vec![None; array.len()];
                cells::for_each_text(array, |i, t| {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = t.map(str::to_string);
                    }
                });
                Self::Owned(out)
            }
        }
    }

    fn get(&self, i: usize) -> Option<&str> {
        match self {
            Self::Utf8(a) => (i < a.len() && a.is_valid(i)).then(|| a.value(i)),
            Self::Large(a) => (i < a.len() && a.is_valid(i)).then(|| a.value(i)),
            Self::View(a) => (i < a.len() && a.is_valid(i)).then(|| a.value(i)),
            Self::Owned(v) => v.get(i).and_then(|s| s.as_deref()),
            // Formatted by the caller (see the row loop); never asked for as text here.
            Self::Ints(_) => None,
        }
    }
}

/// Row access to the label column, ClassLabel ids resolved to names.
enum LabelCells<'a> {
    Ids(Vec<Option<i64>>, &'a [String]),
    Text(TextCells<'a>),
}

impl<'a> LabelCells<'a> {
    fn new(array: &'a ArrayRef, encoding: &'a LabelEncoding) -> Self {
        match encoding {
            LabelEncoding::ClassLabel(names) => {
                let mut ids = vec![None; array.len()];
                cells::for_each_integer(array.as_ref(), |i, v| {
                    if let Some(slot) = ids.get_mut(i) {
                        *slot = v;
                    }
                });
                Self::Ids(ids, names)
            }
            LabelEncoding::Plain => Self::Text(TextCells::text_of(array.as_ref())),
        }
    }

    /// The label of row `i` (`None` = unlabelled), or why the cell names no class.
    fn get(&self, i: usize) -> Result<Option<&str>, String> {
        match self {
            Self::Ids(ids, names) => match ids.get(i).copied().flatten() {
                None | Some(-1) => Ok(None),
                Some(id) => usize::try_from(id)
                    .ok()
                    .and_then(|k| names.get(k))
                    .map(|n| Some(n.as_str()))
                    .ok_or_else(|| {
                        format!("id {id}, but the ClassLabel has {} names", names.len())
                    }),
            },
            Self::Text(t) => Ok(t.get(i).filter(|s| !s.is_empty())),
        }
    }
}
