//! `spotcheck check`: every file decoded, problems with their reasons, the EXIF orientation census
//! and byte-identical duplicates; the contract's JSON or a report for a person.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::core::data::dataset::Dataset;
use crate::core::data::warnings::Warnings;
use crate::core::media::ProblemKind;
use crate::core::scan::check::{CheckOptions, CheckReport, check_dataset};

/// Arguments of `spotcheck check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, or a folder holding metadata.csv/metadata.jsonl.
    dataset: PathBuf,
    /// Print the contract's JSON document instead of a report.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    limit: super::PixelLimitArgs,
    #[command(flatten)]
    edits: super::edits::EditFlags,
}

/// Runs `check`. Problems found are the report, not a failure: the exit status is 0.
pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut warnings = Warnings::default();
    // Labels matter here only for duplicates that disagree; pending edits count, as everywhere.
    let (dataset, _, _) = crate::core::labels::open_edited(
        &args.dataset,
        None,
        None,
        &mut warnings,
        &args.edits.mode(),
    )?;
    super::print_warnings(&warnings);
    let options = CheckOptions {
        max_pixels: args.limit.max_pixels(),
        ..CheckOptions::default()
    };
    let started = std::time::Instant::now();
    let report = super::progress::with_progress(dataset.len() as u64, "checking", |done| {
        check_dataset(&dataset, warnings.unusable(), &options, Some(done))
    });
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(render_text(&dataset, &report, started.elapsed().as_secs_f64()).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Problems and duplicate groups printed in the text report; the rest are counted (`--json` has all).
const MAX_LISTED: usize = 40;

fn render_text(dataset: &Dataset, report: &CheckReport, seconds: f64) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "Checked {} samples in {} ({seconds:.1} s)",
        report.num_samples,
        dataset.root().display()
    )
    .ok();

    // Problems, most serious kind first.
    let kinds = [
        ProblemKind::Missing,
        ProblemKind::Empty,
        ProblemKind::Unreadable,
        ProblemKind::Unsupported,
    ];
    let counts: Vec<String> = kinds
        .iter()
        .filter_map(|k| {
            let n = report.problems.iter().filter(|p| p.kind == *k).count();
            (n > 0).then(|| format!("{n} {}", k.as_str()))
        })
        .collect();
    if report.problems.is_empty() {
        writeln!(s, "\nProblems     none: every file opened and decoded").ok();
    } else {
        writeln!(
            s,
            "\nProblems     {} ({})",
            report.problems.len(),
            counts.join(", ")
        )
        .ok();
        let mut listed = 0;
        for kind in kinds {
            for p in report.problems.iter().filter(|p| p.kind == kind) {
                if listed == MAX_LISTED {
                    break;
                }
                writeln!(s, "  {:<11} {}: {}", kind.as_str(), p.file, p.detail).ok();
                listed += 1;
            }
        }
        if report.problems.len() > listed {
            writeln!(
                s,
                "  ... and {} more (--json lists them all)",
                report.problems.len() - listed
            )
            .ok();
        }
    }

    // EXIF orientation census.
    let census = &report.exif_orientation;
    let images = census.total();
    writeln!(s, "\nEXIF orientation of {images} images").ok();
    let mut row = format!("  none {}", census.none);
    for v in 1..=8 {
        write!(row, "   {v}: {}", census.count(Some(v))).ok();
    }
    writeln!(s, "{row}").ok();
    let turned = census.not_upright_as_stored();
    if turned > 0 {
        writeln!(
            s,
            "  {turned} images are stored rotated or mirrored (tags 2-8): a loader that ignores EXIF sees them that way"
        )
        .ok();
    }

    // Duplicates.
    if report.duplicates.is_empty() {
        writeln!(s, "\nDuplicates   none (no two files have the same bytes)").ok();
    } else {
        let copies: usize = report.duplicates.iter().map(|g| g.files.len()).sum();
        writeln!(
            s,
            "\nDuplicates   {} groups of byte-identical files ({copies} files); {} span splits, {} have conflicting labels",
            report.duplicates.len(),
            report.cross_split_duplicates,
            report.conflicting_label_duplicates
        )
        .ok();
        for g in report.duplicates.iter().take(MAX_LISTED) {
            let mut flags = Vec::new();
            if g.spans_splits() {
                flags.push("across splits");
            }
            if g.has_conflicting_labels() {
                flags.push("labels differ");
            }
            let members: Vec<String> = g
                .files
                .iter()
                .zip(&g.labels)
                .map(|(f, l)| {
                    if l.is_empty() {
                        f.clone()
                    } else {
                        format!("{f} [{l}]")
                    }
                })
                .collect();
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!("  ({})", flags.join(", "))
            };
            writeln!(s, "  {}{flags}", members.join(" = ")).ok();
        }
        if report.duplicates.len() > MAX_LISTED {
            writeln!(
                s,
                "  ... and {} more groups (--json lists them all)",
                report.duplicates.len() - MAX_LISTED
            )
            .ok();
        }
    }
    s
}
