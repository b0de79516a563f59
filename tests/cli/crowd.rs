//! `spotcheck agreement` and `spotcheck soft-labels` end to end, against numbers the real packages
//! computed on committed fixtures (tests/reference/make_crowd_reference.py): `krippendorff` 0.9,
//! statsmodels' `fleiss_kappa` and crowd-kit's `DawidSkene` on a simulated crowd with spammers and an
//! adversarial annotator.

use crate::common;

use common::{run, write};
use serde_json::Value;

fn fixture(name: &str) -> String {
    format!("{}/tests/data/crowd/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn reference(name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(fixture(&format!("{name}/reference.json"))).unwrap(),
    )
    .unwrap()
}

/// `agreement FIXTURE/manifest.csv --annotations FIXTURE/annotations.csv [extra] --json`.
fn agreement(name: &str, extra: &[&str]) -> Value {
    let (manifest, annotations) = (
        fixture(&format!("{name}/manifest.csv")),
        fixture(&format!("{name}/annotations.csv")),
    );
    let mut args = vec!["agreement", &manifest, "--annotations", &annotations];
    args.extend_from_slice(extra);
    args.push("--json");
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "stderr: {err}");
    serde_json::from_str(&out).unwrap()
}

fn close(a: &Value, b: &Value, what: &str) {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{what}: {x} vs {y}"),
        _ => assert_eq!(a, b, "{what}"),
    }
}

#[test]
fn agreement_equals_krippendorff_and_statsmodels_on_every_fixture() {
    for name in ["kripp-doc", "fleiss", "fleiss-wiki", "sim"] {
        let r = reference(name);
        let got = agreement(name, &[]);
        for key in ["observed", "krippendorff_alpha", "fleiss_kappa"] {
            close(
                &got["agreement"][key],
                &r["agreement"][key],
                &format!("{name} {key}"),
            );
        }
        assert_eq!(got["num_samples"], r["num_annotated_samples"], "{name}");
        assert_eq!(got["num_annotations"], r["num_annotations"], "{name}");
        assert_eq!(got["num_annotators"], r["num_annotators"], "{name}");
        assert_eq!(got["classes"], r["classes"], "{name}");
        assert_eq!(got["consensus"]["method"], "vote");
        assert_eq!(got["consensus"]["iterations"], 0);
        close(
            &got["consensus"]["agrees_with_given_label"],
            &r["vote"]["agrees_with_given_label"],
            name,
        );
        for a in got["annotators"].as_array().unwrap() {
            let who = a["annotator"].as_str().unwrap();
            let want = &r["vote"]["annotators"][who];
            assert_eq!(
                a["num_annotations"], want["num_annotations"],
                "{name} {who}"
            );
            close(
                &a["agreement_with_consensus"],
                &want["agreement_with_consensus"],
                who,
            );
            assert_eq!(a["estimated_accuracy"], Value::Null);
        }
    }
    // The package's documented value, rounded as its docstring prints it.
    let alpha = agreement("kripp-doc", &[])["agreement"]["krippendorff_alpha"]
        .as_f64()
        .unwrap();
    assert_eq!(format!("{alpha:.6}"), "0.691358");
}

/// The consensus class index of every row of a soft-labels CSV (highest probability, lowest index).
fn soft_consensus(path: &std::path::Path) -> (Vec<String>, Vec<usize>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| {
            let p: Vec<f64> = l.split(',').skip(1).map(|x| x.parse().unwrap()).collect();
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{l}");
            let mut best = 0;
            for (k, &v) in p.iter().enumerate() {
                if v > p[best] {
                    best = k;
                }
            }
            best
        })
        .collect();
    (header, rows)
}

#[test]
fn dawid_skene_agrees_with_crowd_kit_and_finds_the_guessers() {
    let r = reference("sim");
    let got = agreement("sim", &["--method", "dawid-skene"]);
    assert_eq!(got["consensus"]["method"], "dawid_skene");
    // The contract's EM, written independently in numpy by the reference script, stops at the same
    // iteration and gives the same accuracies.
    assert_eq!(
        got["consensus"]["iterations"],
        r["contract_dawid_skene"]["iterations"]
    );
    let mut accuracy: Vec<(f64, String)> = Vec::new();
    for a in got["annotators"].as_array().unwrap() {
        let who = a["annotator"].as_str().unwrap();
        let x = a["estimated_accuracy"].as_f64().unwrap();
        let want = r["contract_dawid_skene"]["estimated_accuracy"][who]
            .as_f64()
            .unwrap();
        assert!((x - want).abs() < 1e-6, "{who}: {x} vs {want}");
        accuracy.push((x, who.to_string()));
    }
    // The three spammers and the adversarial annotator get the lowest estimated accuracies.
    accuracy.sort_by(|a, b| a.0.total_cmp(&b.0));
    let kinds: Vec<&str> = accuracy[..4]
        .iter()
        .map(|(_, who)| r["annotator_kinds"][who].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "spammer").count(),
        3,
        "{accuracy:?}"
    );
    assert!(kinds.contains(&"adversarial"), "{accuracy:?}");

    // The consensus, read back from the soft labels: the same as crowd-kit on >= 99.5% of samples,
    // and as accurate against the truth within half a point.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("soft.csv");
    let (manifest, annotations) = (fixture("sim/manifest.csv"), fixture("sim/annotations.csv"));
    let (code, _, err) = run(&[
        "soft-labels",
        &manifest,
        "--annotations",
        &annotations,
        "--method",
        "dawid-skene",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (header, ours) = soft_consensus(&out);
    assert_eq!(header[0], "file_name");
    assert_eq!(header[1], "prob_bird");
    let index = |v: &Value| -> Vec<usize> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    let crowd_kit = index(&r["crowd_kit_dawid_skene"]["consensus"]);
    let truth = index(&r["truth"]);
    assert_eq!(ours.len(), crowd_kit.len());
    let same = ours.iter().zip(&crowd_kit).filter(|(a, b)| a == b).count();
    assert!(same * 1000 >= 995 * ours.len(), "{same} of {}", ours.len());
    let right = |c: &[usize]| c.iter().zip(&truth).filter(|(a, b)| a == b).count() as f64;
    let n = truth.len() as f64;
    assert!(
        (right(&ours) / n - right(&crowd_kit) / n).abs() <= 0.005,
        "{} vs {}",
        right(&ours) / n,
        right(&crowd_kit) / n
    );
    // Dawid-Skene beats the vote here (that is why it exists).
    assert!(right(&ours) > right(&index(&r["vote"]["consensus"])));
}

#[test]
fn soft_labels_are_a_predictions_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("soft.csv");
    let (manifest, annotations) = (
        fixture("kripp-doc/manifest.csv"),
        fixture("kripp-doc/annotations.csv"),
    );
    let (code, _, err) = run(&[
        "soft-labels",
        &manifest,
        "--annotations",
        &annotations,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "file_name,prob_1,prob_2,prob_3,prob_4");
    // 13 annotated samples of 15, in dataset order; u06 is {3, 3, 4}.
    assert_eq!(lines.len(), 14);
    assert!(
        lines.contains(&"img/u06.jpg,0,0,0.6666666666666666,0.3333333333333333"),
        "{text}"
    );
    // `stats` reads it back as predictions: the crowd's calibration against the given labels.
    let (code, stdout, err) = run(&[
        "stats",
        &manifest,
        "--predictions",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let stats: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(stats["predictions"]["matched"], 13, "{stats}");
    assert!(stats["metrics"]["accuracy"].as_f64().is_some(), "{stats}");
}

#[test]
fn split_top_and_the_disagreement_order() {
    let all = agreement("sim", &["--top", "5"]);
    let list = all["disagreements"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let conf: Vec<f64> = list
        .iter()
        .map(|d| d["confidence"].as_f64().unwrap())
        .collect();
    assert!(conf.windows(2).all(|w| w[0] <= w[1]), "{conf:?}");
    let d = &list[0];
    let votes: u64 = d["votes"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(
        votes >= 2 && d["votes"].as_object().unwrap().len() >= 2,
        "{d}"
    );
    let test = agreement("sim", &["--split", "test"]);
    let n_test = std::fs::read_to_string(fixture("sim/manifest.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.ends_with(",test"))
        .count();
    assert_eq!(test["num_samples"].as_u64().unwrap() as usize, n_test);
    assert!(test["num_annotations"].as_u64() < all["num_annotations"].as_u64());
}

#[test]
fn bad_annotations_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(
        dir.path(),
        "m.csv",
        "file_name,label\na.jpg,cat\nb.jpg,dog\n",
    );
    let m = manifest.to_str().unwrap();
    let cases = [
        (
            "file_name,annotator,label\na.jpg,amy,cat\nnope.jpg,amy,cat\n",
            "ann.csv:3:",
            "not a sample",
        ),
        (
            "file_name,annotator,label\na.jpg,amy,cat\na.jpg,amy,dog\n",
            "ann.csv:3:",
            "twice",
        ),
        (
            "file_name,annotator,label\na.jpg,,cat\n",
            "ann.csv:2:",
            "empty",
        ),
        (
            "file_name,label\na.jpg,cat\n",
            "ann.csv:1:",
            "no annotator column",
        ),
        ("", "ann.csv", "empty"),
    ];
    for (text, place, what) in cases {
        let ann = write(dir.path(), "ann.csv", text);
        let (code, out, err) = run(&[
            "agreement",
            m,
            "--annotations",
            ann.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 2, "{text:?}: {out} {err}");
        assert!(err.contains(place) && err.contains(what), "{text:?}: {err}");
    }
    let (code, _, err) = run(&["agreement", m, "--annotations", "/no/such.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such.csv"), "{err}");
}
