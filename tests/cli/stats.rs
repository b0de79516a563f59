//! `spotcheck stats` end to end: layouts, the JSON shape, and a clear error (file, line, what) for
//! every kind of bad input, with exit status 2 and never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{run, write};
use serde_json::{Value, json};

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn stats_json(args: &[&str]) -> Value {
    let mut full = vec!["stats"];
    full.extend_from_slice(args);
    full.push("--json");
    let (code, out, err) = run(&full);
    assert_eq!(code, 0, "stderr: {err}");
    serde_json::from_str(&out).unwrap()
}

/// Runs `stats DATASET --predictions PREDICTIONS [extra]`; returns (exit code, stdout, stderr).
fn stats_with(
    dataset: &std::path::Path,
    predictions: &std::path::Path,
    extra: &[&str],
) -> (i32, String, String) {
    let mut args = vec![
        "stats",
        dataset.to_str().unwrap(),
        "--predictions",
        predictions.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Runs `stats` expecting failure; returns stderr after checking exit status 2 and no panic.
fn stats_error(args: &[&str]) -> String {
    let mut full = vec!["stats"];
    full.extend_from_slice(args);
    full.push("--json");
    let (code, out, err) = run(&full);
    assert_eq!(code, 2, "expected exit 2; stdout {out}; stderr {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.is_empty(), "no JSON on failure: {out}");
    err
}

#[test]
fn demo_dataset_with_predictions() {
    let demo = common::demo();
    let v = stats_json(&[s(&demo), "--predictions", s(&demo.join("predictions.csv"))]);
    assert_eq!(
        v["dataset"],
        json!({"num_samples": 42, "classes": ["landscape", "portrait"], "splits": ["train", "val"]})
    );
    assert_eq!(
        v["class_counts"]["all"],
        json!({"landscape": 21, "portrait": 21})
    );
    assert_eq!(v["predictions"], json!({"matched": 42, "unmatched": 0}));
    assert_eq!(v["metrics"]["num_samples"], 42);
    assert_eq!(v["calibration"]["bins"].as_array().unwrap().len(), 15);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "calibration",
            "class_counts",
            "dataset",
            "metrics",
            "predictions"
        ]
    );
    let v = stats_json(&[
        s(&demo),
        "--predictions",
        s(&demo.join("predictions.csv")),
        "--split",
        "val",
        "--bins",
        "5",
    ]);
    assert_eq!(v["metrics"]["num_samples"], 14);
    assert_eq!(v["calibration"]["num_bins"], 5);
}

#[test]
fn text_summary_for_people() {
    let demo = common::demo();
    let (code, out, _) = run(&[
        "stats",
        s(&demo),
        "--predictions",
        s(&demo.join("predictions.csv")),
    ]);
    assert_eq!(code, 0);
    for needle in [
        "Class balance",
        "landscape",
        "accuracy",
        "Confusion matrix",
        "ECE",
        "temperature",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn class_folders_with_and_without_a_split_level() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "train/cat/1.jpg", b"x");
    write(d.path(), "train/dog/2.PNG", b"x");
    write(d.path(), "val/cat/3.wav", b"x");
    write(d.path(), "val/cat/.hidden.jpg", b"x");
    write(d.path(), "val/cat/notes.txt", b"x");
    write(d.path(), "train/Zebra/deep/4.jpg", b"x");
    std::fs::create_dir_all(d.path().join("val/empty")).unwrap();
    let v = stats_json(&[d.path().to_str().unwrap()]);
    assert_eq!(
        v["dataset"],
        json!({"num_samples": 4, "classes": ["Zebra", "cat", "dog", "empty"], "splits": ["train", "val"]})
    );
    assert_eq!(
        v["class_counts"]["val"],
        json!({"Zebra": 0, "cat": 1, "dog": 0, "empty": 0})
    );
    assert_eq!(v["metrics"], Value::Null);
    assert_eq!(v["predictions"], Value::Null);

    let d = tempfile::tempdir().unwrap();
    write(d.path(), "cat/1.jpg", b"x");
    write(d.path(), "dog/1.jpg", b"x");
    let p = write(
        d.path(),
        "../preds.jsonl",
        "{\"file_name\": \"./dog/1.jpg\", \"prediction\": \"dog\"}\n{\"file_name\": \"cat/1.jpg\", \"prediction\": \"dog\"}\n",
    );
    let v = stats_json(&[
        d.path().to_str().unwrap(),
        "--predictions",
        p.to_str().unwrap(),
    ]);
    assert_eq!(v["dataset"]["splits"], json!([]));
    assert_eq!(v["metrics"]["accuracy"], 0.5);
    assert_eq!(v["calibration"], Value::Null);
}

#[test]
fn manifests_csv_jsonl_and_metadata_folder() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "metadata.jsonl",
        "{\"image\": \"a.png\", \"class\": 3, \"split\": \"test\", \"w\": 5}\n\n{\"image\": \"b.png\", \"class\": \"10\", \"extra\": [1]}\n",
    );
    let v = stats_json(&[d.path().to_str().unwrap()]);
    assert_eq!(
        v["dataset"],
        json!({"num_samples": 2, "classes": ["10", "3"], "splits": ["test"]})
    );

    let d = tempfile::tempdir().unwrap();
    let m = write(
        d.path(),
        "list.csv",
        "path,target,note\n\"x, y.jpg\",cat,\"said \"\"hi\"\"\"\n/abs/z.jpg,dog,\n",
    );
    let v = stats_json(&[m.to_str().unwrap()]);
    assert_eq!(v["dataset"]["num_samples"], 2);
    assert_eq!(v["class_counts"]["all"], json!({"cat": 1, "dog": 1}));

    // Unlabelled manifest: allowed; predictions give the class names.
    let m = write(
        d.path(),
        "unlabelled.csv",
        "file_name,width\n1.png,3\n2.png,4\n",
    );
    let p = write(
        d.path(),
        "p.csv",
        "file_name,prob_b,prob_a\n1.png,0.2,0.8\n",
    );
    let v = stats_json(&[m.to_str().unwrap(), "--predictions", p.to_str().unwrap()]);
    assert_eq!(v["dataset"]["classes"], json!(["a", "b"]));
    assert_eq!(v["metrics"], Value::Null);
    assert_eq!(v["predictions"], json!({"matched": 1, "unmatched": 0}));
}

#[test]
fn join_findings_are_warnings_on_stderr() {
    let d = tempfile::tempdir().unwrap();
    let m = write(
        d.path(),
        "m.csv",
        "file_name,label\n1.png,a\n2.png,b\n3.png,a\n1.png,b\n",
    );
    let p = write(
        d.path(),
        "p.csv",
        "file_name,prob_a,prob_b,prob_zebra\n1.png,0.5,0.5,0\n1.png,0.9,0.1,0\n2.png,-1,2,0\n3.png,40,60,0\nother.png,1,0,0\n",
    );
    let (code, out, err) = stats_with(&m, &p, &["--json"]);
    assert_eq!(code, 0, "{err}");
    for needle in [
        "m.csv:5: 1 row(s) repeat a file",
        "p.csv:3: 1 row(s) repeat a file already predicted",
        "p.csv:4: 1 row(s) have probabilities that are negative",
        "p.csv:5: 1 row(s) have probabilities that do not sum to 1",
        "p.csv:6: 1 row(s) name files that are not samples",
        "prob_zebra",
        "1 of 3 samples have no usable prediction (e.g. 2.png)",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["predictions"], json!({"matched": 4, "unmatched": 1}));
    assert_eq!(v["metrics"]["num_samples"], 2);

    let missing_class = write(d.path(), "q.csv", "file_name,prob_a\n1.png,1\n");
    let (_, _, err) = stats_with(&m, &missing_class, &[]);
    assert!(
        err.contains("1 dataset class(es) have no prob_<class> column") && err.contains("(e.g. b)"),
        "{err}"
    );
}

#[test]
fn bad_manifests_name_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (
            write(
                dir,
                "quote.csv",
                "file_name,label\na.jpg,cat\n\"b.jpg,dog\nc.jpg,cat\n",
            ),
            "quote.csv:3: unbalanced quote",
        ),
        (
            write(
                dir,
                "fields.csv",
                "file_name,label\na.jpg,cat\nb.jpg,dog,extra\n",
            ),
            "fields.csv:3: this row has 3 fields but the header has 2",
        ),
        (
            write(dir, "short.csv", "file_name,label,split\na.jpg,cat\n"),
            "short.csv:2: this row has 2 fields but the header has 3",
        ),
        (
            write(
                dir,
                "utf8.csv",
                b"file_name,label\na.jpg,c\xffat\n".as_slice(),
            ),
            "utf8.csv:2: the \"label\" field is not valid UTF-8",
        ),
        (
            write(
                dir,
                "bad.jsonl",
                "{\"file_name\": \"a.jpg\"}\n{\"file_name\": \"b.jpg\",}\n",
            ),
            "bad.jsonl:2: not valid JSON",
        ),
        (
            write(dir, "array.jsonl", "[\"a.jpg\", \"cat\"]\n"),
            "array.jsonl:1: expected a JSON object on each line, found an array",
        ),
        (
            write(dir, "nofile.csv", "name,label\na.jpg,cat\n"),
            "nofile.csv:1: no file column: expected one of file_name, path",
        ),
        (write(dir, "empty.csv", ""), "empty.csv: the file is empty"),
        (
            write(dir, "header_only.csv", "file_name,label\n"),
            "header_only.csv: the manifest lists no samples",
        ),
        (
            write(dir, "emptyname.csv", "file_name,label\n,cat\n"),
            "emptyname.csv:2: the file name is empty",
        ),
        (
            write(dir, "junk.csv", "file_name,label\n\"a.jpg\"x,cat\n"),
            "junk.csv:2: unexpected 'x' after the closing quote",
        ),
        (write(dir, "notes.txt", "hello"), "notes.txt: not a dataset"),
    ];
    for (path, expected) in cases {
        let err = stats_error(&[path.to_str().unwrap()]);
        assert!(
            err.contains(expected),
            "{}: expected {expected:?} in:\n{err}",
            path.display()
        );
    }
}

#[test]
fn bad_predictions_name_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let m = write(dir, "m.csv", "file_name,label\na.jpg,cat\nb.jpg,dog\n");
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (
            write(dir, "nocls.csv", "file_name,score\na.jpg,0.5\n"),
            "nocls.csv:1: no class columns: expected prob_<class> or logit_<class>",
        ),
        (
            write(
                dir,
                "nonnum.csv",
                "file_name,prob_cat,prob_dog\na.jpg,0.5,0.5\nb.jpg,high,0.5\n",
            ),
            "nonnum.csv:3: prob_cat is not a number: \"high\"",
        ),
        (
            write(
                dir,
                "blank.csv",
                "file_name,prob_cat,prob_dog\na.jpg,,0.5\n",
            ),
            "blank.csv:2: prob_cat is empty",
        ),
        (
            write(
                dir,
                "nonnum.jsonl",
                "{\"file_name\": \"a.jpg\", \"prob_cat\": true, \"prob_dog\": 0}\n",
            ),
            "nonnum.jsonl:1: prob_cat is not a number",
        ),
        (
            write(
                dir,
                "gap.jsonl",
                "{\"file_name\": \"a.jpg\", \"prob_cat\": 1, \"prob_dog\": 0}\n{\"file_name\": \"b.jpg\", \"prob_cat\": 1}\n",
            ),
            "gap.jsonl:2: no value for prob_dog",
        ),
        (dir.join("absent.csv"), "absent.csv: no such file or folder"),
    ];
    for (path, expected) in cases {
        let err = stats_error(&[m.to_str().unwrap(), "--predictions", path.to_str().unwrap()]);
        assert!(
            err.contains(expected),
            "{}: expected {expected:?} in:\n{err}",
            path.display()
        );
    }
}

#[test]
fn bad_dataset_paths_and_requests() {
    let d = tempfile::tempdir().unwrap();
    let err = stats_error(&[d.path().to_str().unwrap()]);
    assert!(err.contains("no image or audio files found"), "{err}");
    write(d.path(), "flat/a.jpg", b"x");
    write(d.path(), "flat/b.PNG", b"x");
    let err = stats_error(&[d.path().join("flat").to_str().unwrap()]);
    assert!(
        err.contains("flat: 2 image or audio file(s) here are not inside class folders"),
        "{err}"
    );
    let err = stats_error(&[d.path().join("nope").to_str().unwrap()]);
    assert!(err.contains("nope: no such file or folder"), "{err}");
    let m = write(
        d.path(),
        "m.csv",
        "file_name,label,split\na.jpg,cat,train\n",
    );
    let err = stats_error(&[m.to_str().unwrap(), "--split", "test"]);
    assert!(
        err.contains("--split test: no such split (the dataset has: train)"),
        "{err}"
    );
    let (code, _, err) = run(&["stats", m.to_str().unwrap(), "--bins", "0"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn non_utf8_file_names_are_reported_not_dropped_silently() {
    use std::os::unix::ffi::OsStrExt as _;
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "cat/ok.jpg", b"x");
    let bad = d
        .path()
        .join("cat")
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.jpg"));
    std::fs::write(bad, b"x").unwrap();
    let (code, out, err) = run(&["stats", d.path().to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("not valid UTF-8") && err.contains("caf"),
        "{err}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["dataset"]["num_samples"], 1);
}

/// A predictions file large enough to be parsed in chunks by two threads: the chunked result must equal
/// the one-pass result, line numbers included, and a quoted newline across a chunk boundary or an error
/// deep in the file must fall back to one pass with the exact line.
#[test]
fn large_predictions_files_parse_in_chunks_exactly() {
    use std::fmt::Write as _;
    let d = tempfile::tempdir().unwrap();
    let n = 300_000;
    let mut manifest = String::from("file_name,label\n");
    let mut preds = String::from("file_name,prob_b,prob_a\n");
    for i in 0..n {
        writeln!(
            manifest,
            "img/{i}.jpg,{}",
            if i % 3 == 0 { "a" } else { "b" }
        )
        .unwrap();
        let p = (i % 97) as f64 / 97.0;
        writeln!(preds, "img/{i}.jpg,{p:.6},{:.6}", 1.0 - p).unwrap();
    }
    // One unmatched row near the end: its line number must survive the chunking.
    writeln!(preds, "elsewhere.jpg,0.5,0.5").unwrap();
    let m = write(d.path(), "m.csv", &manifest);
    let p = write(d.path(), "p.csv", &preds);
    assert!(
        preds.len() > 9 << 20,
        "the file must be large enough to be chunked"
    );
    let (code, out, err) = stats_with(&m, &p, &["--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "p.csv:{}: 1 row(s) name files that are not samples",
            n + 2
        )),
        "{err}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["predictions"], json!({"matched": n, "unmatched": 1}));
    assert_eq!(v["metrics"]["num_samples"], n);

    // The same rows in one small file (parsed in one pass) give the same document.
    let small_dir = tempfile::tempdir().unwrap();
    let head: String = preds.lines().take(1001).map(|l| format!("{l}\n")).collect();
    let mhead: String = manifest
        .lines()
        .take(1001)
        .map(|l| format!("{l}\n"))
        .collect();
    let (_, small_out, _) = run(&[
        "stats",
        write(small_dir.path(), "m.csv", &mhead).to_str().unwrap(),
        "--predictions",
        write(small_dir.path(), "p.csv", &head).to_str().unwrap(),
        "--json",
    ]);
    let small: Value = serde_json::from_str(&small_out).unwrap();
    assert_eq!(small["metrics"]["num_samples"], 1000);

    // A bad number deep in the file: the error names its exact line.
    let bad = preds.replacen(
        &format!("img/{}.jpg,", n - 5),
        &format!("img/{}.jpg,oops", n - 5),
        1,
    );
    assert_ne!(bad, preds);
    let p_bad = write(d.path(), "bad.csv", &bad);
    let (code, _, err) = stats_with(&m, &p_bad, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("bad.csv:{}: prob_b is not a number", n - 5 + 2)),
        "{err}"
    );

    // A quoted field with a newline in it, in the middle of the file, where a chunk may start.
    let mid = preds.len() / 2;
    let cut = mid + preds[mid..].find('\n').unwrap() + 1;
    let quoted = format!(
        "{}\"img/odd\nname.jpg\",0.5,0.5\n{}",
        &preds[..cut],
        &preds[cut..]
    );
    let p_q = write(d.path(), "q.csv", &quoted);
    let (code, out, err) = stats_with(&m, &p_q, &["--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["predictions"], json!({"matched": n, "unmatched": 2}));
    assert!(
        err.contains(&format!(
            "q.csv:{}: 2 row(s)",
            quoted[..cut].lines().count() + 1
        )),
        "{err}"
    );
}

#[test]
fn repeated_header_columns_are_told_apart_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let m = write(
        d.path(),
        "m.csv",
        "file_name,label,note,note\n1.png,a,x,y\n2.png,b,,\n",
    );
    let p = write(
        d.path(),
        "p.csv",
        "file_name,prob_a,prob_b,prob_a\n1.png,0.9,0.1,0.2\n2.png,0.3,0.7,0.1\n",
    );
    let (code, out, err) = stats_with(&m, &p, &["--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("m.csv:1: column \"note\" appears more than once; the copy in column 4 is called \"note (2)\""), "{err}");
    assert!(
        err.contains("p.csv:1: column \"prob_a\" appears more than once"),
        "{err}"
    );
    // The first prob_a is the one used; "prob_a (2)" names no class and is ignored.
    assert!(err.contains("prob_a (2)"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["metrics"]["accuracy"], 1.0);
}
