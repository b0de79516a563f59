//! `spotcheck._native`: the core's per-element functions for Python, so a distributed engine
//! (Apache Beam) maps exactly the code `spotcheck scan` and `spotcheck stats` run over its
//! elements. Every batch call releases the GIL while Rust works.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use spotcheck::core::scan::record::{ScanOptions, ScanRecord, scan_bytes};

mod labels;
mod stats;

/// The scan columns, in the contract's order (`thumbnail` last, only when thumbnails are asked for).
const SCAN_COLUMNS: [&str; 18] = [
    "file",
    "split",
    "label",
    "kind",
    "problem",
    "detail",
    "size_bytes",
    "xxh3_128",
    "width",
    "height",
    "orientation",
    "phash",
    "brightness",
    "contrast",
    "sharpness",
    "duration_s",
    "sample_rate",
    "channels",
];

/// A Python `str` as Rust text; lone surrogates (Beam's spelling of non-UTF-8 file names) become
/// U+FFFD, one per surrogate.
fn lossy_text(s: &Bound<'_, PyString>) -> PyResult<String> {
    if let Ok(text) = s.to_cow() {
        return Ok(text.into_owned());
    }
    let units = s.call_method1("encode", ("utf-16-le", "surrogatepass"))?;
    let bytes = units.cast::<PyBytes>()?.as_bytes();
    let wide: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(String::from_utf16_lossy(&wide))
}

fn name_arg(name: &Bound<'_, PyAny>) -> PyResult<String> {
    let s = name
        .cast::<PyString>()
        .map_err(|_| PyTypeError::new_err("name must be a str"))?;
    lossy_text(s)
}

fn options(thumbnail_size: Option<u32>) -> PyResult<ScanOptions> {
    if let Some(size) = thumbnail_size
        && !(8..=1024).contains(&size)
    {
        return Err(PyValueError::new_err(format!(
            "thumbnail_size {size}: expected 8 to 1024 pixels"
        )));
    }
    Ok(ScanOptions {
        thumbnail_size,
        ..ScanOptions::default()
    })
}

/// One scan row as a dict with the contract's keys.
fn record_dict<'py>(
    py: Python<'py>,
    file: &str,
    record: &ScanRecord,
    thumbnails: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let [
        k_file,
        k_split,
        k_label,
        k_kind,
        k_problem,
        k_detail,
        k_size,
        k_xxh3,
        k_width,
        k_height,
        k_orientation,
        k_phash,
        k_brightness,
        k_contrast,
        k_sharpness,
        k_duration,
        k_rate,
        k_channels,
    ] = SCAN_COLUMNS;
    d.set_item(k_file, file)?;
    d.set_item(k_split, py.None())?;
    d.set_item(k_label, py.None())?;
    d.set_item(k_kind, record.kind_name())?;
    d.set_item(k_problem, record.problem.as_ref().map(|p| p.0.as_str()))?;
    d.set_item(k_detail, record.problem.as_ref().map(|p| p.1.as_str()))?;
    d.set_item(k_size, record.size_bytes)?;
    d.set_item(k_xxh3, record.xxh3_hex())?;
    d.set_item(k_width, record.size.map(|s| s.0))?;
    d.set_item(k_height, record.size.map(|s| s.1))?;
    d.set_item(k_orientation, record.orientation)?;
    d.set_item(k_phash, record.phash_hex())?;
    d.set_item(k_brightness, record.measures.map(|m| m.brightness))?;
    d.set_item(k_contrast, record.measures.map(|m| m.contrast))?;
    d.set_item(k_sharpness, record.measures.map(|m| m.sharpness))?;
    d.set_item(k_duration, record.duration_s)?;
    d.set_item(k_rate, record.sample_rate)?;
    d.set_item(k_channels, record.channels)?;
    if thumbnails {
        d.set_item(
            "thumbnail",
            record.thumbnail.as_deref().map(|t| PyBytes::new(py, t)),
        )?;
    }
    Ok(d)
}

/// One scan row of a sample's bytes (`name` gives its file name and kind). Bad media never raise:
/// the row says `problem` and `detail`.
#[pyfunction]
#[pyo3(signature = (data, name, thumbnail_size = None))]
fn scan_record<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    name: &Bound<'py, PyAny>,
    thumbnail_size: Option<u32>,
) -> PyResult<Bound<'py, PyDict>> {
    let bytes: PyBackedBytes = data
        .cast::<PyBytes>()
        .map_err(|_| PyTypeError::new_err("data must be bytes"))?
        .clone()
        .into();
    let name = name_arg(name)?;
    let options = options(thumbnail_size)?;
    let record = py.detach(|| scan_bytes(&bytes, &name, None, &options));
    record_dict(py, &name, &record, thumbnail_size.is_some())
}

/// Scan rows of a batch of `(data, name)` pairs (a Beam bundle), scanned in parallel on up to
/// `threads` threads (default 1: an engine runs one worker per core already) with the GIL released.
#[pyfunction]
#[pyo3(signature = (items, thumbnail_size = None, threads = 1))]
fn scan_records<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    thumbnail_size: Option<u32>,
    threads: usize,
) -> PyResult<Bound<'py, PyList>> {
    let options = options(thumbnail_size)?;
    let mut batch: Vec<(PyBackedBytes, String)> = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let (data, name): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item
            .extract()
            .map_err(|_| PyTypeError::new_err("items must be (bytes, str) pairs"))?;
        let data: PyBackedBytes = data
            .cast::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("data must be bytes"))?
            .clone()
            .into();
        batch.push((data, name_arg(&name)?));
    }
    let records: Vec<ScanRecord> = py.detach(|| {
        use rayon::prelude::*;
        let scan = |(data, name): &(PyBackedBytes, String)| scan_bytes(data, name, None, &options);
        if threads <= 1 {
            batch.iter().map(scan).collect()
        } else {
            match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                Ok(pool) => pool.install(|| batch.par_iter().map(scan).collect()),
                Err(_) => batch.iter().map(scan).collect(),
            }
        }
    });
    let out = PyList::empty(py);
    for ((_, name), record) in batch.iter().zip(&records) {
        out.append(record_dict(py, name, record, thumbnail_size.is_some())?)?;
    }
    Ok(out)
}

/// Scan rows of a batch as Arrow IPC stream bytes (one record batch with the scan schema), for a
/// pipeline that writes Parquet from Arrow tables: no Python object per row or per value. `items`
/// are `(data, name, split, label)`; `data` None is a file the labels list but nobody found (a
/// `missing` row). Scanned with the GIL released, serially (an engine runs a worker per core).
#[pyfunction]
#[pyo3(signature = (items, thumbnail_size = None))]
fn scan_table<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    thumbnail_size: Option<u32>,
) -> PyResult<Bound<'py, PyBytes>> {
    use spotcheck::core::scan::check::SampleNames;
    let options = options(thumbnail_size)?;
    let mut batch: Vec<(Option<PyBackedBytes>, SampleNames)> = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let (data, name, split, label): (
            Bound<'py, PyAny>,
            Bound<'py, PyAny>,
            Option<String>,
            Option<String>,
        ) = item.extract().map_err(|_| {
            PyTypeError::new_err("items must be (bytes or None, str, str or None, str or None)")
        })?;
        let data: Option<PyBackedBytes> = if data.is_none() {
            None
        } else {
            Some(
                data.cast::<PyBytes>()
                    .map_err(|_| PyTypeError::new_err("data must be bytes or None"))?
                    .clone()
                    .into(),
            )
        };
        let names = SampleNames {
            file: name_arg(&name)?,
            split: split.unwrap_or_default(),
            label: label.unwrap_or_default(),
        };
        batch.push((data, names));
    }
    let ipc = py.detach(|| -> Result<Vec<u8>, String> {
        let records: Vec<ScanRecord> = batch
            .iter()
            .map(|(data, names)| match data {
                Some(d) => scan_bytes(d, &names.file, None, &options),
                None => ScanRecord::missing(&names.file, format!("no such file: {}", names.file)),
            })
            .collect();
        let names: Vec<SampleNames> = batch.into_iter().map(|(_, n)| n).collect();
        let table = spotcheck::core::scan::scan_file::scan_batch(
            &names,
            &records,
            thumbnail_size.is_some(),
        )
        .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut buf, &table.schema())
            .map_err(|e| e.to_string())?;
        w.write(&table).map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
        drop(w);
        Ok(buf)
    });
    let ipc = ipc.map_err(PyValueError::new_err)?;
    Ok(PyBytes::new(py, &ipc))
}

/// The row of a file a labels manifest lists but the pipeline did not find: `problem` "missing".
#[pyfunction]
#[pyo3(signature = (name, thumbnail_size = None))]
fn missing_record<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyAny>,
    thumbnail_size: Option<u32>,
) -> PyResult<Bound<'py, PyDict>> {
    let name = name_arg(name)?;
    let record = ScanRecord::missing(&name, format!("no such file: {name}"));
    record_dict(py, &name, &record, thumbnail_size.is_some())
}

/// Whether first-level folders with these names are a split level (every one a split name).
#[pyfunction]
fn is_split_level(first_level_folders: Vec<String>) -> bool {
    spotcheck::core::data::load::is_split_level(first_level_folders.iter().map(String::as_str))
}

/// `(split, label)` of a file at `rel` (a '/'-separated path below the root) in a class-folder
/// dataset, or None when the loader would skip it.
#[pyfunction]
fn class_folder_sample(rel: &str, has_split_level: bool) -> Option<(Option<String>, String)> {
    spotcheck::core::data::load::class_folder_sample(rel, has_split_level)
        .map(|(split, class)| (split.map(str::to_string), class.to_string()))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scan_record, m)?)?;
    m.add_function(wrap_pyfunction!(scan_records, m)?)?;
    m.add_function(wrap_pyfunction!(scan_table, m)?)?;
    m.add_function(wrap_pyfunction!(missing_record, m)?)?;
    m.add_function(wrap_pyfunction!(is_split_level, m)?)?;
    m.add_function(wrap_pyfunction!(class_folder_sample, m)?)?;
    m.add_function(wrap_pyfunction!(labels::read_labels, m)?)?;
    stats::register(m)?;

    m.add("SCAN_COLUMNS", SCAN_COLUMNS.to_vec())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
