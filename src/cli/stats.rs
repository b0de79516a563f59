//! `spotcheck stats`: the contract's JSON, or a summary a person can read at a terminal.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::core::analysis::report::{DEFAULT_BINS, StatsReport, resolve_split};
use crate::core::data::dataset::{Dataset, DatasetSource};
use crate::core::data::load::{self, PredictionKind, Predictions};
use crate::core::data::warnings::Warnings;

/// Arguments of `spotcheck stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, a Hugging Face dataset (.parquet file, folder of
    /// Parquet shards, save_to_disk folder) or scan files, or a folder holding metadata.csv/.jsonl.
    dataset: PathBuf,
    /// Predictions to score (prob_<class>, logit_<class> or prediction columns; CSV or JSONL).
    #[arg(long, value_name = "FILE")]
    predictions: Option<PathBuf>,
    /// Compute the metrics over this split only.
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// Number of equal-width reliability bins.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BINS, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..=1000), usize::from))]
    bins: usize,
    /// Print the contract's JSON document instead of tables.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    edits: super::edits::EditFlags,
}

/// Runs `stats`.
pub fn run(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let mut warnings = Warnings::default();
    let (dataset, predictions, _edited) = crate::core::labels::open_edited(
        &args.dataset,
        args.predictions.as_deref(),
        None,
        &mut warnings,
        &args.edits.mode(),
    )?;
    super::print_warnings(&warnings);
    let split = resolve_split(&dataset, args.split.as_deref())?;
    let report = StatsReport::build(&dataset, predictions.as_ref(), split, args.bins);
    if let Some(refused) = report.metrics_refused {
        return Err(refused.into());
    }
    load::timing("metrics", started);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(
            render_text(
                &dataset,
                predictions.as_ref(),
                args.split.as_deref(),
                &report,
            )
            .as_bytes(),
        )?;
    }
    out.flush()?;
    load::timing("output", started);
    super::release_in_background((dataset, predictions));
    Ok(ExitCode::SUCCESS)
}

/// Widest confusion matrix printed as a table; larger ones are left to `--json` and the app.
const MAX_PRINTED_CLASSES: usize = 20;

fn render_text(
    dataset: &Dataset,
    predictions: Option<&Predictions>,
    split: Option<&str>,
    report: &StatsReport,
) -> String {
    let mut s = String::new();
    let layout = match dataset.source() {
        DatasetSource::Folder {
            has_split_level: true,
        } => "class folders with a split level".to_string(),
        DatasetSource::Folder {
            has_split_level: false,
        } => "class folders".to_string(),
        DatasetSource::Manifest { path, .. } => format!("manifest {}", path.display()),
        DatasetSource::HuggingFace(src) => format!(
            "Hugging Face {} ({} shard(s))",
            match src.format {
                crate::core::data::hf_source::ShardFormat::Parquet => "Parquet",
                crate::core::data::hf_source::ShardFormat::ArrowStream => "Arrow (save_to_disk)",
            },
            src.shards.len()
        ),
    };
    let labelled = dataset
        .labels()
        .iter()
        .filter(|&&l| l != crate::core::data::columns::NONE)
        .count();
    writeln!(s, "Dataset      {} ({layout})", dataset.root().display()).ok();
    writeln!(
        s,
        "             {} samples, {} labelled, {} classes{}",
        dataset.len(),
        labelled,
        dataset.classes().len(),
        if dataset.splits().is_empty() {
            String::new()
        } else {
            format!(", splits: {}", dataset.splits().join(", "))
        }
    )
    .ok();

    // Class balance.
    let name_w = dataset
        .classes()
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    writeln!(s, "\nClass balance").ok();
    write!(s, "  {:<name_w$}", "class").ok();
    for (key, _) in &report.class_counts.0 {
        write!(s, " {key:>9}").ok();
    }
    writeln!(s, " {:>7}", "share").ok();
    let total_all: u64 = report
        .class_counts
        .0
        .first()
        .map(|(_, v)| v.iter().map(|(_, n)| n).sum())
        .unwrap_or(0);
    for (ci, class) in dataset.classes().iter().enumerate() {
        write!(s, "  {:<name_w$}", truncate(class, name_w)).ok();
        for (_, counts) in &report.class_counts.0 {
            write!(s, " {:>9}", counts.get(ci).map_or(0, |(_, n)| *n)).ok();
        }
        let all = report
            .class_counts
            .0
            .first()
            .and_then(|(_, v)| v.get(ci))
            .map_or(0, |(_, n)| *n);
        writeln!(s, " {:>6.1}%", 100.0 * all as f64 / total_all.max(1) as f64).ok();
    }
    if let Some((_, all)) = report.class_counts.0.first() {
        let nonzero: Vec<u64> = all.iter().map(|(_, n)| *n).filter(|&n| n > 0).collect();
        if let (Some(max), Some(min)) = (nonzero.iter().max(), nonzero.iter().min()) {
            writeln!(
                s,
                "  imbalance ratio (largest / smallest class): {:.2}",
                *max as f64 / *min as f64
            )
            .ok();
        }
    }

    let Some(p) = predictions else {
        writeln!(s, "\nNo predictions given: add --predictions FILE for accuracy, confusion matrix and calibration.").ok();
        return s;
    };
    let kind = match p.kind() {
        PredictionKind::Probabilities => "probabilities",
        PredictionKind::Logits => "logits",
        PredictionKind::Hard => "hard predictions",
    };
    writeln!(
        s,
        "\nPredictions  {} ({kind}): {} rows matched, {} unmatched",
        p.path().display(),
        p.matched(),
        p.unmatched()
    )
    .ok();
    let Some(m) = &report.metrics else {
        writeln!(
            s,
            "  No sample has both a label and a usable prediction{}.",
            split.map(|x| format!(" in split {x}")).unwrap_or_default()
        )
        .ok();
        return s;
    };
    writeln!(
        s,
        "\nMetrics      {} samples{}",
        m.num_samples,
        split.map(|x| format!(" (split {x})")).unwrap_or_default()
    )
    .ok();
    writeln!(
        s,
        "  accuracy {:.4}   macro F1 {:.4}   weighted F1 {:.4}",
        m.accuracy, m.macro_f1, m.weighted_f1
    )
    .ok();
    writeln!(
        s,
        "\n  {:<name_w$} {:>9} {:>9} {:>9} {:>9}",
        "class", "precision", "recall", "F1", "support"
    )
    .ok();
    for c in &m.per_class {
        writeln!(
            s,
            "  {:<name_w$} {:>9.4} {:>9.4} {:>9.4} {:>9}",
            truncate(&c.class, name_w),
            c.precision,
            c.recall,
            c.f1,
            c.support
        )
        .ok();
    }
    if m.confusion_matrix.len() <= MAX_PRINTED_CLASSES {
        writeln!(
            s,
            "\nConfusion matrix (rows = true class, columns = predicted)"
        )
        .ok();
        let col_w = dataset
            .classes()
            .iter()
            .map(|c| c.chars().count().min(10))
            .max()
            .unwrap_or(5)
            .max(6);
        write!(s, "  {:<name_w$}", "").ok();
        for c in dataset.classes() {
            write!(s, " {:>col_w$}", truncate(c, col_w)).ok();
        }
        writeln!(s).ok();
        for (ci, row) in m.confusion_matrix.iter().enumerate() {
            write!(
                s,
                "  {:<name_w$}",
                truncate(dataset.classes().get(ci).map_or("", String::as_str), name_w)
            )
            .ok();
            for v in row {
                write!(s, " {v:>col_w$}").ok();
            }
            writeln!(s).ok();
        }
    } else {
        writeln!(
            s,
            "\nConfusion matrix: {0}×{0}, too wide to print; see --json or the app.",
            m.confusion_matrix.len()
        )
        .ok();
    }
    match &report.calibration {
        None => {
            writeln!(s, "\nCalibration  not available: the predictions are class names only (no probabilities).").ok();
        }
        Some(c) => {
            writeln!(s, "\nCalibration  {} bins", c.num_bins).ok();
            writeln!(
                s,
                "  ECE {:.4}   MCE {:.4}   NLL {:.4}   Brier {:.4}",
                c.ece, c.mce, c.nll, c.brier
            )
            .ok();
            writeln!(
                s,
                "  temperature {:.4}: ECE {:.4} -> {:.4}, NLL {:.4} -> {:.4}{}",
                c.temperature,
                c.ece,
                c.ece_after_temperature,
                c.nll,
                c.nll_after_temperature,
                if c.temperature > 1.0 {
                    "  (T > 1: the model is over-confident)"
                } else {
                    "  (T < 1: the model is under-confident)"
                }
            )
            .ok();
            writeln!(
                s,
                "\n  {:>13} {:>9} {:>10} {:>9} {:>8}",
                "confidence", "samples", "mean conf", "accuracy", "gap"
            )
            .ok();
            for b in c.bins.iter().filter(|b| b.count > 0) {
                writeln!(
                    s,
                    "  ({:.3}, {:.3}] {:>9} {:>10.4} {:>9.4} {:>+8.4}",
                    b.lower,
                    b.upper,
                    b.count,
                    b.confidence,
                    b.accuracy,
                    b.accuracy - b.confidence
                )
                .ok();
            }
        }
    }
    s
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
