//! `spotcheck relabel`, `edits` and `apply`: label edits from a script, through the same journal the
//! GUI writes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use crate::core::data::dataset::Dataset;
use crate::core::data::load;
use crate::core::data::warnings::Warnings;
use crate::core::labels::write_back::{PlannedWrite, plan};
use crate::core::labels::{
    self, EditMode, EditState, JournalLocation, LabelChange, LabelJournal, Origin, SoftChange,
    SoftLabel, validate_label,
};

/// `--no-edits` and `--state-dir`, shared by every command that reads labels.
#[derive(Debug, Clone, Args)]
pub struct EditFlags {
    /// Show the dataset as it is on disk, without the journal's pending label edits.
    #[arg(long)]
    no_edits: bool,
    /// Keep the label journal in DIR instead of DATASET/.spotcheck (for a read-only dataset).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

impl EditFlags {
    /// What the flags ask for.
    pub fn mode(&self) -> EditMode {
        EditMode::from_flags(self.no_edits, self.state_dir.clone())
    }
}

/// `--state-dir` alone (the edit commands always use the journal).
#[derive(Debug, Clone, Args)]
pub struct StateDirFlag {
    /// Keep the label journal in DIR instead of DATASET/.spotcheck (for a read-only dataset).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

/// Arguments of `spotcheck relabel`.
#[derive(Debug, Args)]
pub struct RelabelArgs {
    /// The dataset (class folders or a manifest).
    dataset: PathBuf,
    /// The sample: its path relative to the dataset root, as `stats` and the manifest name it.
    file: String,
    /// Its new label (a class that does not exist yet is created).
    label: String,
    #[command(flatten)]
    state: StateDirFlag,
}

/// Arguments of `spotcheck soften`.
#[derive(Debug, Args)]
pub struct SoftenArgs {
    /// The dataset (class folders, a manifest, a Parquet/Arrow dataset).
    dataset: PathBuf,
    /// The sample: its path relative to the dataset root, as `stats` and the manifest name it.
    file: String,
    /// Its soft label, one CLASS=PROBABILITY per class (`cat=0.6 dog=0.4`), summing to 1; classes
    /// not named get 0, and a class that does not exist yet is allowed.
    #[arg(
        value_name = "CLASS=P",
        required_unless_present = "clear",
        conflicts_with = "clear"
    )]
    probabilities: Vec<String>,
    /// Remove the sample's soft label (the crowd's, if any, is used again).
    #[arg(long)]
    clear: bool,
    #[command(flatten)]
    state: StateDirFlag,
}

/// Arguments of `spotcheck edits`.
#[derive(Debug, Args)]
pub struct EditsArgs {
    /// The dataset.
    dataset: PathBuf,
    /// Print the contract's JSON document.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    state: StateDirFlag,
}

/// Arguments of `spotcheck apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The dataset whose files get the pending edits.
    dataset: PathBuf,
    /// Print what would move or change, and change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    state: StateDirFlag,
}

/// Loads the dataset as it is on disk with its journal's state. A write-back that was cut off is
/// finished first (and the dataset read again), so a file is never seen in two class folders.
fn load_disk(
    dataset: &Path,
    state_dir: Option<&Path>,
) -> anyhow::Result<(Dataset, JournalLocation, EditState)> {
    let mut warnings = Warnings::default();
    let mut loaded = load::open_dataset(dataset, None, &mut warnings)?;
    let location = JournalLocation::for_dataset(&loaded, state_dir);
    let recovered = labels::recover_interrupted_moves(&location, loaded.root(), Origin::Cli)?;
    if !recovered.is_empty() {
        eprintln!(
            "note: finished {} file move(s) of an apply that was cut off",
            recovered.len()
        );
        warnings = Warnings::default();
        loaded = load::open_dataset(dataset, None, &mut warnings)?;
    }
    let dataset = loaded;
    super::print_warnings(&warnings);
    let mut orphans = Warnings::default();
    let edited = labels::read_edits(&dataset, state_dir, &mut orphans)?;
    super::print_warnings(&orphans);
    Ok((dataset, edited.location, edited.state))
}

/// Finds the sample `file` names: its identity as written, or a path on disk (relative to the current
/// folder or absolute) inside the dataset's root.
fn find_sample(dataset: &Dataset, file: &str) -> Option<usize> {
    let root =
        load::normalize_sample_path(file, &std::path::absolute(dataset.root()).ok()?).into_owned();
    if let Some(i) = dataset.find(&root) {
        return Some(i);
    }
    let on_disk = std::fs::canonicalize(file).ok()?;
    let root = std::fs::canonicalize(dataset.root()).ok()?;
    let rel = on_disk.strip_prefix(&root).ok()?;
    dataset.find(&rel.to_string_lossy().replace('\\', "/"))
}

fn label_name(dataset: &Dataset, i: usize) -> Option<String> {
    dataset
        .label(i)
        .and_then(|c| dataset.classes().get(c))
        .cloned()
}

fn shown(label: Option<&str>) -> &str {
    label.unwrap_or("(unlabelled)")
}

/// Runs `relabel`.
pub fn relabel(args: RelabelArgs) -> anyhow::Result<ExitCode> {
    let (dataset, location, state) = load_disk(&args.dataset, args.state.state_dir.as_deref())?;
    let Some(i) = find_sample(&dataset, &args.file) else {
        anyhow::bail!(
            "{}: {:?} is not a sample of this dataset (name it by its path relative to {}, as `spotcheck stats` lists it)",
            args.dataset.display(),
            args.file,
            dataset.root().display()
        );
    };
    validate_label(&dataset, &args.label)?;
    let file = dataset.file(i).to_string();
    let disk = label_name(&dataset, i);
    let before = state
        .pending
        .iter()
        .find(|p| p.sample == i)
        .map_or(disk.clone(), |p| p.to.clone());
    let mut journal = LabelJournal::open(&location)?;
    if let Some(note) = journal.note() {
        eprintln!("note: {note}");
    }
    let batch = journal.record(
        &[LabelChange {
            file: file.clone(),
            disk: disk.clone(),
            to: Some(args.label.clone()),
        }],
        Origin::Cli,
    )?;
    let mut out = std::io::stdout().lock();
    match batch {
        None => writeln!(
            out,
            "{file}: already labelled {} (nothing recorded)",
            args.label
        )?,
        Some(_) if disk.as_deref() == Some(args.label.as_str()) => writeln!(
            out,
            "{file}: {} -> {} (back to its label on disk: no edit pending)",
            shown(before.as_deref()),
            args.label
        )?,
        Some(_) => writeln!(
            out,
            "{file}: {} -> {} (recorded in {}; `spotcheck apply` writes it into the dataset)",
            shown(before.as_deref()),
            args.label,
            location.db_path.display()
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `soften`: records (or clears) a sample's hand soft label in the journal, exactly like
/// `relabel` records a label (exit 0 once it is on disk).
pub fn soften(args: SoftenArgs) -> anyhow::Result<ExitCode> {
    let (dataset, location, state) = load_disk(&args.dataset, args.state.state_dir.as_deref())?;
    let Some(i) = find_sample(&dataset, &args.file) else {
        anyhow::bail!(
            "{}: {:?} is not a sample of this dataset (name it by its path relative to {}, as `spotcheck stats` lists it)",
            args.dataset.display(),
            args.file,
            dataset.root().display()
        );
    };
    let to = if args.clear {
        None
    } else {
        let soft = SoftLabel::parse_args(&args.probabilities)?;
        for class in soft.classes() {
            validate_label(&dataset, class)?;
        }
        Some(soft)
    };
    let file = dataset.file(i).to_string();
    let before = state.soft_of(i).cloned();
    let mut journal = LabelJournal::open(&location)?;
    if let Some(note) = journal.note() {
        eprintln!("note: {note}");
    }
    let batch = journal.record_soft(
        &[SoftChange {
            file: file.clone(),
            to: to.clone(),
        }],
        Origin::Cli,
    )?;
    let mut out = std::io::stdout().lock();
    let shown_soft = |s: Option<&SoftLabel>| s.map_or("(none)".to_string(), SoftLabel::summary);
    match batch {
        None => writeln!(
            out,
            "{file}: soft label already {} (nothing recorded)",
            shown_soft(to.as_ref())
        )?,
        Some(_) => writeln!(
            out,
            "{file}: soft label {} -> {} (recorded in {}; `spotcheck soft-labels` writes it, `apply` does not)",
            shown_soft(before.as_ref()),
            shown_soft(to.as_ref()),
            location.db_path.display()
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct PendingJson<'a> {
    file: &'a str,
    from: &'a str,
    to: &'a str,
}

#[derive(Serialize)]
struct SoftJson<'a> {
    file: &'a str,
    probabilities: std::collections::BTreeMap<&'a str, f64>,
}

#[derive(Serialize)]
struct EditsJson<'a> {
    pending: Vec<PendingJson<'a>>,
    applied: u64,
    /// spotcheck's addition to the contract: hand soft labels, left out when there are none so a
    /// journal without them prints exactly the contract's document.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    soft_labels: Vec<SoftJson<'a>>,
}

/// Runs `edits`.
pub fn edits(args: EditsArgs) -> anyhow::Result<ExitCode> {
    let (_dataset, location, state) = load_disk(&args.dataset, args.state.state_dir.as_deref())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = EditsJson {
            pending: state
                .pending
                .iter()
                .map(|p| PendingJson {
                    file: &p.file,
                    from: p.from.as_deref().unwrap_or(""),
                    to: p.to.as_deref().unwrap_or(""),
                })
                .collect(),
            applied: state.applied,
            soft_labels: state
                .soft
                .iter()
                .map(|s| SoftJson {
                    file: &s.file,
                    probabilities: s
                        .label
                        .probabilities()
                        .iter()
                        .map(|(c, p)| (c.as_str(), *p))
                        .collect(),
                })
                .collect(),
        };
        serde_json::to_writer(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{} pending edit(s), {} applied, journal {}",
            state.pending.len(),
            state.applied,
            location.db_path.display()
        )?;
        for p in &state.pending {
            writeln!(
                out,
                "  {}: {} -> {}",
                p.file,
                shown(p.from.as_deref()),
                shown(p.to.as_deref())
            )?;
        }
        if !state.soft.is_empty() {
            writeln!(
                out,
                "{} soft label(s) set by hand (`soft-labels` writes them; `apply` does not)",
                state.soft.len()
            )?;
            for s in &state.soft {
                writeln!(out, "  {}: {}", s.file, s.label.summary())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `apply`: exit 0 when every pending edit was written, 1 when some stay pending (each said why).
pub fn apply(args: ApplyArgs) -> anyhow::Result<ExitCode> {
    let (dataset, location, state) = load_disk(&args.dataset, args.state.state_dir.as_deref())?;
    let mut out = std::io::stdout().lock();
    if state.pending.is_empty() {
        writeln!(out, "nothing to apply: no pending edits")?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        for (p, planned) in plan(&dataset, &state.pending) {
            let what = match planned {
                PlannedWrite::Move { from, to } => format!("move {from} -> {to}"),
                PlannedWrite::Row { line } => format!(
                    "{}: row{} label {} -> {}",
                    p.file,
                    match dataset.location(p.sample) {
                        Some((shard, row)) => format!(" {row} of {shard}"),
                        None => line.map(|l| format!(" on line {l}")).unwrap_or_default(),
                    },
                    shown(p.from.as_deref()),
                    shown(p.to.as_deref())
                ),
                PlannedWrite::Impossible(why) => format!("{}: stays pending: {why}", p.file),
            };
            writeln!(out, "{what}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut journal = LabelJournal::open(&location)
        .with_context(|| format!("{}: cannot record what was applied", args.dataset.display()))?;
    if let Some(note) = journal.note() {
        eprintln!("note: {note}");
    }
    let report = labels::apply(&mut journal, &dataset, &state, Origin::Cli)?;
    for a in &report.applied {
        match &a.moved_to {
            Some(to) => writeln!(out, "moved {} -> {to}", a.file)?,
            None => writeln!(out, "{}: label -> {}", a.file, shown(a.to.as_deref()))?,
        }
    }
    for a in &report.recovered {
        if let Some(to) = &a.moved_to {
            writeln!(
                out,
                "moved {} -> {to} (finishing an apply that was cut off)",
                a.file
            )?;
        }
    }
    for (p, why) in &report.skipped {
        writeln!(out, "{}: skipped: {why}", p.file)?;
    }
    if let Some(b) = &report.backup
        && !report.applied.is_empty()
    {
        writeln!(out, "the file as it was is kept at {}", b.display())?;
    }
    writeln!(
        out,
        "{} edit(s) applied, {} still pending",
        report.applied.len(),
        report.kept.len()
    )?;
    out.flush()?;
    if report.kept.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let mut err = std::io::stderr().lock();
    for (p, why) in &report.kept {
        writeln!(err, "error: {}: not applied, still pending: {why}", p.file)?;
    }
    Ok(ExitCode::from(1))
}
