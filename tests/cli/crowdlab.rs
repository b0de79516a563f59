//! `spotcheck label-issues --annotations` (CROWDLAB) end to end on the simulated crowd
//! tests/data/crowd/sim with its synthetic model's predictions, against cleanlab 2.9's
//! `get_label_quality_multiannotator` on the same data (tests/reference/make_crowdlab_reference.py
//! wrote crowdlab.json): the same consensus labels, scores within 1e-9, the same ranking.

use std::collections::HashMap;

use crate::common;

use common::run;
use serde_json::Value;

fn sim(name: &str) -> String {
    format!("{}/tests/data/crowd/sim/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(sim("crowdlab.json")).unwrap()).unwrap()
}

/// `label-issues manifest --predictions --annotations [extra] --json`, expecting success.
fn crowdlab_json(extra: &[&str]) -> Value {
    let (manifest, predictions, annotations) = (
        sim("manifest.csv"),
        sim("predictions.csv"),
        sim("annotations.csv"),
    );
    let mut args = vec![
        "label-issues",
        &manifest,
        "--predictions",
        &predictions,
        "--annotations",
        &annotations,
    ];
    args.extend_from_slice(extra);
    args.push("--json");
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "stderr: {err}");
    serde_json::from_str(&out).unwrap()
}

/// The manifest's (file, given label, split) rows.
fn manifest() -> Vec<(String, String, String)> {
    std::fs::read_to_string(sim("manifest.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

#[test]
fn crowdlab_equals_cleanlab_on_the_simulated_crowd() {
    let r = reference();
    let got = crowdlab_json(&[]);
    let classes: Vec<&str> = r["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let files: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let want_label = r["consensus_label"].as_array().unwrap();
    let want_quality = r["consensus_quality_score"].as_array().unwrap();
    assert_eq!(got["method"], "crowdlab");
    assert_eq!(got["num_candidates"], files.len() as u64);
    let issues = got["issues"].as_array().unwrap();
    assert_eq!(issues.len(), files.len());

    let row_of: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let given: HashMap<String, String> = manifest().into_iter().map(|(f, l, _)| (f, l)).collect();
    let mut flagged = 0;
    let mut worst = 0.0f64;
    for issue in issues {
        let file = issue["file"].as_str().unwrap();
        let i = row_of[file];
        let want = classes[want_label[i].as_u64().unwrap() as usize];
        assert_eq!(issue["label"], want, "{file}: consensus label");
        let quality = 1.0 - issue["score"].as_f64().unwrap();
        let diff = (quality - want_quality[i].as_f64().unwrap()).abs();
        worst = worst.max(diff);
        assert!(
            diff < 1e-9,
            "{file}: consensus quality {quality} vs {want_quality:?}",
            want_quality = want_quality[i]
        );
        let differs = given[file] != want;
        assert_eq!(
            issue["flagged"], differs,
            "{file}: flagged = consensus differs from the given label"
        );
        flagged += u64::from(differs);
    }
    assert_eq!(got["num_flagged"], flagged);
    eprintln!("largest consensus quality difference from cleanlab: {worst:e}");

    // The ranking: cleanlab's scores sorted (stable: ties in file order), most suspicious first.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| {
        let (qa, qb) = (
            want_quality[a].as_f64().unwrap(),
            want_quality[b].as_f64().unwrap(),
        );
        qa.total_cmp(&qb).then(a.cmp(&b))
    });
    let got_order: Vec<usize> = issues
        .iter()
        .map(|i| row_of[i["file"].as_str().unwrap()])
        .collect();
    assert_eq!(got_order, order, "ranking by 1 - consensus_quality_score");
}

#[test]
fn crowdlab_top_and_split() {
    let all = crowdlab_json(&[]);
    let top = crowdlab_json(&["--top", "25"]);
    assert_eq!(top["issues"].as_array().unwrap().len(), 25);
    assert_eq!(top["num_candidates"], all["num_candidates"]);
    assert_eq!(top["num_flagged"], all["num_flagged"]);
    assert_eq!(
        top["issues"].as_array().unwrap()[..],
        all["issues"].as_array().unwrap()[..25]
    );

    // A split: only its samples, and the weights estimated from them alone.
    let test_files: Vec<String> = manifest()
        .into_iter()
        .filter(|(_, _, split)| split == "test")
        .map(|(f, _, _)| f)
        .collect();
    let split = crowdlab_json(&["--split", "test"]);
    assert_eq!(split["num_candidates"], test_files.len() as u64);
    for issue in split["issues"].as_array().unwrap() {
        assert!(
            test_files
                .iter()
                .any(|f| f == issue["file"].as_str().unwrap())
        );
    }
}

#[test]
fn without_annotations_label_issues_is_confident_learning() {
    let (manifest, predictions) = (sim("manifest.csv"), sim("predictions.csv"));
    let (code, out, err) = run(&[
        "label-issues",
        &manifest,
        "--predictions",
        &predictions,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["method"], "confident_learning");
}

#[test]
fn crowdlab_refuses_hard_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let hard = dir.path().join("hard.csv");
    let mut text = String::from("file_name,prediction\n");
    for (f, l, _) in manifest() {
        text.push_str(&format!("{f},{l}\n"));
    }
    std::fs::write(&hard, text).unwrap();
    let (manifest, annotations) = (sim("manifest.csv"), sim("annotations.csv"));
    let (code, _, err) = run(&[
        "label-issues",
        &manifest,
        "--predictions",
        hard.to_str().unwrap(),
        "--annotations",
        &annotations,
        "--json",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("hard predictions"), "{err}");
}
