//! `spotcheck label-next`: the samples to label next, most uncertain first (least confidence, margin
//! or entropy), optionally round robin over predicted classes, as the contract's JSON, a table, or a
//! `file_name,predicted,score` CSV that annotation tools import.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::core::analysis::label_next::{Candidate, LabelNextOptions, Strategy, label_next};
use crate::core::analysis::report::resolve_split;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::{self, quote_field};
use crate::core::scan::near_batch::label_next_skipping_near_duplicates;
use crate::core::scan::near_duplicates::{DEFAULT_NEAR_THRESHOLD, MAX_NEAR_THRESHOLD};
use crate::core::util::atomic_file::write_atomically;
use crate::core::util::thousands;

/// The `--strategy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// 1 - p1: the top guess is weak.
    LeastConfidence,
    /// 1 - (p1 - p2): torn between the two best guesses.
    Margin,
    /// Normalised entropy: the probability is spread over many classes.
    Entropy,
}

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::LeastConfidence => Self::LeastConfidence,
            StrategyArg::Margin => Self::Margin,
            StrategyArg::Entropy => Self::Entropy,
        }
    }
}

/// Arguments of `spotcheck label-next`.
#[derive(Debug, Args)]
pub struct LabelNextArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, or a folder holding metadata.csv/metadata.jsonl.
    dataset: PathBuf,
    /// The model's predictions on the samples: prob_<class> or logit_<class> columns.
    #[arg(long, value_name = "FILE")]
    predictions: PathBuf,
    /// How uncertainty is scored.
    #[arg(long, value_enum, default_value_t = StrategyArg::LeastConfidence)]
    strategy: StrategyArg,
    /// Keep the first K of the ranking (default: all).
    #[arg(long, value_name = "K")]
    top: Option<usize>,
    /// Round robin over predicted classes, so a batch is not all one class.
    #[arg(long)]
    per_class: bool,
    /// Labelled samples are candidates too (by default only unlabelled ones are).
    #[arg(long)]
    include_labelled: bool,
    /// Look at this split's samples only.
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// Walking down the ranking, leave out a candidate whose image is a near-duplicate (pHash within
    /// --near-threshold bits) of one already listed; media that does not decode is never left out.
    #[arg(long)]
    skip_near_duplicates: bool,
    /// With --skip-near-duplicates: images whose perceptual hashes differ in at most this many of 64
    /// bits are near-duplicates (as `check`).
    #[arg(long, value_name = "BITS", requires = "skip_near_duplicates", value_parser = clap::value_parser!(u32).range(0..=MAX_NEAR_THRESHOLD as i64))]
    near_threshold: Option<u32>,
    /// Also write the ranking as file_name,predicted,score rows (a CSV annotation tools import).
    #[arg(long, value_name = "FILE.csv")]
    out: Option<PathBuf>,
    /// Print the contract's JSON document instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    edits: super::edits::EditFlags,
}

/// The contract's document.
#[derive(Debug, Serialize)]
struct Report<'a> {
    strategy: &'static str,
    num_candidates: u64,
    /// With --skip-near-duplicates only: candidates left out as near-duplicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped_near_duplicates: Option<u64>,
    samples: Vec<Row<'a>>,
}

/// One sample of the document.
#[derive(Debug, Serialize)]
struct Row<'a> {
    file: &'a str,
    predicted: &'a str,
    score: f64,
}

/// Runs `label-next`.
pub fn run(args: LabelNextArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    if let Some(out) = &args.out
        && out.is_dir()
    {
        anyhow::bail!("{}: --out is a folder; give a file name", out.display());
    }
    let (dataset, predictions) =
        super::load_with_predictions(&args.dataset, &args.predictions, &args.edits)?;
    load::timing("load", started);
    let split = resolve_split(&dataset, args.split.as_deref())
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.dataset.display()))?;
    let options = LabelNextOptions {
        strategy: args.strategy.into(),
        split,
        include_labelled: args.include_labelled,
        per_class: args.per_class,
        top: args.top,
    };
    let (result, skipped) = if args.skip_near_duplicates {
        let threshold = args.near_threshold.unwrap_or(DEFAULT_NEAR_THRESHOLD);
        let hashed = AtomicU64::new(0);
        match label_next_skipping_near_duplicates(
            &dataset,
            dataset.labels(),
            &predictions,
            options,
            threshold,
            None,
            &hashed,
            || false,
        )? {
            Some((ranking, skipped)) => (ranking, Some(skipped as u64)),
            None => anyhow::bail!("the near-duplicate walk stopped"),
        }
    } else {
        (
            label_next(&dataset, dataset.labels(), &predictions, options)?,
            None,
        )
    };
    load::timing("label next", started);
    if let Some(out) = &args.out {
        write_csv(&dataset, &result.samples, out)
            .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    }
    let report = Report {
        strategy: result.strategy.name(),
        num_candidates: result.num_candidates,
        skipped_near_duplicates: skipped,
        samples: result
            .samples
            .iter()
            .map(|c| Row {
                file: dataset.file(c.sample as usize),
                predicted: class_name(&dataset, c),
                score: c.score,
            })
            .collect(),
    };
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if args.json {
        serde_json::to_writer(&mut stdout, &report)?;
        writeln!(stdout)?;
    } else {
        stdout.write_all(render_text(&args, &report).as_bytes())?;
    }
    stdout.flush()?;
    load::timing("output", started);
    drop(report);
    super::release_in_background((result, dataset, predictions));
    Ok(ExitCode::SUCCESS)
}

fn class_name<'a>(dataset: &'a Dataset, c: &Candidate) -> &'a str {
    dataset
        .classes()
        .get(c.predicted as usize)
        .map_or("", String::as_str)
}

/// Writes `file_name,predicted,score` rows in ranking order, atomically (a temporary file beside
/// `out`, synced, then renamed). `file_name` is the sample's identity, as in the predictions file.
fn write_csv(dataset: &Dataset, samples: &[Candidate], out: &Path) -> std::io::Result<()> {
    write_atomically(out, |w| {
        writeln!(w, "file_name,predicted,score")?;
        for c in samples {
            writeln!(
                w,
                "{},{},{}",
                quote_field(dataset.file(c.sample as usize), false),
                quote_field(class_name(dataset, c), false),
                c.score
            )?;
        }
        Ok(())
    })
}

/// The table: what was ranked, then rank, score, predicted class and file.
fn render_text(args: &LabelNextArgs, report: &Report<'_>) -> String {
    let mut s = String::new();
    let listed = report.samples.len() as u64;
    writeln!(
        s,
        "Label next  {}{}; {} {} candidates{}{}",
        report.strategy,
        if args.per_class {
            ", round robin over predicted classes"
        } else {
            ""
        },
        thousands(report.num_candidates),
        if args.include_labelled {
            "labelled and unlabelled"
        } else {
            "unlabelled"
        },
        args.split
            .as_deref()
            .map(|x| format!(" in split {x}"))
            .unwrap_or_default(),
        if listed < report.num_candidates {
            format!("; the first {} are listed", thousands(listed))
        } else {
            String::new()
        }
    )
    .ok();
    if let Some(n) = report.skipped_near_duplicates {
        writeln!(
            s,
            "            skipped {} near-duplicates of samples listed above",
            thousands(n)
        )
        .ok();
    }
    if let Some(out) = &args.out {
        writeln!(s, "            written to {}", out.display()).ok();
    }
    if report.samples.is_empty() {
        return s;
    }
    let rank_w = report.samples.len().to_string().len().max(4);
    let class_w = report
        .samples
        .iter()
        .map(|r| r.predicted.chars().count())
        .max()
        .unwrap_or(9)
        .clamp(9, 30);
    writeln!(
        s,
        "\n  {:>rank_w$} {:>6}  {:<class_w$}  file",
        "rank", "score", "predicted"
    )
    .ok();
    for (rank, row) in report.samples.iter().enumerate() {
        writeln!(
            s,
            "  {:>rank_w$} {:>6.4}  {:<class_w$}  {}",
            rank + 1,
            row.score,
            row.predicted,
            row.file
        )
        .ok();
    }
    s
}
