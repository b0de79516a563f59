//! `spotcheck thumbs`: upright PNG thumbnails for every image sample, in parallel.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::core::data::load;
use crate::core::data::warnings::Warnings;
use crate::core::scan::thumbs::{ThumbsOptions, write_thumbnails};

/// Arguments of `spotcheck thumbs`.
#[derive(Debug, Args)]
pub struct ThumbsArgs {
    /// A class-folder tree, a .csv/.jsonl manifest, a Hugging Face dataset (.parquet file, folder of
    /// Parquet shards, save_to_disk folder) or scan files, or a folder holding metadata.csv/.jsonl.
    dataset: PathBuf,
    /// Folder to write OUT/<sample path>.png into (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Longest side of a thumbnail in pixels (smaller images are not enlarged).
    #[arg(long, value_name = "PX", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=16384))]
    size: u32,
    #[command(flatten)]
    limit: super::PixelLimitArgs,
}

/// Runs `thumbs`.
pub fn run(args: ThumbsArgs) -> anyhow::Result<ExitCode> {
    let mut warnings = Warnings::default();
    let dataset = load::open_dataset(&args.dataset, None, &mut warnings)?;
    super::print_warnings(&warnings);
    std::fs::create_dir_all(&args.out).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the output folder {}: {e}",
            args.out.display()
        )
    })?;
    let options = ThumbsOptions {
        size: args.size,
        max_pixels: args.limit.max_pixels(),
    };
    let started = std::time::Instant::now();
    let summary = super::progress::with_progress(dataset.len() as u64, "thumbnails", |done| {
        write_thumbnails(&dataset, &args.out, &options, Some(done))
    });
    let mut err = std::io::stderr().lock();
    for f in &summary.failures {
        writeln!(
            err,
            "skipped {}: {} ({})",
            f.file,
            f.error.detail,
            f.error.kind.as_str()
        )?;
    }
    let audio = if summary.audio > 0 {
        format!(", {} audio or text samples have none", summary.audio)
    } else {
        String::new()
    };
    writeln!(
        err,
        "{} thumbnails written to {} in {:.1} s, {} skipped{audio}",
        summary.written,
        args.out.display(),
        started.elapsed().as_secs_f64(),
        summary.failures.len()
    )?;
    Ok(ExitCode::SUCCESS)
}
