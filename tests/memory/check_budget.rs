//! `check` holds at most its byte budget of file bytes at once, however many threads run: before,
//! each rayon thread could hold a file of up to 256 MiB, so memory grew with the core count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spotcheck::core::data::load::open_dataset;
use spotcheck::core::data::warnings::Warnings;
use spotcheck::core::scan::byte_budget::ByteBudget;
use spotcheck::core::scan::check::{CheckOptions, check_dataset_within};

const FILE_BYTES: usize = 1 << 20;

#[test]
fn eight_threads_stay_within_a_budget_of_two_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    for class in ["a", "b"] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for i in 0..16 {
            // Not an image: each file is read whole, hashed, and refused by content.
            let bytes: Vec<u8> = (0..FILE_BYTES).map(|j| (i * 7 + j * 13) as u8).collect();
            std::fs::write(root.join(class).join(format!("{i}.jpg")), bytes).unwrap();
        }
    }
    let mut warnings = Warnings::default();
    let dataset = open_dataset(&root, None, &mut warnings).unwrap();
    assert_eq!(dataset.len(), 32);
    let limit = (2 * FILE_BYTES + FILE_BYTES / 2) as u64;
    let budget = ByteBudget::new(limit);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(8)
        .build()
        .unwrap();
    let report = pool.install(|| {
        check_dataset_within(
            &dataset,
            warnings.unusable(),
            &CheckOptions::default(),
            None,
            &budget,
        )
    });
    assert_eq!(report.problems.len(), 32, "{:?}", report.problems);
    assert!(budget.peak() >= FILE_BYTES as u64, "peak {}", budget.peak());
    assert!(
        budget.peak() <= limit,
        "peak {} over the budget {limit}",
        budget.peak()
    );
}

/// Peak resident memory of this process so far, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// Confirming byte-identical copies compares them as streams: three 48 MiB copies read whole at
/// once raised the peak by 113 MB here; compared as streams it rises by about 62 MB (the check
/// itself reads one 48 MiB file at a time).
#[test]
fn confirming_duplicates_does_not_hold_the_copies() {
    use std::io::Write as _;
    const BIG: usize = 48 << 20;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    std::fs::create_dir_all(root.join("a")).unwrap();
    let block: Vec<u8> = (0..1 << 20).map(|j| (j * 31 % 251) as u8).collect();
    for name in ["x.jpg", "y.jpg", "z.jpg"] {
        let mut out = std::fs::File::create(root.join("a").join(name)).unwrap();
        for _ in 0..BIG >> 20 {
            out.write_all(&block).unwrap();
        }
    }
    // Same length, one byte different at the end: not a copy.
    let mut other = std::fs::File::create(root.join("a").join("w.jpg")).unwrap();
    for k in 0..BIG >> 20 {
        let mut b = block.clone();
        if k == (BIG >> 20) - 1 {
            b[(1 << 20) - 1] ^= 1;
        }
        other.write_all(&b).unwrap();
    }
    drop(other);
    let mut warnings = Warnings::default();
    let dataset = open_dataset(&root, None, &mut warnings).unwrap();
    let budget = ByteBudget::new(1);
    let before = peak_rss();
    let report = check_dataset_within(
        &dataset,
        warnings.unusable(),
        &CheckOptions::default(),
        None,
        &budget,
    );
    let grew = peak_rss().saturating_sub(before);
    assert_eq!(report.duplicates.len(), 1, "{:?}", report.duplicates);
    assert_eq!(
        report.duplicates[0].files,
        ["a/x.jpg", "a/y.jpg", "a/z.jpg"]
    );
    assert!(grew < 88 << 20, "peak memory rose by {grew} bytes");
}
