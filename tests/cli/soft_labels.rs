//! Soft labels set by hand, end to end through the binary: `soften` records one in the journal,
//! `edits --json` lists it under spotcheck's `soft_labels` key (the contract's document unchanged
//! without one), `soft-labels` writes it in place of the crowd's (and for a sample nobody judged),
//! `apply` leaves the dataset alone, bad input exits 2 with the reason, and `--clear` takes it back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;

use common::{run, write};
use serde_json::{Value, json};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn edits(m: &str) -> Value {
    let (code, out, err) = run(&["edits", m, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The rows of a soft-labels CSV, as written.
fn rows(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

const MANIFEST: &str = "file_name,label\na.jpg,cat\nb.jpg,cat\nc.jpg,dog\nd.jpg,dog\n";
const CROWD: &str = "file_name,annotator,label\na.jpg,x,cat\na.jpg,y,cat\nb.jpg,x,cat\nb.jpg,y,dog\nc.jpg,x,dog\nc.jpg,y,dog\n";

#[test]
fn soften_is_listed_written_by_soft_labels_over_the_crowd_and_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(dir.path(), "metadata.csv", MANIFEST);
    let crowd = write(dir.path(), "crowd.csv", CROWD);
    let out = dir.path().join("soft.csv");
    let (m, c, o) = (s(&manifest), s(&crowd), s(&out));
    let soft_labels = || {
        let (code, _, err) = run(&["soft-labels", m, "--annotations", c, "--out", o]);
        assert_eq!(code, 0, "{err}");
        err
    };

    // The crowd alone: one row per judged sample (d.jpg was judged by nobody).
    soft_labels();
    assert_eq!(
        rows(&out),
        [
            "file_name,prob_cat,prob_dog",
            "a.jpg,1,0",
            "b.jpg,0.5,0.5",
            "c.jpg,0,1"
        ]
    );

    // b.jpg by hand (over the crowd's), d.jpg by hand (nobody judged it), with a new class.
    let (code, stdout, err) = run(&["soften", m, "b.jpg", "cat=0.6", "dog=0.4"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("cat 0.6 / dog 0.4"), "{stdout}");
    let (code, _, err) = run(&["soften", m, "d.jpg", "dog=0.75", "fox=0.25"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        edits(m),
        json!({"pending": [], "applied": 0, "soft_labels": [
            {"file": "b.jpg", "probabilities": {"cat": 0.6, "dog": 0.4}},
            {"file": "d.jpg", "probabilities": {"dog": 0.75, "fox": 0.25}}
        ]})
    );
    let err = soft_labels();
    assert!(
        err.contains("2 set by hand (1 in place of the crowd's, 1 not judged by anyone)"),
        "{err}"
    );
    assert_eq!(
        rows(&out),
        [
            "file_name,prob_cat,prob_dog,prob_fox",
            "a.jpg,1,0,0",
            "b.jpg,0.6,0.4,0",
            "c.jpg,0,1,0",
            "d.jpg,0,0.75,0.25"
        ]
    );
    // --no-edits reads the dataset without its journal: the crowd's soft labels only.
    let (code, _, err) = run(&[
        "soft-labels",
        m,
        "--annotations",
        c,
        "--out",
        o,
        "--no-edits",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out)[2], "b.jpg,0.5,0.5");

    // Bad input: exit 2, a clear reason, nothing recorded.
    for (args, why) in [
        (vec!["nope.jpg", "cat=1"], "is not a sample"),
        (vec!["a.jpg", "cat=0.6", "dog=0.6"], "sum to 1.2"),
        (vec!["a.jpg", "cat=abc"], "is not a number"),
        (
            vec!["a.jpg", "cat=-1", "dog=2"],
            "not a number between 0 and 1",
        ),
        (vec!["a.jpg", "cat"], "CLASS=PROBABILITY"),
        (vec!["a.jpg", "=1"], "cannot be empty"),
    ] {
        let mut full = vec!["soften", m];
        full.extend(args.iter().copied());
        let (code, _, err) = run(&full);
        assert_eq!(code, 2, "{full:?}");
        assert!(err.contains(why), "{full:?}: {err}");
    }
    assert_eq!(edits(m)["soft_labels"].as_array().unwrap().len(), 2);

    // apply writes hard labels only: the manifest stays as it was.
    let (code, stdout, err) = run(&["apply", m]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), MANIFEST);

    // --clear takes b.jpg's back: the crowd's soft label is written again.
    let (code, _, err) = run(&["soften", m, "b.jpg", "--clear"]);
    assert_eq!(code, 0, "{err}");
    let (code, stdout, _) = run(&["soften", m, "b.jpg", "--clear"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing recorded"), "{stdout}");
    assert_eq!(
        edits(m)["soft_labels"],
        json!([{"file": "d.jpg", "probabilities": {"dog": 0.75, "fox": 0.25}}])
    );
    soft_labels();
    assert_eq!(rows(&out)[2], "b.jpg,0.5,0.5,0");
    assert_eq!(rows(&out)[4], "d.jpg,0,0.75,0.25");
    let (code, _, err) = run(&["soften", m, "d.jpg", "--clear"]);
    assert_eq!(code, 0, "{err}");
    // Without soft labels the document is exactly the contract's.
    assert_eq!(edits(m), json!({"pending": [], "applied": 0}));
}
