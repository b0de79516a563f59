//! Command-line interface: argument parsing and the headless commands. Errors become a message on
//! stderr naming the file and line, and exit status 2; a closed pipe (`| head`) exits 0.

mod balance;
mod check;
mod compare;
mod crowd;
mod edits;
mod label_issues;
mod label_next;
mod progress;
mod scan;
mod stats;
mod thumbs;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::core::data::warnings::Warnings;

/// Look at ML classification datasets the way careful practitioners do.
#[derive(Debug, Parser)]
#[command(name = "spotcheck", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Dataset to open in the app: a class-folder tree, a .csv/.jsonl manifest, a Hugging Face
    /// dataset (.parquet file, folder of Parquet shards, save_to_disk folder), or a folder holding
    /// metadata.csv/metadata.jsonl.
    dataset: Option<PathBuf>,
    /// Predictions to open with it (prob_<class>, logit_<class> or prediction columns); repeat it to
    /// open several models and compare them.
    #[arg(long, value_name = "FILE")]
    predictions: Vec<PathBuf>,
    /// Annotations to open with it: several judgements per sample (file_name, annotator, label).
    #[arg(long, value_name = "FILE")]
    annotations: Option<PathBuf>,
    /// Keep the label journal in DIR instead of DATASET/.spotcheck (for a read-only dataset).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Saliency overlays for the app's inspector: DIR/<sample path>.png|.npy (a greyscale PNG or a
    /// 2-D float array), or the sample path with its extension replaced.
    #[arg(long, value_name = "DIR")]
    overlays: Option<PathBuf>,
    /// The column whose text is the sample (a text dataset), when it is not named text, sentence,
    /// content or review. Applies to every command.
    #[arg(long, value_name = "NAME", global = true)]
    text_column: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Class balance, accuracy, per-class scores, confusion matrix and calibration.
    Stats(stats::StatsArgs),
    /// Decode every file: problems with their reasons, EXIF orientation census, byte-identical and
    /// near-duplicates (look-alike images across splits: leakage).
    Check(check::CheckArgs),
    /// One record per sample (problem, hashes, size, EXIF, pHash, brightness, contrast, sharpness,
    /// audio facts, optional thumbnail) written to a Parquet file.
    Scan(scan::ScanArgs),
    /// Upright PNG thumbnails of every image sample, at OUT/<sample path>.png.
    Thumbs(thumbs::ThumbsArgs),
    /// Record a label edit in the dataset's journal (written into the dataset by `apply`).
    Relabel(edits::RelabelArgs),
    /// Record a soft label set by hand (`cat=0.6 dog=0.4`) for an ambiguous sample, or `--clear` it:
    /// `soft-labels` writes it instead of the crowd's; `apply` leaves the dataset's hard labels alone.
    Soften(edits::SoftenArgs),
    /// The pending label edits (the last edit of each file) and how many were applied.
    Edits(edits::EditsArgs),
    /// Write the pending label edits into the dataset: move files between class folders, or
    /// rewrite the manifest (the original kept as NAME.bak).
    Apply(edits::ApplyArgs),
    /// Several models on the same samples: accuracy, macro F1, ECE and NLL with 95% bootstrap
    /// intervals, and for each pair who is right where with McNemar's exact test.
    Compare(compare::CompareArgs),
    /// Samples whose label the (out-of-sample) predictions doubt, most suspicious first (confident learning).
    LabelIssues(label_issues::LabelIssuesArgs),
    /// The samples to label next, most uncertain first (least confidence, margin or entropy).
    LabelNext(label_next::LabelNextArgs),
    /// Labelled samples per class, class weights (balanced, effective number), and a balanced
    /// manifest by seeded under- or oversampling.
    Balance(balance::BalanceArgs),
    /// How much several annotators agree (observed, Krippendorff's alpha, Fleiss' kappa), their
    /// consensus (vote or Dawid–Skene), each annotator's accuracy, and the samples they disagree on.
    Agreement(crowd::AgreementArgs),
    /// The crowd's soft labels (vote fractions or Dawid–Skene posteriors) as a predictions CSV.
    SoftLabels(crowd::SoftLabelsArgs),
}

/// The pixel limit shared by the commands that decode images.
#[derive(Debug, clap::Args)]
pub struct PixelLimitArgs {
    /// Refuse images larger than this many megapixels, from their header (decompression bombs).
    #[arg(long, value_name = "MPX", default_value_t = crate::core::media::DEFAULT_MAX_PIXELS / 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_megapixels: u64,
}

impl PixelLimitArgs {
    /// The limit in pixels.
    pub fn max_pixels(&self) -> u64 {
        self.max_megapixels.saturating_mul(1_000_000)
    }
}

/// Runs `work` on a rayon pool with three threads per core: a per-file job (check, scan) spends
/// part of its time waiting for the disk, and the extra threads keep the cores busy meanwhile (on
/// 20,000 cold JPEGs, 8.2 s instead of 9.5 s on two cores). `RAYON_NUM_THREADS` still wins.
pub(crate) fn with_io_threads<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cores * 3);
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// Frees a command's large results on a background thread. The binary exits right after a command,
/// and returning a million rows' worth of buffers to the allocator one by one only delays that exit;
/// a caller that goes on (a test) still gets the memory back, unlike `mem::forget`.
pub(crate) fn release_in_background<T: Send + 'static>(value: T) {
    let spawned = std::thread::Builder::new()
        .name("release".into())
        .spawn(move || drop(value));
    // No thread to be had: the value was moved into the failed closure and is dropped here.
    drop(spawned);
}

/// Exit status for unreadable input or bad usage (the contract's "2").
pub const EXIT_BAD_INPUT: u8 = 2;

/// Parses the process arguments and runs; the binary's whole `main`.
pub fn main() -> ExitCode {
    // A malformed shard that makes the Parquet reader panic is an error naming the file, not a
    // backtrace on stderr.
    crate::core::data::load::hf::quiet_reader_panics();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(name) = cli.text_column {
        crate::core::data::load::options::set_text_column(name);
    }
    match cli.command {
        Some(Command::Stats(args)) => stats::run(args),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Thumbs(args)) => thumbs::run(args),
        Some(Command::Scan(args)) => scan::run(args),
        Some(Command::Relabel(args)) => edits::relabel(args),
        Some(Command::Soften(args)) => edits::soften(args),
        Some(Command::Edits(args)) => edits::edits(args),
        Some(Command::Apply(args)) => edits::apply(args),
        Some(Command::LabelIssues(args)) => label_issues::run(args),
        Some(Command::LabelNext(args)) => label_next::run(args),
        Some(Command::Balance(args)) => balance::run(args),
        Some(Command::Compare(args)) => compare::run(args),
        Some(Command::Agreement(args)) => crowd::run_agreement(args),
        Some(Command::SoftLabels(args)) => crowd::run_soft_labels(args),
        None => open_app(
            cli.dataset,
            cli.predictions,
            cli.annotations,
            cli.state_dir,
            cli.overlays,
        ),
    }
}

#[cfg(feature = "gui")]
fn open_app(
    dataset: Option<PathBuf>,
    predictions: Vec<PathBuf>,
    annotations: Option<PathBuf>,
    state_dir: Option<PathBuf>,
    overlays: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    // eframe's error holds the windowing backend's raw handles (not Send): keep its message.
    crate::ui::run(dataset, predictions, annotations, state_dir, overlays)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "gui"))]
fn open_app(
    _dataset: Option<PathBuf>,
    _predictions: Vec<PathBuf>,
    _annotations: Option<PathBuf>,
    _state_dir: Option<PathBuf>,
    _overlays: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this build has no GUI (built without the `gui` feature); try `spotcheck stats DATASET`"
    )
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Loads a dataset with its journal's pending edits (unless the flags say `--no-edits`) and the
/// predictions a command needs, printing load warnings: a corrected label is no longer a likely
/// error, and a sample labelled in the journal is no longer a candidate to label next.
pub fn load_with_predictions(
    dataset: &std::path::Path,
    predictions: &std::path::Path,
    edits: &edits::EditFlags,
) -> anyhow::Result<(
    crate::core::data::dataset::Dataset,
    crate::core::data::load::Predictions,
)> {
    let mut warnings = Warnings::default();
    let (dataset, loaded, _) = crate::core::labels::open_edited(
        dataset,
        Some(predictions),
        None,
        &mut warnings,
        &edits.mode(),
    )?;
    print_warnings(&warnings);
    let loaded = loaded.ok_or_else(|| {
        anyhow::anyhow!("{}: the predictions were not loaded", predictions.display())
    })?;
    Ok((dataset, loaded))
}

/// Prints load warnings on stderr, one line each.
pub fn print_warnings(warnings: &Warnings) {
    let mut err = std::io::stderr().lock();
    for w in warnings.items() {
        writeln!(err, "warning: {w}").ok();
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::Cli;

    #[test]
    fn the_app_takes_several_predictions_files_in_order() {
        let cli = Cli::try_parse_from([
            "spotcheck",
            "data",
            "--predictions",
            "a.csv",
            "--predictions",
            "b.csv",
        ])
        .map_err(|e| e.to_string());
        let Ok(cli) = cli else {
            panic!("{cli:?}");
        };
        assert!(cli.command.is_none());
        let files: Vec<_> = cli
            .predictions
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(files, ["a.csv", "b.csv"]);
    }
}
