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
