//! `spotcheck balance`: labelled samples per class, scikit-learn's "balanced" and Cui et al.'s
//! effective-number class weights, and `--resample` writing a balanced manifest (seeded under- or
//! oversampling) that opens as a dataset wherever it is written.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::core::analysis::balance::{
    ClassWeights, DEFAULT_BETA, Resample, class_weights, write_balanced_manifest,
};
use crate::core::analysis::report::resolve_split;
use crate::core::data::dataset::Dataset;
use crate::core::data::warnings::Warnings;
use crate::core::util::thousands;

/// The `--resample` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResampleArg {
    /// Every class cut to the smallest class's count (seeded, without replacement).
    Undersample,
    /// Every class filled to the largest class's count (every sample, then seeded draws).
    Oversample,
}

impl From<ResampleArg> for Resample {
    fn from(r: ResampleArg) -> Self {
        match r {
            ResampleArg::Undersample => Self::Undersample,
            ResampleArg::Oversample => Self::Oversample,
        }
    }
}

/// Arguments of `spotcheck balance`.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, or a folder holding metadata.csv/metadata.jsonl.
    dataset: PathBuf,
    /// Count and weigh this split's samples only (and resample only them).
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// The effective number's beta, in [0, 1): 0 weighs every class alike, near 1 is inverse frequency.
    #[arg(long, value_name = "B", default_value_t = DEFAULT_BETA)]
    beta: f64,
    /// Write a balanced manifest to --out: every class cut to the smallest or filled to the largest.
    #[arg(long, value_enum, requires_all = ["seed", "out"])]
    resample: Option<ResampleArg>,
    /// The resampling seed: the same seed writes the same manifest, byte for byte, in every version.
    #[arg(long, value_name = "S", requires = "resample")]
    seed: Option<u64>,
    /// The balanced manifest to write (file_name,label[,split]).
    #[arg(long, value_name = "FILE.csv", requires = "resample")]
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
    split: Option<&'a str>,
    counts: BTreeMap<&'a str, u64>,
    weights: Weights<'a>,
}

#[derive(Debug, Serialize)]
struct Weights<'a> {
    balanced: BTreeMap<&'a str, Option<f64>>,
    effective_number: BTreeMap<&'a str, Option<f64>>,
    beta: f64,
}

/// Runs `balance`.
pub fn run(args: BalanceArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..1.0).contains(&args.beta) {
        anyhow::bail!("--beta {}: beta must be at least 0 and below 1", args.beta);
    }
    if let Some(out) = &args.out
        && out.is_dir()
    {
        anyhow::bail!("{}: --out is a folder; give a file name", out.display());
    }
    let mut warnings = Warnings::default();
    let (dataset, _, _) = crate::core::labels::open_edited(
        &args.dataset,
        None,
        None,
        &mut warnings,
        &args.edits.mode(),
    )?;
    super::print_warnings(&warnings);
    let split = resolve_split(&dataset, args.split.as_deref())
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.dataset.display()))?;
    let counts = dataset.class_counts(split);
    let weights = class_weights(&counts, args.beta);
    let written = match (args.resample, args.seed, &args.out) {
        (Some(how), Some(seed), Some(out)) => {
            Some(write_manifest(&dataset, split, how.into(), seed, out)?)
        }
        _ => None,
    };
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if args.json {
        let report = report(&dataset, args.split.as_deref(), &weights);
        serde_json::to_writer(&mut stdout, &report)?;
        writeln!(stdout)?;
    } else {
        stdout.write_all(render_text(&dataset, args.split.as_deref(), &weights).as_bytes())?;
    }
    stdout.flush()?;
    if let (Some(summary), Some(out)) = (written, &args.out) {
        eprintln!("wrote {summary} to {}", out.display());
    }
    super::release_in_background(dataset);
    Ok(ExitCode::SUCCESS)
}

/// Resamples the split's labelled samples and writes the manifest; returns a summary for the user.
fn write_manifest(
    dataset: &Dataset,
    split: Option<usize>,
    how: Resample,
    seed: u64,
    out: &std::path::Path,
) -> anyhow::Result<String> {
    let summary = write_balanced_manifest(dataset, dataset.labels(), split, how, seed, out)?;
    Ok(format!(
        "{} rows ({} classes x {}, {})",
        thousands(summary.rows as u64),
        summary.classes,
        thousands(summary.per_class() as u64),
        match how {
            Resample::Undersample => "undersampled",
            Resample::Oversample => "oversampled",
        }
    ))
}

fn report<'a>(dataset: &'a Dataset, split: Option<&'a str>, w: &ClassWeights) -> Report<'a> {
    let names = || dataset.classes().iter().map(String::as_str);
    Report {
        split,
        counts: names().zip(w.counts.iter().copied()).collect(),
        weights: Weights {
            balanced: names().zip(w.balanced.iter().copied()).collect(),
            effective_number: names().zip(w.effective_number.iter().copied()).collect(),
            beta: w.beta,
        },
    }
}

/// The table: one row per class with its count and both weights.
fn render_text(dataset: &Dataset, split: Option<&str>, w: &ClassWeights) -> String {
    let mut s = String::new();
    let n: u64 = w.counts.iter().sum();
    writeln!(
        s,
        "Class balance  {} labelled samples{}; effective number with beta {}",
        thousands(n),
        split.map(|x| format!(" in split {x}")).unwrap_or_default(),
        w.beta
    )
    .ok();
    let class_w = dataset
        .classes()
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    writeln!(
        s,
        "\n  {:<class_w$}  {:>10}  {:>8}  {:>16}",
        "class", "samples", "balanced", "effective number"
    )
    .ok();
    let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |x| format!("{x:.4}"));
    for (c, name) in dataset.classes().iter().enumerate() {
        writeln!(
            s,
            "  {:<class_w$}  {:>10}  {:>8}  {:>16}",
            name,
            thousands(w.counts.get(c).copied().unwrap_or(0)),
            fmt(w.balanced.get(c).copied().flatten()),
            fmt(w.effective_number.get(c).copied().flatten())
        )
        .ok();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_and_out_need_resample() {
        use clap::Parser;
        #[derive(Debug, Parser)]
        struct T {
            #[command(flatten)]
            b: BalanceArgs,
        }
        assert!(T::try_parse_from(["t", "d", "--resample", "undersample"]).is_err());
        assert!(T::try_parse_from(["t", "d", "--seed", "1"]).is_err());
        assert!(
            T::try_parse_from([
                "t",
                "d",
                "--resample",
                "oversample",
                "--seed",
                "1",
                "--out",
                "x"
            ])
            .is_ok()
        );
    }
}
