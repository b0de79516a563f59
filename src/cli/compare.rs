//! `spotcheck compare`: several models' predictions on one dataset, side by side with bootstrap
//! intervals and McNemar's exact test, as the contract's JSON or tables a person can read.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::core::analysis::compare::{
    CompareOptions, Comparison, DEFAULT_RESAMPLES, DEFAULT_SEED, Interval, compare, model_names,
};
use crate::core::analysis::report::{DEFAULT_BINS, resolve_split};
use crate::core::data::load::{self, PredictionKind, Predictions};
use crate::core::data::warnings::Warnings;
use crate::core::util::thousands;

/// Arguments of `spotcheck compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, or a folder holding metadata.csv/metadata.jsonl.
    dataset: PathBuf,
    /// A model's predictions (prob_<class>, logit_<class> or prediction columns); give it once per
    /// model, at least twice. The model is named after the file, without its extension.
    #[arg(long = "predictions", value_name = "FILE", required = true)]
    predictions: Vec<PathBuf>,
    /// Compare on this split's samples only.
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// Number of equal-width reliability bins for ECE.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BINS, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..=1000), usize::from))]
    bins: usize,
    /// Seed of the bootstrap: the same seed gives the same intervals, on any machine.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Leave out the per-class average precision (one sort per class and model).
    #[arg(long)]
    no_average_precision: bool,
    /// Print the contract's JSON document instead of tables.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    edits: super::edits::EditFlags,
}

/// Runs `compare`.
pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    if args.predictions.len() < 2 {
        anyhow::bail!(
            "compare needs at least two --predictions files, one per model (got {}); `spotcheck stats DATASET --predictions FILE` scores a single model",
            args.predictions.len()
        );
    }
    let mut warnings = Warnings::default();
    let (dataset, models) = crate::core::labels::open_edited_with_models(
        &args.dataset,
        &args.predictions,
        &mut warnings,
        &args.edits.mode(),
    )?;
    super::print_warnings(&warnings);
    load::timing("load", started);
    let split = resolve_split(&dataset, args.split.as_deref())?;
    let names = model_names(&args.predictions);
    let refs: Vec<&Predictions> = models.iter().collect();
    let options = CompareOptions {
        num_bins: args.bins,
        resamples: DEFAULT_RESAMPLES,
        seed: args.seed,
        average_precision: !args.no_average_precision,
    };
    let report = compare(&dataset, &refs, &names, split, &options)?;
    load::timing("compare", started);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(render_text(&refs, args.split.as_deref(), &options, &report).as_bytes())?;
    }
    out.flush()?;
    load::timing("output", started);
    super::release_in_background((dataset, models));
    Ok(ExitCode::SUCCESS)
}

/// Significance level of the table's verdicts.
const ALPHA: f64 = 0.05;

fn render_text(
    models: &[&Predictions],
    split: Option<&str>,
    options: &CompareOptions,
    report: &Comparison,
) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "Compare      {} models on {} labelled samples that every model predicts{}",
        report.models.len(),
        thousands(report.num_samples),
        split.map(|x| format!(" (split {x})")).unwrap_or_default()
    )
    .ok();
    writeln!(
        s,
        "             intervals: 95% percentile bootstrap, {} resamples, seed {}; ECE with {} bins",
        options.resamples, options.seed, options.num_bins
    )
    .ok();
    let name_w = report
        .models
        .iter()
        .map(|m| m.name.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 30);
    writeln!(
        s,
        "\n  {:<name_w$}  {:<26} {:<26} {:<26} {:>7}",
        "model", "accuracy [95% CI]", "macro F1 [95% CI]", "ECE [95% CI]", "NLL"
    )
    .ok();
    let cell = |v: f64, ci: Interval| format!("{v:.4} [{:.4}, {:.4}]", ci[0], ci[1]);
    for (m, p) in report.models.iter().zip(models) {
        let ece = match (m.ece, m.ece_ci) {
            (Some(e), Some(ci)) => cell(e, ci),
            _ => "n/a (hard predictions)".to_string(),
        };
        let nll = m.nll.map_or("n/a".to_string(), |x| format!("{x:.4}"));
        writeln!(
            s,
            "  {:<name_w$}  {:<26} {:<26} {:<26} {:>7}   {}",
            m.name,
            cell(m.accuracy, m.accuracy_ci),
            cell(m.macro_f1, m.macro_f1_ci),
            ece,
            nll,
            match p.kind() {
                PredictionKind::Probabilities => "probabilities",
                PredictionKind::Logits => "logits",
                PredictionKind::Hard => "hard predictions",
            }
        )
        .ok();
    }
    let pairs = report.pairs.len();
    writeln!(
        s,
        "\nPairs        right/wrong on the same samples; McNemar's exact test on the samples only one gets right"
    )
    .ok();
    if pairs > 1 {
        writeln!(
            s,
            "             {pairs} pairs tested: with Bonferroni's correction a p-value needs < {:.4} (= {ALPHA}/{pairs})",
            ALPHA / pairs as f64
        )
        .ok();
    }
    let excludes_zero = |ci: Interval| ci[0] > 0.0 || ci[1] < 0.0;
    for pair in &report.pairs {
        let n = (pair.both_right + pair.a_only_right + pair.b_only_right + pair.both_wrong).max(1);
        let pct = |x: u64| 100.0 * x as f64 / n as f64;
        writeln!(s, "\n  {} vs {}", pair.a, pair.b).ok();
        let w = 12usize.max(pair.b.chars().count() + 6);
        writeln!(
            s,
            "    {:<w$} {:>16} {:>16}",
            "",
            format!("{} right", truncate(&pair.b, 10)),
            format!("{} wrong", truncate(&pair.b, 10))
        )
        .ok();
        writeln!(
            s,
            "    {:<w$} {:>16} {:>16}",
            format!("{} right", truncate(&pair.a, w.saturating_sub(6))),
            format!(
                "{} ({:.1}%)",
                thousands(pair.both_right),
                pct(pair.both_right)
            ),
            format!(
                "{} ({:.1}%)",
                thousands(pair.a_only_right),
                pct(pair.a_only_right)
            )
        )
        .ok();
        writeln!(
            s,
            "    {:<w$} {:>16} {:>16}",
            format!("{} wrong", truncate(&pair.a, w.saturating_sub(6))),
            format!(
                "{} ({:.1}%)",
                thousands(pair.b_only_right),
                pct(pair.b_only_right)
            ),
            format!(
                "{} ({:.1}%)",
                thousands(pair.both_wrong),
                pct(pair.both_wrong)
            )
        )
        .ok();
        let verdict = if pair.mcnemar_p < ALPHA / pairs.max(1) as f64 {
            "the accuracies differ (significant)"
        } else if pair.mcnemar_p < ALPHA {
            "significant alone, not after Bonferroni"
        } else {
            "no significant difference in accuracy"
        };
        writeln!(s, "    McNemar p = {:.4}: {verdict}", pair.mcnemar_p).ok();
        let mut line = format!(
            "    paired bootstrap of {} - {}: accuracy [{:+.4}, {:+.4}]{}, macro F1 [{:+.4}, {:+.4}]{}",
            pair.a,
            pair.b,
            pair.accuracy_diff_ci[0],
            pair.accuracy_diff_ci[1],
            if excludes_zero(pair.accuracy_diff_ci) {
                " *"
            } else {
                ""
            },
            pair.macro_f1_diff_ci[0],
            pair.macro_f1_diff_ci[1],
            if excludes_zero(pair.macro_f1_diff_ci) {
                " *"
            } else {
                ""
            },
        );
        if let Some(ci) = pair.ece_diff_ci {
            write!(
                line,
                ", ECE [{:+.4}, {:+.4}]{}",
                ci[0],
                ci[1],
                if excludes_zero(ci) { " *" } else { "" }
            )
            .ok();
        }
        writeln!(s, "{line}").ok();
    }
    writeln!(
        s,
        "\n  * the 95% interval of the difference excludes 0: the models differ on that metric."
    )
    .ok();
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
