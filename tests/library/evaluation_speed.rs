//! How long the evaluation views take to recompute on the 1,000,000-row bench data when the user
//! changes the split, the bins, the fit split or the class-wise view (the bar is 300 ms). Ignored by
//! default (it needs the bench data): `scripts/bench-evaluation.sh` runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use spotcheck::core::analysis::evaluation::{EvaluationRequest, evaluate_views};
use spotcheck::core::data::load;
use spotcheck::core::data::warnings::Warnings;

#[test]
#[ignore = "needs the 1M-row bench data (scripts/bench-evaluation.sh)"]
fn evaluation_views_recompute_within_300_ms_on_a_million_rows() {
    let dir = std::env::var_os("SPOTCHECK_BENCH_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-data"),
        PathBuf::from,
    );
    let mut warnings = Warnings::default();
    let (dataset, predictions) = load::open(
        &dir.join("manifest.csv"),
        Some(&dir.join("probs.csv")),
        None,
        &mut warnings,
    )
    .unwrap();
    let p = predictions.unwrap();
    let split = |name: &str| dataset.split_id(name).map(|s| s as u32);
    let (train, val, test) = (split("train"), split("val"), split("test"));
    let req = |split, fit_split, bins, class_wise| EvaluationRequest {
        split,
        fit_split,
        bins,
        class_wise,
    };
    let steps: Vec<(&str, EvaluationRequest)> = vec![
        ("all samples, 15 bins", req(None, None, 15, None)),
        ("split -> test", req(test, test, 15, None)),
        ("split -> val", req(val, val, 15, None)),
        ("split -> train", req(train, train, 15, None)),
        ("bins -> 10 (test)", req(test, test, 10, None)),
        ("bins -> 20 (test)", req(test, test, 20, None)),
        (
            "temperature fit on val, applied to test",
            req(test, val, 15, None),
        ),
        (
            "temperature fit on train, applied to test",
            req(test, train, 15, None),
        ),
        (
            "class-wise view, class 3 (test, fit on val)",
            req(test, val, 15, Some(3)),
        ),
        ("all samples, fit on val", req(None, val, 15, None)),
    ];
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let mut worst_median = 0.0f64;
    for (name, request) in &steps {
        let mut ms: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let v = evaluate_views(&dataset, dataset.labels(), Some(&p), request);
                assert!(v.scored > 0);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        let median = ms[ms.len() / 2];
        worst_median = worst_median.max(median);
        println!(
            "{name:<48} median {median:7.1} ms   worst {:7.1} ms",
            ms[ms.len() - 1]
        );
    }
    println!("slowest change: median {worst_median:.1} ms (bar: 300 ms)");
    assert!(worst_median <= 300.0, "{worst_median} ms");
}
