//! `spotcheck scan`: one scan record per sample written to Parquet, in dataset order, batch by
//! batch (records are made in parallel, a batch at a time, so memory stays at one batch).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;

use clap::Args;

use crate::core::data::load;
use crate::core::data::warnings::Warnings;
use crate::core::scan::byte_budget::{ByteBudget, DEFAULT_BYTE_BUDGET};
use crate::core::scan::check::{Problem, sample_names};
use crate::core::scan::record::{ScanOptions, ScanRecord, scan_sample};
use crate::core::scan::scan_file::ScanWriter;

/// Samples scanned per Parquet batch (and row group step).
const BATCH: usize = 2048;

/// Arguments of `spotcheck scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A class-folder tree, a manifest, a Hugging Face dataset, or a folder of scan files.
    dataset: PathBuf,
    /// The Parquet file to write (replaced if it exists).
    #[arg(long, value_name = "FILE.parquet")]
    out: PathBuf,
    /// Keep an upright PNG thumbnail of each image, this many pixels on its long side: the scan
    /// file then opens as a dataset you can browse without the originals.
    #[arg(long, value_name = "SIZE", value_parser = clap::value_parser!(u32).range(8..=1024))]
    thumbnails: Option<u32>,
    #[command(flatten)]
    limit: super::PixelLimitArgs,
}

/// Runs `scan`.
pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    use rayon::prelude::*;
    let mut warnings = Warnings::default();
    let dataset = load::open_dataset(&args.dataset, None, &mut warnings)?;
    super::print_warnings(&warnings);
    let unusable: Vec<Problem> = warnings
        .unusable()
        .iter()
        .map(|u| Problem {
            file: u.path.clone(),
            kind: u.kind,
            detail: u.detail.clone(),
        })
        .collect();
    let options = ScanOptions {
        max_pixels: args.limit.max_pixels(),
        thumbnail_size: args.thumbnails,
    };
    // Refused before any scanning: an --out that cannot be written.
    if args.out.is_dir() {
        anyhow::bail!(
            "--out {}: that is a folder; give the file to write, e.g. {}",
            args.out.display(),
            args.out.join("scan.parquet").display()
        );
    }
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        anyhow::bail!(
            "--out {}: the folder {} does not exist",
            args.out.display(),
            parent.display()
        );
    }
    // Written beside the target and renamed at the end: a cancelled scan leaves no half file.
    let partial = args.out.with_extension("parquet.partial");
    let mut writer = ScanWriter::create(&partial, args.thumbnails.is_some(), &unusable)?;
    let budget = ByteBudget::new(DEFAULT_BYTE_BUDGET);
    let started = std::time::Instant::now();
    let mut problems = 0usize;
    // Batches are written on a thread of their own while the next one is scanned (one waits at
    // most: memory stays at two batches).
    let (batches, written) = std::sync::mpsc::sync_channel::<(usize, Vec<ScanRecord>)>(1);
    let result = std::thread::scope(|scope| {
        let dataset = &dataset;
        let writing = scope.spawn(move || -> anyhow::Result<ScanWriter> {
            for (start, records) in written {
                let names: Vec<_> = (start..start + records.len())
                    .map(|i| sample_names(dataset, i))
                    .collect();
                writer.write(&names, &records)?;
            }
            Ok(writer)
        });
        super::progress::with_progress(dataset.len() as u64, "scanning", |done: &AtomicU64| {
            super::with_io_threads(|| {
                for start in (0..dataset.len()).step_by(BATCH) {
                    let end = (start + BATCH).min(dataset.len());
                    let records: Vec<ScanRecord> = (start..end)
                        .into_par_iter()
                        .with_max_len(16)
                        .map(|i| {
                            let r = scan_sample(dataset, i, &options, &budget);
                            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            r
                        })
                        .collect();
                    problems += records.iter().filter(|r| r.problem.is_some()).count();
                    if batches.send((start, records)).is_err() {
                        // The writer stopped on an error: it is reported below.
                        break;
                    }
                }
            })
        });
        drop(batches);
        writing
            .join()
            .map_err(|_| anyhow::anyhow!("the scan file writer stopped unexpectedly"))?
    });
    let finished = result.and_then(|writer| Ok(writer.finish()?));
    if let Err(e) = finished {
        std::fs::remove_file(&partial).ok();
        return Err(e);
    }
    std::fs::rename(&partial, &args.out).map_err(|e| {
        std::fs::remove_file(&partial).ok();
        anyhow::anyhow!(
            "cannot move {} to {}: {e}",
            partial.display(),
            args.out.display()
        )
    })?;
    writeln!(
        std::io::stderr().lock(),
        "scanned {} samples ({problems} with a problem) into {} in {:.1} s",
        dataset.len(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitCode::SUCCESS)
}
