//! `spotcheck label-next` and `spotcheck balance` end to end: every strategy, `--per-class`, `--top`,
//! `--include-labelled`, `--split` and the `--out` CSV against the NumPy reference computed from the
//! contract's definitions (tests/reference/make_label_next_reference.py), the weights against
//! scikit-learn's `compute_class_weight` to 1e-12, seeded resampling byte for byte, a resampled
//! manifest opening as a dataset from another working directory, and clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use crate::common;

use common::{run, write};
use serde_json::Value;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/data/label-next/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("reference.json")).unwrap()).unwrap()
}

/// A reference case's arguments with the fixture paths filled in.
fn case_args(case: &Value) -> Vec<String> {
    let mut args: Vec<String> = case["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    args[1] = fixture("manifest.csv");
    if let Some(i) = args.iter().position(|a| a == "--predictions") {
        args[i + 1] = fixture(&args[i + 1]);
    }
    args
}

fn run_json(args: &[String]) -> Value {
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.push("--json");
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{args:?}\nstderr: {err}");
    serde_json::from_str(&out).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

/// Minimal CSV reading for the files spotcheck writes here (no quoted fields in these fixtures).
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn rankings_ties_round_robin_and_out_equal_the_numpy_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = reference();
    let cases = reference["label_next"].as_array().unwrap();
    assert!(cases.len() >= 50);
    for (n, case) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("case{n}.csv"));
        let mut args = case_args(case);
        args.extend(["--out".to_string(), out.display().to_string()]);
        let v = run_json(&args);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["num_candidates", "samples", "strategy"]);
        assert_eq!(v["strategy"], case["strategy"], "{args:?}");
        assert_eq!(v["num_candidates"], case["num_candidates"], "{args:?}");
        let got = v["samples"].as_array().unwrap();
        let want = case["samples"].as_array().unwrap();
        let names = |s: &[Value], pick: &dyn Fn(&Value) -> (String, String)| {
            s.iter().map(pick).collect::<Vec<_>>()
        };
        assert_eq!(
            names(got, &|s| (
                s["file"].as_str().unwrap().into(),
                s["predicted"].as_str().unwrap().into()
            )),
            names(want, &|s| (
                s[0].as_str().unwrap().into(),
                s[1].as_str().unwrap().into()
            )),
            "order of {args:?}"
        );
        for (g, w) in got.iter().zip(want) {
            let (g, w) = (g["score"].as_f64().unwrap(), w[2].as_f64().unwrap());
            assert!(close(g, w), "{args:?}: score {g} vs {w}");
        }
        // --out: the same rows, in the same order, as file_name,predicted,score.
        let rows = csv_rows(&out);
        assert_eq!(rows[0], ["file_name", "predicted", "score"]);
        assert_eq!(rows.len() - 1, want.len(), "{args:?}");
        for (row, w) in rows[1..].iter().zip(want) {
            assert_eq!(row[0], w[0].as_str().unwrap());
            assert_eq!(row[1], w[1].as_str().unwrap());
            assert!(close(row[2].parse().unwrap(), w[2].as_f64().unwrap()));
        }
    }
}

#[test]
fn the_default_strategy_is_least_confidence() {
    let v = run_json(&[
        "label-next".into(),
        fixture("manifest.csv"),
        "--predictions".into(),
        fixture("predictions.csv"),
    ]);
    assert_eq!(v["strategy"], "least-confidence");
    let reference = reference();
    let want = reference["label_next"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["args"].as_array().unwrap().len() == 6 && c["strategy"] == "least-confidence")
        .unwrap();
    assert_eq!(v["num_candidates"], want["num_candidates"]);
    assert_eq!(
        v["samples"].as_array().unwrap().len(),
        want["samples"].as_array().unwrap().len()
    );
}

#[test]
fn weights_equal_scikit_learn_and_the_effective_number() {
    let reference = reference();
    for case in reference["balance"].as_array().unwrap() {
        let args = case_args(case);
        let v = run_json(&args);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["counts", "split", "weights"]);
        assert_eq!(v["split"], case["split"]);
        assert_eq!(v["counts"], case["counts"], "{args:?}");
        assert_eq!(v["weights"]["beta"], case["beta"]);
        for kind in ["balanced", "effective_number"] {
            let got = v["weights"][kind].as_object().unwrap();
            let want = case[kind].as_object().unwrap();
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                want.keys().collect::<Vec<_>>()
            );
            for (class, w) in want {
                match w.as_f64() {
                    None => assert!(got[class].is_null(), "{args:?} {kind} {class}"),
                    Some(w) => {
                        let g = got[class].as_f64().unwrap();
                        assert!(close(g, w), "{args:?} {kind} {class}: {g} vs {w}");
                    }
                }
            }
        }
    }
}

/// A copy of the fixture manifest in `dir/data/`, so the resampled manifest is written elsewhere.
fn dataset_copy(dir: &Path) -> String {
    let m = write(
        dir,
        "data/manifest.csv",
        std::fs::read(fixture("manifest.csv")).unwrap(),
    );
    m.display().to_string()
}

fn resample(dataset: &str, how: &str, seed: &str, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "balance",
        dataset,
        "--resample",
        how,
        "--seed",
        seed,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "stderr: {err}");
}

fn label_counts(rows: &[Vec<String>]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for r in &rows[1..] {
        *counts.entry(r[1].clone()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn resampling_is_seeded_byte_for_byte_and_balanced() {
    let tmp = tempfile::tempdir().unwrap();
    let dataset = dataset_copy(tmp.path());
    std::fs::create_dir_all(tmp.path().join("out/deep")).unwrap();
    for how in ["undersample", "oversample"] {
        let a = tmp.path().join(format!("out/deep/{how}-a.csv"));
        let b = tmp.path().join(format!("out/deep/{how}-b.csv"));
        resample(&dataset, how, "7", &a, &[]);
        resample(&dataset, how, "7", &b, &[]);
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let differs = (8..16).any(|seed| {
            let c = tmp.path().join(format!("out/deep/{how}-{seed}.csv"));
            resample(&dataset, how, &seed.to_string(), &c, &[]);
            std::fs::read(&c).unwrap() != std::fs::read(&a).unwrap()
        });
        assert!(differs, "{how}: other seeds give other draws");
        let rows = csv_rows(&a);
        assert_eq!(rows[0], ["file_name", "label", "split"]);
        // All labelled samples form one pool: ant 8, bee 4, cat 3, dog 1.
        let per_class = if how == "undersample" { 1 } else { 8 };
        let want: std::collections::BTreeMap<String, usize> = ["ant", "bee", "cat", "dog"]
            .iter()
            .map(|c| (c.to_string(), per_class))
            .collect();
        assert_eq!(label_counts(&rows), want, "{how}");
        for r in &rows[1..] {
            assert!(r[0].starts_with("../../data/"), "relative to --out: {r:?}");
            // The split column is copied from the sample.
            assert_eq!(r[2], r[0]["../../data/".len()..].split('/').next().unwrap());
        }
        if how == "oversample" {
            // Every sample is there at least once.
            let distinct: std::collections::BTreeSet<&str> =
                rows[1..].iter().map(|r| r[0].as_str()).collect();
            assert_eq!(distinct.len(), 16);
        }
    }
    // One split: val has ant 2, bee 1, cat 1 and no dog, which stays out.
    let u = tmp.path().join("val-under.csv");
    resample(&dataset, "undersample", "3", &u, &["--split", "val"]);
    let rows = csv_rows(&u);
    assert_eq!(
        label_counts(&rows),
        [("ant", 1), ("bee", 1), ("cat", 1)]
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect()
    );
    assert!(rows[1..].iter().all(|r| r[2] == "val"));
    let o = tmp.path().join("val-over.csv");
    resample(&dataset, "oversample", "3", &o, &["--split", "val"]);
    assert_eq!(
        label_counts(&csv_rows(&o)),
        [("ant", 2), ("bee", 2), ("cat", 2)]
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect()
    );
}

#[test]
fn a_resampled_manifest_opens_as_a_dataset_from_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dataset = dataset_copy(tmp.path());
    std::fs::create_dir_all(tmp.path().join("out")).unwrap();
    std::fs::create_dir_all(tmp.path().join("elsewhere")).unwrap();
    let out = tmp.path().join("out/balanced.csv");
    resample(&dataset, "undersample", "42", &out, &["--split", "train"]);
    // Run from another working directory, naming the manifest by a relative path.
    let output = Command::new(env!("CARGO_BIN_EXE_spotcheck"))
        .args(["stats", "../out/balanced.csv", "--json"])
        .current_dir(tmp.path().join("elsewhere"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let v: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["dataset"]["num_samples"], 4);
    assert_eq!(
        v["class_counts"]["train"],
        serde_json::json!({"ant": 1, "bee": 1, "cat": 1, "dog": 1})
    );
    // Its files are the dataset's own: the same file on disk.
    let rows = csv_rows(&out);
    for r in &rows[1..] {
        let on_disk = tmp.path().join("out").join(&r[0]);
        let own = tmp
            .path()
            .join("data")
            .join(r[0].trim_start_matches("../data/"));
        assert_eq!(
            std::path::absolute(&on_disk)
                .unwrap()
                .components()
                .filter(|c| !matches!(c, std::path::Component::ParentDir))
                .count(),
            own.components().count() + 1,
            "{r:?}"
        );
    }
    // Written beside the dataset, the paths are the dataset's own.
    let beside = tmp.path().join("data/balanced.csv");
    resample(
        &dataset,
        "undersample",
        "42",
        &beside,
        &["--split", "train"],
    );
    let rows_beside = csv_rows(&beside);
    for (a, b) in rows[1..].iter().zip(&rows_beside[1..]) {
        assert_eq!(format!("../data/{}", b[0]), a[0]);
    }
}

#[test]
fn clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let m = fixture("manifest.csv");
    let p = fixture("predictions.csv");
    // Hard predictions only.
    let hard = write(
        tmp.path(),
        "hard.csv",
        "file_name,prediction\ntrain/u01.jpg,ant\n",
    );
    let (code, _, err) = run(&["label-next", &m, "--predictions", hard.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("hard.csv") && err.contains("hard predictions"),
        "{err}"
    );
    // No such predictions file.
    let (code, _, err) = run(&["label-next", &m, "--predictions", "/no/such/p.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/p.csv"), "{err}");
    // A bad split names the dataset and the splits it has.
    for cmd in [
        vec!["label-next", &m, "--predictions", &p, "--split", "nope"],
        vec!["balance", &m, "--split", "nope"],
    ] {
        let (code, _, err) = run(&cmd);
        assert_eq!(code, 2, "{cmd:?}");
        assert!(
            err.contains("manifest.csv") && err.contains("nope") && err.contains("train, val"),
            "{err}"
        );
    }
    // --out a folder.
    let dir = tmp.path().to_str().unwrap();
    let (code, _, err) = run(&["label-next", &m, "--predictions", &p, "--out", dir]);
    assert_eq!(code, 2);
    assert!(err.contains("is a folder"), "{err}");
    let (code, _, err) = run(&[
        "balance",
        &m,
        "--resample",
        "undersample",
        "--seed",
        "1",
        "--out",
        dir,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is a folder"), "{err}");
    // --resample needs --seed and --out; --seed needs --resample.
    let (code, _, err) = run(&["balance", &m, "--resample", "oversample", "--out", "x.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("--seed"), "{err}");
    let (code, _, err) = run(&["balance", &m, "--resample", "oversample", "--seed", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--out"), "{err}");
    let (code, _, _) = run(&["balance", &m, "--seed", "1"]);
    assert_eq!(code, 2);
    // beta outside [0, 1).
    let (code, _, err) = run(&["balance", &m, "--beta", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("beta"), "{err}");
}

#[test]
fn pending_label_edits_count() {
    let tmp = tempfile::tempdir().unwrap();
    let dataset = dataset_copy(tmp.path());
    let p = fixture("predictions.csv");
    let before = run_json(&[
        "label-next".into(),
        dataset.clone(),
        "--predictions".into(),
        p.clone(),
    ]);
    let first = before["samples"][0]["file"].as_str().unwrap().to_string();
    let (code, _, err) = run(&["relabel", &dataset, &first, "ant"]);
    assert_eq!(code, 0, "{err}");
    let after = run_json(&["label-next".into(), dataset, "--predictions".into(), p]);
    assert_eq!(
        after["num_candidates"].as_u64().unwrap() + 1,
        before["num_candidates"].as_u64().unwrap()
    );
    assert_ne!(after["samples"][0]["file"], first.as_str());
}

#[test]
fn skip_near_duplicates_keeps_one_of_the_planted_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let (manifest, predictions) = crate::common::near_duplicate_fixture(tmp.path());
    let base: Vec<String> = vec![
        "label-next".into(),
        manifest.to_string_lossy().into_owned(),
        "--predictions".into(),
        predictions.to_string_lossy().into_owned(),
        "--top".into(),
        "3".into(),
    ];
    let files = |v: &Value| -> Vec<String> {
        v["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["file"].as_str().unwrap().to_string())
            .collect()
    };
    // The three most uncertain are one photo stored three ways.
    let plain = run_json(&base);
    assert_eq!(files(&plain), ["l1.jpg", "l3.jpg", "l6.jpg"]);
    assert!(plain.get("skipped_near_duplicates").is_none());
    // Skipping: one copy, the undecodable file (never skipped), the next photo.
    let mut args = base.clone();
    args.push("--skip-near-duplicates".into());
    let skipping = run_json(&args);
    assert_eq!(files(&skipping), ["l1.jpg", "broken.jpg", "p1.jpg"]);
    assert_eq!(skipping["skipped_near_duplicates"], 2);
    assert_eq!(skipping["num_candidates"], 6);
    // The same walk with every candidate listed: the two copies are the only ones left out.
    let all: Vec<String> = args
        .iter()
        .filter(|a| *a != "--top" && *a != "3")
        .cloned()
        .collect();
    let v = run_json(&all);
    assert_eq!(files(&v).len(), 4);
    // The text says how many were skipped; --near-threshold needs the option.
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&a);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("skipped 2 near-duplicates"), "{out}");
    let mut t: Vec<&str> = base.iter().map(String::as_str).collect();
    t.extend(["--near-threshold", "4"]);
    let (code, _, err) = run(&t);
    assert_eq!(code, 2);
    assert!(err.contains("--skip-near-duplicates"), "{err}");
}
