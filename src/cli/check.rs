//! `spotcheck check`: every file decoded, problems with their reasons, the EXIF orientation census
//! and byte-identical duplicates; the contract's JSON or a report for a person.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::core::data::warnings::Warnings;
use crate::core::media::ProblemKind;
use crate::core::scan::check::{
    CheckOptions, CheckReport, NearDuplicateGroup, build_report, check_dataset,
};
use crate::core::scan::near_duplicates::{DEFAULT_NEAR_THRESHOLD, MAX_NEAR_THRESHOLD};
use crate::core::scan::scan_file::{read_scan_files, scan_files};

/// Arguments of `spotcheck check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, a Hugging Face dataset (.parquet file, folder of
    /// Parquet shards, save_to_disk folder) or scan files, or a folder holding metadata.csv/.jsonl.
    dataset: PathBuf,
    /// Print the contract's JSON document instead of a report.
    #[arg(long)]
    json: bool,
    /// Build the report from scan files (`spotcheck scan`): a file, a folder of them or a glob
    /// (quoted). No media is read; names, splits and labels are the scan's.
    #[arg(long, value_name = "FILES")]
    from_scan: Option<PathBuf>,
    /// Images whose perceptual hashes differ in at most this many of 64 bits are near-duplicates.
    #[arg(long, value_name = "BITS", default_value_t = DEFAULT_NEAR_THRESHOLD, value_parser = clap::value_parser!(u32).range(0..=MAX_NEAR_THRESHOLD as i64))]
    near_threshold: u32,
    #[command(flatten)]
    limit: super::PixelLimitArgs,
    #[command(flatten)]
    edits: super::edits::EditFlags,
}

/// Runs `check`. Problems found are the report, not a failure: the exit status is 0.
pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    if let Some(scan) = &args.from_scan {
        return run_from_scan(&args, scan);
    }
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
        near_threshold: args.near_threshold,
        ..CheckOptions::default()
    };
    let started = std::time::Instant::now();
    let report = super::progress::with_progress(dataset.len() as u64, "checking", |done| {
        super::with_io_threads(|| {
            check_dataset(&dataset, warnings.unusable(), &options, Some(done))
        })
    });
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        let root = dataset.root().display().to_string();
        out.write_all(render_text(&root, &report, started.elapsed().as_secs_f64()).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `check --from-scan`: the report aggregated from scan rows. Byte-identical groups are taken on the
/// content hash and length (the media is not there to compare byte for byte).
fn run_from_scan(args: &CheckArgs, scan: &std::path::Path) -> anyhow::Result<ExitCode> {
    if !args.dataset.exists() {
        anyhow::bail!(
            "{}: no such dataset (with --from-scan it only names the report; give the scanned folder)",
            args.dataset.display()
        );
    }
    let started = std::time::Instant::now();
    let files = scan_files(scan)?;
    let table = read_scan_files(&files)?;
    let names = |i: usize| table.names.get(i).cloned().unwrap_or_default();
    let report = build_report(
        table.unusable.clone(),
        &table.records,
        &names,
        &|members| vec![members],
        args.near_threshold,
    );
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        let source = format!(
            "{} (from {} scan file{})",
            args.dataset.display(),
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        out.write_all(render_text(&source, &report, started.elapsed().as_secs_f64()).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Problems and duplicate groups printed in the text report; the rest are counted (`--json` has all).
const MAX_LISTED: usize = 40;

fn render_text(source: &str, report: &CheckReport, seconds: f64) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "Checked {} samples in {source} ({seconds:.1} s)",
        report.num_samples,
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

    // Near-duplicates.
    if report.near_duplicates.is_empty() {
        writeln!(s, "\nNear-dups    none (no two images look alike)").ok();
    } else {
        writeln!(
            s,
            "\nNear-dups    {} groups of look-alike images (pHash within --near-threshold bits); {} span splits, {} have conflicting labels",
            report.near_duplicates.len(),
            report.cross_split_near_duplicates,
            report.conflicting_label_near_duplicates
        )
        .ok();
        // Leaks and conflicts first.
        let mut order: Vec<&NearDuplicateGroup> = report.near_duplicates.iter().collect();
        order.sort_by_key(|g| (!g.spans_splits(), !g.has_conflicting_labels()));
        for g in order.iter().take(MAX_LISTED) {
            let members: Vec<String> = g
                .files
                .iter()
                .zip(&g.splits)
                .zip(&g.labels)
                // The split is named only when the path does not already start with it.
                .map(|((f, sp), l)| {
                    let sp = if f.starts_with(&format!("{sp}/")) {
                        ""
                    } else {
                        sp.as_str()
                    };
                    (f, sp, l)
                })
                .map(|(f, sp, l)| match (sp.is_empty(), l.is_empty()) {
                    (true, true) => f.clone(),
                    (true, false) => format!("{f} [{l}]"),
                    (false, true) => format!("{f} ({sp})"),
                    (false, false) => format!("{f} ({sp}) [{l}]"),
                })
                .collect();
            writeln!(s, "  ~{} bits: {}", g.max_distance, members.join(" ~ ")).ok();
        }
        if report.near_duplicates.len() > MAX_LISTED {
            writeln!(
                s,
                "  ... and {} more groups (--json lists them all)",
                report.near_duplicates.len() - MAX_LISTED
            )
            .ok();
        }
    }
    s
}
