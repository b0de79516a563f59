//! `spotcheck compare` end to end on tests/data/compare (three models: sixteenths with many tied
//! scores, logits with missing rows, hard predictions) against NumPy, scikit-learn and statsmodels
//! (tests/reference/make_compare_reference.py wrote reference.json): counts exact, metrics and
//! McNemar p within 1e-9, each interval holding its point estimate and within 0.02 of a NumPy
//! percentile bootstrap, average precision within 1e-12 of scikit-learn's.

use crate::common;

use common::{run, write};
use serde_json::Value;

fn data(name: &str) -> String {
    format!("{}/tests/data/compare/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(data("reference.json")).unwrap()).unwrap()
}

/// `compare manifest --predictions a b c [extra] --json`, expecting success.
fn compare_json(extra: &[&str]) -> Value {
    let (m, a, b, c) = (
        data("manifest.csv"),
        data("model_a.csv"),
        data("model_b.csv"),
        data("model_c.csv"),
    );
    let mut args = vec![
        "compare",
        &m,
        "--predictions",
        &a,
        "--predictions",
        &b,
        "--predictions",
        &c,
    ];
    args.extend_from_slice(extra);
    args.push("--json");
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "stderr: {err}");
    serde_json::from_str(&out).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(got: &Value, want: &Value, tol: f64, what: &str) {
    let (g, w) = (f(got), f(want));
    assert!((g - w).abs() <= tol, "{what}: {g} != {w} (tolerance {tol})");
}

fn interval(v: &Value) -> (f64, f64) {
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 2);
    (f(&a[0]), f(&a[1]))
}

/// Every case of the reference: the document's counts, metrics and p-values; the intervals; AP.
#[test]
fn compare_equals_numpy_sklearn_statsmodels() {
    let r = reference();
    for (case, c) in r["cases"].as_object().unwrap() {
        let args: Vec<&str> = c["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let got = compare_json(&args);
        let want = &c["expected"];
        assert_eq!(got["num_samples"], want["num_samples"], "{case}");
        let (gm, wm) = (
            got["models"].as_array().unwrap(),
            want["models"].as_array().unwrap(),
        );
        assert_eq!(gm.len(), wm.len());
        for (g, w) in gm.iter().zip(wm) {
            let name = w["name"].as_str().unwrap();
            assert_eq!(g["name"], w["name"], "{case}");
            for key in ["accuracy", "macro_f1", "ece", "nll"] {
                if w[key].is_null() {
                    assert!(g[key].is_null(), "{case} {name} {key}: {}", g[key]);
                } else {
                    close(&g[key], &w[key], 1e-9, &format!("{case} {name} {key}"));
                }
            }
            // Intervals: hold the point estimate, within 0.02 of NumPy's percentile bootstrap.
            let boot = &c["numpy_bootstrap"][name];
            for key in ["accuracy", "macro_f1", "ece"] {
                let ci_key = format!("{key}_ci");
                if boot[&ci_key].is_null() {
                    assert!(g[&ci_key].is_null(), "{case} {name} {ci_key}");
                    continue;
                }
                let (lo, hi) = interval(&g[&ci_key]);
                let (wlo, whi) = interval(&boot[&ci_key]);
                let point = f(&g[key]);
                assert!(
                    lo <= point && point <= hi,
                    "{case} {name} {ci_key} [{lo}, {hi}] misses {point}"
                );
                assert!(
                    (lo - wlo).abs() <= 0.02 && (hi - whi).abs() <= 0.02,
                    "{case} {name} {ci_key}: [{lo}, {hi}] vs numpy [{wlo}, {whi}]"
                );
            }
            // Average precision: scikit-learn's, per class.
            let ap = &c["average_precision"][name];
            if ap.is_null() {
                assert!(g["average_precision"].is_null(), "{case} {name}");
            } else {
                for (class, want_ap) in ap.as_object().unwrap() {
                    let got_ap = &g["average_precision"][class];
                    if want_ap.is_null() {
                        assert!(got_ap.is_null(), "{case} {name} AP {class}");
                    } else {
                        close(got_ap, want_ap, 1e-12, &format!("{case} {name} AP {class}"));
                    }
                }
            }
        }
        let (gp, wp) = (
            got["pairs"].as_array().unwrap(),
            want["pairs"].as_array().unwrap(),
        );
        assert_eq!(gp.len(), wp.len());
        for (g, w) in gp.iter().zip(wp) {
            for key in [
                "a",
                "b",
                "both_right",
                "a_only_right",
                "b_only_right",
                "both_wrong",
            ] {
                assert_eq!(g[key], w[key], "{case} pair {key}");
            }
            close(&g["mcnemar_p"], &w["mcnemar_p"], 1e-9, &format!("{case} p"));
            let pair = format!("{}|{}", w["a"].as_str().unwrap(), w["b"].as_str().unwrap());
            let boot = &c["numpy_pair_bootstrap"][&pair];
            for key in ["accuracy_diff_ci", "macro_f1_diff_ci", "ece_diff_ci"] {
                if boot[key].is_null() {
                    assert!(g[key].is_null(), "{case} {pair} {key}");
                    continue;
                }
                let ((lo, hi), (wlo, whi)) = (interval(&g[key]), interval(&boot[key]));
                assert!(
                    (lo - wlo).abs() <= 0.02 && (hi - whi).abs() <= 0.02,
                    "{case} {pair} {key}: [{lo}, {hi}] vs numpy [{wlo}, {whi}]"
                );
            }
        }
    }
}

/// A seed means the same intervals every run; another seed, other intervals.
#[test]
fn the_seed_fixes_the_intervals() {
    let a = compare_json(&["--seed", "3"]);
    let b = compare_json(&["--seed", "3"]);
    assert_eq!(a, b);
    let c = compare_json(&["--seed", "4"]);
    assert_ne!(a["models"][0]["accuracy_ci"], c["models"][0]["accuracy_ci"]);
    assert_eq!(a["models"][0]["accuracy"], c["models"][0]["accuracy"]);
}

/// One --predictions is a usage error that says what compare needs; a missing file is named.
#[test]
fn usage_errors_exit_2_and_say_why() {
    let (m, a) = (data("manifest.csv"), data("model_a.csv"));
    let (code, _, err) = run(&["compare", &m, "--predictions", &a, "--json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("at least two --predictions"), "{err}");

    let missing = data("no-such-model.csv");
    let (code, _, err) = run(&[
        "compare",
        &m,
        "--predictions",
        &a,
        "--predictions",
        &missing,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-model.csv"), "{err}");

    let (code, _, err) = run(&[
        "compare",
        &m,
        "--predictions",
        &a,
        "--predictions",
        &a,
        "--split",
        "nope",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope"), "{err}");
}

/// The same file twice: names model_a and model_a_2, a pair with no discordant sample (p = 1).
/// Predictions sharing no labelled sample are an error naming the files.
#[test]
fn repeated_names_and_no_common_sample() {
    let (m, a) = (data("manifest.csv"), data("model_a.csv"));
    let (code, out, err) = run(&[
        "compare",
        &m,
        "--predictions",
        &a,
        "--predictions",
        &a,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["models"][1]["name"], "model_a_2");
    assert_eq!(v["pairs"][0]["a_only_right"], 0);
    assert_eq!(v["pairs"][0]["b_only_right"], 0);
    assert_eq!(v["pairs"][0]["mcnemar_p"], 1.0);
    assert_eq!(v["models"][0]["accuracy_ci"], v["models"][1]["accuracy_ci"]);

    let dir = tempfile::tempdir().unwrap();
    let other = write(
        dir.path(),
        "other.csv",
        "file_name,prob_ant,prob_bee,prob_cat,prob_dog\nimg/x.jpg,1,0,0,0\n",
    );
    let other = other.to_str().unwrap();
    let (code, _, err) = run(&["compare", &m, "--predictions", &a, "--predictions", other]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("other.csv"), "{err}");
}

/// The table names every model, the intervals, the 2×2 tables and the verdicts.
#[test]
fn the_table_shows_intervals_tables_and_verdicts() {
    let (m, a, b, c) = (
        data("manifest.csv"),
        data("model_a.csv"),
        data("model_b.csv"),
        data("model_c.csv"),
    );
    let (code, out, err) = run(&[
        "compare",
        &m,
        "--predictions",
        &a,
        "--predictions",
        &b,
        "--predictions",
        &c,
    ]);
    assert_eq!(code, 0, "{err}");
    for want in [
        "302 labelled samples",
        "model_a",
        "model_c",
        "n/a (hard predictions)",
        "McNemar p = 0.0261",
        "model_b vs model_c",
        "Bonferroni",
        "the accuracies differ (significant)",
        "no significant difference in accuracy",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}
