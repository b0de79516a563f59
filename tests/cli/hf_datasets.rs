//! Hugging Face datasets end to end, with fixtures made by the `datasets` library itself
//! (tests/hf/make_hf_fixtures.py): Parquet shards and a save_to_disk folder read as the same data
//! as files + CSV; embedded media checked and thumbnailed; label fixes written back and read again
//! with `datasets` and pyarrow; broken shards refused with the shard's name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::run;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Makes the fixtures in a fresh folder (never the repository's).
fn fixtures() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("hf");
    let status = Command::new("python3")
        .arg(root.join("tests/hf/make_hf_fixtures.py"))
        .arg(root.join("tests/data/exif-orientation-examples"))
        .arg(&out)
        .output()
        .expect("python3");
    assert!(
        status.status.success(),
        "making the fixtures with `datasets` failed (pip install -r scripts/requirements.txt): {}",
        String::from_utf8_lossy(&status.stderr)
    );
    (dir, out)
}

fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

fn python(code: &str) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(code)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn parquet_arrow_and_csv_give_the_same_stats() {
    let (_dir, hf) = fixtures();
    let parquet = json(&[
        "stats",
        s(&hf.join("images")),
        "--predictions",
        s(&hf.join("images_predictions.csv")),
        "--json",
    ]);
    let saved = json(&[
        "stats",
        s(&hf.join("saved")),
        "--predictions",
        s(&hf.join("images_predictions.csv")),
        "--json",
    ]);
    let files = json(&[
        "stats",
        s(&hf.join("images_files")),
        "--predictions",
        s(&hf.join("images_files_predictions.csv")),
        "--json",
    ]);
    let parquet_predictions = json(&[
        "stats",
        s(&hf.join("images")),
        "--predictions",
        s(&hf.join("images_predictions.parquet")),
        "--json",
    ]);
    assert_eq!(parquet, files);
    assert_eq!(saved, files);
    assert_eq!(parquet_predictions, files);
    assert_eq!(
        parquet["dataset"]["splits"],
        serde_json::json!(["train", "validation"])
    );
    assert_eq!(parquet["predictions"]["matched"], 18);
    // Two rows are -1 (unlabelled).
    assert_eq!(parquet["metrics"]["num_samples"], 16);
}

#[test]
fn class_label_names_and_the_file_name_identity() {
    let (_dir, hf) = fixtures();
    let named = hf.join("named/named.parquet");
    let stats = json(&["stats", s(&named), "--json"]);
    // A ClassLabel name with no samples is still a class; classes are in byte order.
    assert_eq!(
        stats["dataset"]["classes"],
        serde_json::json!(["landscape", "owl", "portrait"])
    );
    assert_eq!(stats["class_counts"]["all"]["owl"], 0);
    // The file_name column is the identity: relabel by it.
    let (code, _, err) = run(&["relabel", s(&named), "photos/Landscape_0.jpg", "owl"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["relabel", s(&named), "train/0", "owl"]);
    assert_ne!(code, 0);
    assert!(err.contains("train/0"), "{err}");
}

#[test]
fn check_and_thumbs_read_embedded_media_and_texts() {
    let (dir, hf) = fixtures();
    let check = json(&["check", s(&hf.join("images")), "--json"]);
    assert_eq!(check["problems"], serde_json::json!([]));
    // Each photo has a distinct EXIF orientation (two of each, two with none).
    assert_eq!(check["exif_orientation"]["6"], 2);
    assert_eq!(check["exif_orientation"]["none"], 2);
    let audio = json(&["check", s(&hf.join("audio")), "--json"]);
    assert_eq!(audio["problems"], serde_json::json!([]));
    let text = json(&["check", s(&hf.join("text")), "--json"]);
    let kinds: Vec<(String, String)> = text["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().into(),
                p["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("2".into(), "empty".into()), ("3".into(), "missing".into())]
    );

    let out = dir.path().join("thumbs");
    let (code, _, err) = run(&["thumbs", s(&hf.join("images")), "--out", s(&out)]);
    assert_eq!(code, 0, "{err}");
    // Upright: Landscape_6 (rotated 90 degrees in the file) comes out wider than tall.
    let thumb = image::open(out.join("train/0.png")).unwrap();
    assert!(thumb.width() > thumb.height());
    assert_eq!(
        std::fs::read_dir(out.join("validation")).unwrap().count(),
        4
    );
}

#[test]
fn apply_changes_only_the_edited_labels_and_datasets_reads_them_back() {
    let (dir, hf) = fixtures();
    let images = hf.join("images");
    for (file, label) in [("train/0", "portrait"), ("validation/1", "zebra")] {
        let (code, _, err) = run(&["relabel", s(&images), file, label]);
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, err) = run(&["apply", s(&images)]);
    assert_eq!(code, 0, "{out}{err}");
    let edits = json(&["edits", s(&images), "--json"]);
    assert_eq!(edits["pending"], serde_json::json!([]));
    assert_eq!(edits["applied"], 2);
    // The originals are kept out of the data folder, where load_dataset would read them.
    assert!(
        images
            .join(".spotcheck/backup/data/train-00000-of-00001.parquet.bak")
            .is_file()
    );
    let leftovers: Vec<_> = std::fs::read_dir(images.join("data")).unwrap().collect();
    assert_eq!(leftovers.len(), 2);
    // A fresh copy of the fixture holds the bytes as they were before the apply.
    let (_fresh_dir, fresh) = fixtures();
    let check = format!(
        r#"
import datasets, pyarrow.parquet as pq
orig = "{orig}"
new = "{new}"
for s in ["train", "validation"]:
    a = pq.read_table(f"{{orig}}/{{s}}-00000-of-00001.parquet")
    b = pq.read_table(f"{{new}}/{{s}}-00000-of-00001.parquet")
    changed = [i for i, (x, y) in enumerate(zip(a.column("label").to_pylist(), b.column("label").to_pylist())) if x != y]
    same = all(a.column(c).equals(b.column(c)) for c in a.column_names if c != "label")
    fa, fb = pq.ParquetFile(f"{{orig}}/{{s}}-00000-of-00001.parquet").metadata, pq.ParquetFile(f"{{new}}/{{s}}-00000-of-00001.parquet").metadata
    groups = [fa.row_group(g).num_rows for g in range(fa.num_row_groups)] == [fb.row_group(g).num_rows for g in range(fb.num_row_groups)]
    print(s, changed, same, groups)
ds = datasets.load_dataset("parquet", data_dir="{new}", cache_dir="{cache}")
print(ds["validation"].features["label"].names, ds["train"][0]["label"], ds["validation"][1]["label"])
"#,
        orig = s(&fresh.join("images/data")),
        new = s(&images.join("data")),
        cache = s(&dir.path().join("hf-cache")),
    );
    let printed = python(&check);
    assert_eq!(
        printed.lines().collect::<Vec<_>>(),
        [
            "train [0] True True",
            "validation [1] True True",
            "['landscape', 'portrait', 'zebra'] 1 2"
        ],
        "{printed}"
    );
}

#[test]
fn a_save_to_disk_dataset_takes_edits_too() {
    let (_dir, hf) = fixtures();
    let saved = hf.join("saved");
    let (code, _, err) = run(&["relabel", s(&saved), "validation/1", "zebra"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["apply", s(&saved)]);
    assert_eq!(code, 0, "{out}{err}");
    let printed = python(&format!(
        r#"
import datasets
d = datasets.load_from_disk("{}")
print(d["validation"].features["label"].names, d["validation"][1]["label"], d["train"].features["label"].names)
"#,
        s(&saved)
    ));
    assert_eq!(
        printed,
        "['landscape', 'portrait', 'zebra'] 2 ['landscape', 'portrait', 'zebra']"
    );
}

#[test]
fn broken_shards_are_refused_naming_the_shard() {
    let (dir, hf) = fixtures();
    let shard = hf.join("images/data/train-00000-of-00001.parquet");
    let bytes = std::fs::read(&shard).unwrap();
    // Truncated: the footer is gone.
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    // Wrong magic.
    let junk = dir.path().join("junk.parquet");
    std::fs::write(&junk, b"this is not parquet at all, not even close").unwrap();
    for bad in [&cut, &junk] {
        let (code, _, err) = run(&["stats", s(bad), "--json"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(s(bad)), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A truncated Arrow stream.
    let arrow = hf.join("saved/train/data-00000-of-00001.arrow");
    let bytes = std::fs::read(&arrow).unwrap();
    std::fs::write(&arrow, &bytes[..bytes.len() / 3]).unwrap();
    let (code, _, err) = run(&["stats", s(&hf.join("saved")), "--json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("data-00000-of-00001.arrow"), "{err}");
}

/// Inputs the `hf_shard` fuzz target found (first byte: 0 = Parquet, 1 = Arrow stream): each must
/// be an error or a dataset, never a crash. The first claimed 10^11 rows in a few KB of footer and
/// the loader reserved room for all of them up front.
#[test]
fn fuzz_findings_are_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let found = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hf-fuzz");
    for entry in std::fs::read_dir(found).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let (kind, rest) = bytes.split_first().unwrap();
        let name = if kind & 1 == 0 {
            "d.parquet"
        } else {
            "data-00000-of-00001.arrow"
        };
        let file = dir.path().join(name);
        std::fs::write(&file, rest).unwrap();
        let (code, _, err) = run(&["check", s(&file), "--json"]);
        assert!(code == 0 || code == 2, "{code}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
