//! `spotcheck agreement` and `spotcheck soft-labels`: the crowd's agreement, consensus and
//! annotators, and its soft labels as a predictions file.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::core::analysis::crowd::report::DEFAULT_TOP;
use crate::core::analysis::crowd::soft_labels::write_soft_labels_with;
use crate::core::analysis::crowd::{
    AgreementReport, ConsensusMethod, annotated_samples, consensus,
};
use crate::core::analysis::report::resolve_split;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::{self, Annotations};
use crate::core::data::warnings::Warnings;

/// `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum MethodArg {
    /// Most votes; soft labels are the vote fractions.
    #[default]
    Vote,
    /// Dawid–Skene EM: annotator confusion matrices and class priors.
    DawidSkene,
}

impl From<MethodArg> for ConsensusMethod {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Vote => Self::Vote,
            MethodArg::DawidSkene => Self::DawidSkene,
        }
    }
}

/// The dataset and annotations flags both commands take.
#[derive(Debug, Args)]
pub struct CrowdInput {
    /// A class-folder tree, a .csv/.jsonl manifest, a Parquet/Arrow dataset, or a folder holding
    /// metadata.csv/metadata.jsonl.
    dataset: PathBuf,
    /// Judgements, one row per (file_name, annotator, label): CSV, JSONL or Parquet.
    #[arg(long, value_name = "FILE")]
    annotations: PathBuf,
    /// How the judgements become one label per sample.
    #[arg(long, value_enum, default_value_t)]
    method: MethodArg,
    #[command(flatten)]
    edits: super::edits::EditFlags,
}

/// Arguments of `spotcheck agreement`.
#[derive(Debug, Args)]
pub struct AgreementArgs {
    #[command(flatten)]
    input: CrowdInput,
    /// Look at this split's samples and their judgements only (every number, the EM too).
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// List at most this many disagreements.
    #[arg(long, value_name = "K", default_value_t = DEFAULT_TOP)]
    top: usize,
    /// Print the contract's JSON document instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Arguments of `spotcheck soft-labels`.
#[derive(Debug, Args)]
pub struct SoftLabelsArgs {
    #[command(flatten)]
    input: CrowdInput,
    /// Where to write the soft labels (file_name,prob_<class>,...): a valid --predictions file.
    #[arg(long, value_name = "FILE.csv")]
    out: PathBuf,
}

/// Loads the dataset (with pending edits unless `--no-edits`) and its annotations.
fn load(input: &CrowdInput) -> anyhow::Result<(Dataset, Annotations)> {
    let (dataset, annotations, _) = load_with_soft(input)?;
    Ok((dataset, annotations))
}

/// Hand soft labels by sample: one probability per dataset class, sorted by sample.
type HandSoftLabels = Vec<(usize, Vec<f64>)>;

/// Like [`load`], with the journal's hand soft labels, each as one probability per dataset class
/// (their classes are created first, so the crowd's columns and theirs are the same), by sample.
fn load_with_soft(input: &CrowdInput) -> anyhow::Result<(Dataset, Annotations, HandSoftLabels)> {
    let mut warnings = Warnings::default();
    let (mut dataset, _, edited) = crate::core::labels::open_edited(
        &input.dataset,
        None,
        None,
        &mut warnings,
        &input.edits.mode(),
    )?;
    let soft = edited.map(|e| e.state.soft).unwrap_or_default();
    // Before the annotations: their class ids are then numbered over the final class list.
    let _ = dataset.ensure_classes(soft.iter().flat_map(|s| s.label.classes()));
    let (annotations, _) =
        load::load_annotations(&mut dataset, &input.annotations, None, &mut warnings)?;
    super::print_warnings(&warnings);
    let hand = soft
        .iter()
        .map(|s| {
            let row = dataset
                .classes()
                .iter()
                .map(|c| s.label.probability(c))
                .collect();
            (s.sample, row)
        })
        .collect();
    Ok((dataset, annotations, hand))
}

/// Runs `agreement`.
pub fn run_agreement(args: AgreementArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let (dataset, annotations) = load(&args.input)?;
    load::timing("load", started);
    let split = resolve_split(&dataset, args.split.as_deref())?;
    let (report, _) = AgreementReport::build(
        &dataset,
        &annotations,
        split,
        args.input.method.into(),
        args.top,
    )?;
    load::timing("agreement", started);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(render_text(&report, args.split.as_deref()).as_bytes())?;
    }
    out.flush()?;
    super::release_in_background((dataset, annotations));
    Ok(ExitCode::SUCCESS)
}

/// Runs `soft-labels`.
pub fn run_soft_labels(args: SoftLabelsArgs) -> anyhow::Result<ExitCode> {
    if args.out.is_dir() {
        anyhow::bail!(
            "{}: --out is a folder; give a file name",
            args.out.display()
        );
    }
    let (dataset, annotations, hand) = load_with_soft(&args.input)?;
    let samples = annotated_samples(&dataset, &annotations, None);
    let k = dataset.classes().len();
    let consensus = consensus(&annotations, &samples, k, args.input.method.into())?;
    write_soft_labels_with(&dataset, &consensus, &hand, &args.out)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.out.display()))?;
    let overridden = hand
        .iter()
        .filter(|(s, _)| samples.binary_search(&(*s as u32)).is_ok())
        .count();
    eprintln!(
        "wrote soft labels of {} annotated samples ({} classes, {}) to {}{}",
        samples.len(),
        k,
        consensus.method.json_name(),
        args.out.display(),
        if hand.is_empty() {
            String::new()
        } else {
            format!(
                "; {} set by hand ({overridden} in place of the crowd's, {} not judged by anyone)",
                hand.len(),
                hand.len() - overridden
            )
        }
    );
    super::release_in_background((dataset, annotations, consensus));
    Ok(ExitCode::SUCCESS)
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.3}"))
}

/// The summary a person reads.
fn render_text(r: &AgreementReport, split: Option<&str>) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "Agreement  {} judgements of {} samples by {} annotators{}",
        r.num_annotations,
        r.num_samples,
        r.num_annotators,
        split.map(|x| format!(" in split {x}")).unwrap_or_default()
    )
    .ok();
    writeln!(
        s,
        "           observed {}   Krippendorff's alpha {}   Fleiss' kappa {}",
        fmt_opt(r.agreement.observed),
        fmt_opt(r.agreement.krippendorff_alpha),
        r.agreement.fleiss_kappa.map_or_else(
            || "n/a (unequal judgement counts)".into(),
            |k| format!("{k:.3}")
        )
    )
    .ok();
    writeln!(
        s,
        "Consensus  {}{}; agrees with the given label on {}",
        r.consensus.method,
        if r.consensus.iterations > 0 {
            format!(" ({} EM iterations)", r.consensus.iterations)
        } else {
            String::new()
        },
        r.consensus.agrees_with_given_label.map_or_else(
            || "n/a (no labels)".into(),
            |x| format!("{:.1}%", 100.0 * x)
        )
    )
    .ok();
    let name_w = r
        .annotators
        .iter()
        .map(|a| a.annotator.chars().count())
        .max()
        .unwrap_or(9)
        .clamp(9, 40);
    writeln!(
        s,
        "\n  {:<name_w$}  {:>11}  {:>21}  {:>18}",
        "annotator", "judgements", "agrees with consensus", "estimated accuracy"
    )
    .ok();
    for a in &r.annotators {
        writeln!(
            s,
            "  {:<name_w$}  {:>11}  {:>20.1}%  {:>18}",
            a.annotator,
            a.num_annotations,
            100.0 * a.agreement_with_consensus,
            a.estimated_accuracy
                .map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x))
        )
        .ok();
    }
    if !r.disagreements.is_empty() {
        writeln!(s, "\n  Disagreements, least certain first:").ok();
        for d in &r.disagreements {
            let votes: Vec<String> = d.votes.iter().map(|(c, n)| format!("{c} {n}")).collect();
            writeln!(
                s,
                "  {:.3}  {}  given {}  consensus {}  ({})",
                d.confidence,
                d.file,
                d.given.as_deref().unwrap_or("-"),
                d.consensus,
                votes.join(", ")
            )
            .ok();
        }
    }
    s
}
