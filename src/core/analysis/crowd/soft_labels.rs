//! Soft labels as a predictions file (`file_name,prob_<class>,...`): what a training pipeline with
//! soft targets reads, and what `--predictions` reads back to see the crowd's own calibration.

use std::io::Write as _;
use std::path::Path;

use crate::core::data::dataset::Dataset;
use crate::core::data::load::quote_field;

use super::Consensus;

/// Writes one row per sample of `consensus` (dataset order) to `out`, atomically: a temporary file
/// beside it, synced, then renamed over it, so a reader never sees half a file.
pub fn write_soft_labels(
    dataset: &Dataset,
    consensus: &Consensus,
    out: &Path,
) -> std::io::Result<()> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "soft-labels.csv".into());
    let tmp = out.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    let written = write_rows(dataset, consensus, &tmp).and_then(|()| std::fs::rename(&tmp, out));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn write_rows(dataset: &Dataset, consensus: &Consensus, path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &file);
    write!(w, "file_name")?;
    for class in dataset.classes() {
        write!(w, ",{}", quote_field(&format!("prob_{class}"), false))?;
    }
    writeln!(w)?;
    for (r, &s) in consensus.samples.iter().enumerate() {
        write!(w, "{}", quote_field(dataset.file(s as usize), false))?;
        for p in consensus.soft(r) {
            write!(w, ",{p}")?;
        }
        writeln!(w)?;
    }
    w.flush()?;
    drop(w);
    file.sync_all()?;
    Ok(())
}
