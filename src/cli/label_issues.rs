//! `spotcheck label-issues`: samples whose label the (out-of-sample) predictions doubt, most suspicious
//! first, as the contract's JSON or a table a person can read.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::core::analysis::label_issues::{LabelIssuesReport, RankBy, find_label_issues};
use crate::core::analysis::report::resolve_split;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::{self, Predictions};
use crate::core::data::warnings::Warnings;

/// Arguments of `spotcheck label-issues`.
#[derive(Debug, Args)]
pub struct LabelIssuesArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, or a folder holding metadata.csv/metadata.jsonl.
    dataset: PathBuf,
    /// Out-of-sample (held-out or cross-validated) predictions: prob_<class> or logit_<class> columns.
    #[arg(long, value_name = "FILE")]
    predictions: PathBuf,
    /// Look at this split's samples only.
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// Print at most this many issues (default: all).
    #[arg(long, value_name = "K")]
    top: Option<usize>,
    /// Print the contract's JSON document instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    edits: super::edits::EditFlags,
}

/// Runs `label-issues`.
pub fn run(args: LabelIssuesArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let (dataset, predictions) = load(&args)?;
    let split = resolve_split(&dataset, args.split.as_deref())?;
    let result = find_label_issues(
        &dataset,
        dataset.labels(),
        &predictions,
        split,
        RankBy::ConfidentLearning,
    )?;
    load::timing("label issues", started);
    let report = LabelIssuesReport::build(&dataset, &result, args.top);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(
            render_text(
                &predictions,
                args.split.as_deref(),
                &report,
                result.issues.len(),
            )
            .as_bytes(),
        )?;
    }
    out.flush()?;
    load::timing("output", started);
    drop(report);
    super::release_in_background((result, dataset, predictions));
    Ok(ExitCode::SUCCESS)
}

/// Loads the dataset (with the journal's pending edits unless `--no-edits`) and its predictions,
/// printing load warnings.
fn load(args: &LabelIssuesArgs) -> anyhow::Result<(Dataset, Predictions)> {
    let mut warnings = Warnings::default();
    // Pending label edits count (a corrected label is no longer an issue); --no-edits reads the files.
    let (dataset, predictions, _) = crate::core::labels::open_edited(
        &args.dataset,
        Some(&args.predictions),
        None,
        &mut warnings,
        &args.edits.mode(),
    )?;
    super::print_warnings(&warnings);
    let predictions = predictions.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: the predictions were not loaded",
            args.predictions.display()
        )
    })?;
    Ok((dataset, predictions))
}

fn render_text(
    predictions: &Predictions,
    split: Option<&str>,
    report: &LabelIssuesReport<'_>,
    flagged: usize,
) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "Label issues  confident learning (Northcutt et al. 2021), ranked by self-confidence"
    )
    .ok();
    writeln!(
        s,
        "              {} of {} labelled samples with probabilities{} look mislabelled{}",
        flagged,
        report.num_candidates,
        split.map(|x| format!(" in split {x}")).unwrap_or_default(),
        if report.issues.len() < flagged {
            format!("; the top {} are listed", report.issues.len())
        } else {
            String::new()
        }
    )
    .ok();
    writeln!(
        s,
        "              The ranking means something only if {} holds out-of-sample predictions\n              (held-out or cross-validated), not predictions on the model's own training data.",
        predictions.path().display()
    )
    .ok();
    if report.issues.is_empty() {
        return s;
    }
    let file_w = report
        .issues
        .iter()
        .map(|i| i.file.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    let rank_w = report.issues.len().to_string().len().max(4);
    writeln!(
        s,
        "\n  {:>rank_w$} {:>6}  {:<file_w$}  label -> suggested",
        "rank", "score", "file"
    )
    .ok();
    for (rank, issue) in report.issues.iter().enumerate() {
        writeln!(
            s,
            "  {:>rank_w$} {:>6.4}  {:<file_w$}  {} -> {}",
            rank + 1,
            issue.score,
            issue.file,
            issue.label,
            issue.suggested
        )
        .ok();
    }
    s
}
