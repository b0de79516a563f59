//! `spotcheck label-issues`: every labelled sample with probabilities, ranked by how much the
//! (out-of-sample) predictions doubt its label, the ones confident learning flags marked, as the
//! contract's JSON or a table a person can read. With `--annotations`, the annotated samples are
//! ranked by CROWDLAB instead: how likely the consensus of the crowd and the model is wrong.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::core::analysis::crowd::annotated_samples;
use crate::core::analysis::crowd::crowdlab::{Crowdlab, crowdlab};
use crate::core::analysis::label_issues::{
    LabelIssuesError, LabelIssuesReport, RankBy, find_label_issues,
};
use crate::core::analysis::report::resolve_split;
use crate::core::data::load::{self, Annotations, Predictions};
use crate::core::data::warnings::Warnings;
use crate::core::util::thousands;

/// Arguments of `spotcheck label-issues`.
#[derive(Debug, Args)]
pub struct LabelIssuesArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, a Hugging Face dataset (.parquet file, folder of
    /// Parquet shards, save_to_disk folder) or scan files, or a folder holding metadata.csv/.jsonl.
    dataset: PathBuf,
    /// Out-of-sample (held-out or cross-validated) predictions: prob_<class> or logit_<class> columns.
    #[arg(long, value_name = "FILE")]
    predictions: PathBuf,
    /// Crowd judgements (file_name, annotator, label): rank the annotated samples by CROWDLAB, how
    /// likely the consensus of the annotators and the model is wrong, instead of confident learning.
    #[arg(long, value_name = "FILE")]
    annotations: Option<PathBuf>,
    /// Look at this split's samples only.
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// Print at most this many of the ranked candidates, most suspicious first (default: all).
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
    if let Some(annotations) = args.annotations.clone() {
        return run_crowdlab(args, &annotations);
    }
    let started = std::time::Instant::now();
    let (dataset, predictions) =
        super::load_with_predictions(&args.dataset, &args.predictions, &args.edits)?;
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
        out.write_all(render_text(&predictions, args.split.as_deref(), &report).as_bytes())?;
    }
    out.flush()?;
    load::timing("output", started);
    drop(report);
    super::release_in_background((result, dataset, predictions));
    Ok(ExitCode::SUCCESS)
}

/// `label-issues --annotations`: CROWDLAB over the annotated samples that have probabilities (in the
/// split), ranked by `1 - consensus_quality_score`.
fn run_crowdlab(args: LabelIssuesArgs, annotations_path: &Path) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let (mut dataset, mut predictions) =
        super::load_with_predictions(&args.dataset, &args.predictions, &args.edits)?;
    let mut warnings = Warnings::default();
    let (annotations, remap) =
        load::load_annotations(&mut dataset, annotations_path, None, &mut warnings)?;
    super::print_warnings(&warnings);
    if let Some(table) = remap {
        // Annotators used classes the dataset did not have: the probability columns follow.
        predictions.remap_classes(&table, dataset.classes().len());
    }
    if !predictions.has_probabilities() {
        return Err(LabelIssuesError::HardPredictions {
            path: predictions.path().to_path_buf(),
        }
        .into());
    }
    load::timing("load", started);
    let split = resolve_split(&dataset, args.split.as_deref())?;
    let k = dataset.classes().len();
    let mut samples = Vec::new();
    let mut probs = Vec::new();
    for s in annotated_samples(&dataset, &annotations, split) {
        if let Some(row) = predictions
            .log_probabilities(s as usize)
            .filter(|r| r.len() == k)
        {
            samples.push(s);
            probs.extend(row.iter().map(|z| z.exp()));
        }
    }
    let result = crowdlab(&annotations, &samples, &probs, k)?;
    load::timing("crowdlab", started);
    let report = result.report(&dataset, args.top);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(
            render_crowdlab_text(
                &predictions,
                &annotations,
                &result,
                args.split.as_deref(),
                &report,
            )
            .as_bytes(),
        )?;
    }
    out.flush()?;
    drop(report);
    super::release_in_background((result, dataset, predictions, annotations, probs));
    Ok(ExitCode::SUCCESS)
}

/// The table: the estimate of how many labels are wrong, then the ranked candidates (at most
/// `--top`), the flagged ones marked so a reader sees where confident learning's count stops.
fn render_text(
    predictions: &Predictions,
    split: Option<&str>,
    report: &LabelIssuesReport<'_>,
) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "Label issues  confident learning (Northcutt et al. 2021), ranked by self-confidence"
    )
    .ok();
    let listed = report.issues.len() as u64;
    writeln!(
        s,
        "              about {} likely label errors (confident learning); {} candidates{} ranked{}",
        thousands(report.num_flagged),
        thousands(report.num_candidates),
        split.map(|x| format!(" in split {x}")).unwrap_or_default(),
        if listed < report.num_candidates {
            format!("; the top {} are listed", thousands(listed))
        } else {
            String::new()
        }
    )
    .ok();
    writeln!(
        s,
        "              flagged: counted as a label error by confident learning; the ranking goes on past\n              them, so a review can stop at its estimate or go further down the list."
    )
    .ok();
    writeln!(
        s,
        "              The ranking means something only if {} holds out-of-sample predictions\n              (held-out or cross-validated), not predictions on the model's own training data.",
        predictions.path().display()
    )
    .ok();
    render_rows(&mut s, report, "label -> suggested");
    s
}

/// The CROWDLAB table: the weights, how many consensus labels differ from the dataset's, then the
/// ranked samples (at most `--top`).
fn render_crowdlab_text(
    predictions: &Predictions,
    annotations: &Annotations,
    result: &Crowdlab,
    split: Option<&str>,
    report: &LabelIssuesReport<'_>,
) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "Label issues  CROWDLAB (Goh, Tkachenko & Mueller 2022): annotators and model together,\n              ranked by how likely the consensus label is wrong (1 - consensus quality)"
    )
    .ok();
    let listed = report.issues.len() as u64;
    writeln!(
        s,
        "              {} annotated samples with probabilities{} ranked{}\n              flagged: the consensus differs from the dataset's label ({} samples)",
        thousands(report.num_candidates),
        split.map(|x| format!(" in split {x}")).unwrap_or_default(),
        if listed < report.num_candidates {
            format!("; the top {} are listed", thousands(listed))
        } else {
            String::new()
        },
        thousands(report.num_flagged),
    )
    .ok();
    if !result.samples.is_empty() {
        let mut weights: Vec<(f64, &str)> = result
            .annotator_weight
            .iter()
            .zip(annotations.annotators())
            .filter(|(w, _)| !w.is_nan())
            .map(|(&w, name)| (w, name.as_str()))
            .collect();
        weights.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mean = weights.iter().map(|w| w.0).sum::<f64>() / weights.len().max(1) as f64;
        writeln!(
            s,
            "              model weight {:.3}; annotator weights: mean {:.3}, highest {} {:.3}, lowest {} {:.3}",
            result.model_weight,
            mean,
            weights.first().map_or("", |w| w.1),
            weights.first().map_or(0.0, |w| w.0),
            weights.last().map_or("", |w| w.1),
            weights.last().map_or(0.0, |w| w.0),
        )
        .ok();
    }
    writeln!(
        s,
        "              The ranking means something only if {} holds out-of-sample predictions\n              (held-out or cross-validated), not predictions on the model's own training data.",
        predictions.path().display()
    )
    .ok();
    render_rows(&mut s, report, "consensus -> ensemble's choice");
    s
}

/// The ranked rows of a report, under a header naming the two classes shown.
fn render_rows(s: &mut String, report: &LabelIssuesReport<'_>, classes_header: &str) {
    if report.issues.is_empty() {
        return;
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
        "\n  {:>rank_w$} {:>6}  {:<7}  {:<file_w$}  {classes_header}",
        "rank", "score", "flagged", "file"
    )
    .ok();
    for (rank, issue) in report.issues.iter().enumerate() {
        writeln!(
            s,
            "  {:>rank_w$} {:>6.4}  {:<7}  {:<file_w$}  {} -> {}",
            rank + 1,
            issue.score,
            if issue.flagged { "yes" } else { "" },
            issue.file,
            issue.label,
            issue.suggested
        )
        .ok();
    }
}
