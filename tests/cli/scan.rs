//! `spotcheck scan` and `check --from-scan`: the scan file has the contract's columns (read back by
//! pyarrow), opens as a dataset, and `check --from-scan` gives the same document as `check` on a
//! broken set, an EXIF set and a near-duplicate set, without the media.

use std::path::Path;

use crate::common;

use common::media::{demo_jpeg, noise, png_bomb, small_png};
use common::{run, write};
use serde_json::Value;

fn photos() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exif-orientation-examples")
}

/// Decodes a photo upright and writes a PNG of it at `scale` (a resized, re-encoded copy).
fn resized_png(from: &Path, scale: f32) -> Vec<u8> {
    use spotcheck::core::media::{DecodeOptions, encode_png, read_image_file, resize_to_fit};
    let image = read_image_file(from, &DecodeOptions::default()).unwrap();
    let long = image.pixels.width.max(image.pixels.height) as f32;
    let small = resize_to_fit(image.pixels, (long * scale) as u32).unwrap();
    encode_png(&small).unwrap()
}

fn broken_set(root: &Path) {
    let jpeg = demo_jpeg();
    write(root, "cat/good.jpg", &jpeg);
    write(root, "cat/copy.jpg", &jpeg);
    write(root, "cat/truncated.jpg", &jpeg[..jpeg.len() / 2]);
    write(root, "cat/zero.jpg", b"");
    write(root, "dog/text.png", b"this is a text file\n");
    write(root, "dog/png_named.jpg", small_png());
    write(root, "dog/bomb.png", png_bomb());
    write(root, "dog/noise.wav", noise(4096));
}

fn exif_set(root: &Path) {
    for entry in std::fs::read_dir(photos()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if let Some(class) = name.split('_').next().filter(|_| name.ends_with(".jpg")) {
            std::fs::create_dir_all(root.join(class)).unwrap();
            std::fs::copy(&path, root.join(class).join(&name)).unwrap();
        }
    }
}

fn near_duplicate_set(root: &Path) {
    let p = photos();
    std::fs::create_dir_all(root.join("train/landscape")).unwrap();
    std::fs::create_dir_all(root.join("test/portrait")).unwrap();
    std::fs::copy(
        p.join("Landscape_1.jpg"),
        root.join("train/landscape/a.jpg"),
    )
    .unwrap();
    std::fs::copy(p.join("Portrait_1.jpg"), root.join("train/portrait/b.jpg")).unwrap_or_else(
        |_| {
            std::fs::create_dir_all(root.join("train/portrait")).unwrap();
            std::fs::copy(p.join("Portrait_1.jpg"), root.join("train/portrait/b.jpg")).unwrap()
        },
    );
    // A resized PNG copy of a in the test split, labelled differently.
    write(
        root,
        "test/portrait/a_small.png",
        resized_png(&p.join("Landscape_1.jpg"), 0.5),
    );
    // An EXIF-rotated copy of b (other bytes, same upright picture) and a byte copy of b.
    std::fs::copy(
        p.join("Portrait_6.jpg"),
        root.join("test/portrait/b_rotated.jpg"),
    )
    .unwrap();
    std::fs::copy(
        p.join("Portrait_1.jpg"),
        root.join("test/portrait/b_copy.jpg"),
    )
    .unwrap();
}

fn check_json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// `check` and `check --from-scan` on `root`; returns the document.
fn same_from_scan(root: &Path, scan_dir: &Path) -> Value {
    let root_s = root.to_str().unwrap();
    let scan = scan_dir.join("scan.parquet");
    let (code, _, err) = run(&["scan", root_s, "--out", scan.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let direct = check_json(&["check", root_s, "--json"]);
    let from_scan = check_json(&[
        "check",
        root_s,
        "--from-scan",
        scan.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(direct, from_scan);
    direct
}

#[test]
fn check_from_scan_equals_check_on_a_broken_set() {
    let (data, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    broken_set(data.path());
    let doc = same_from_scan(data.path(), out.path());
    assert_eq!(doc["num_samples"], 8);
    assert_eq!(doc["problems"].as_array().unwrap().len(), 6, "{doc}");
    assert_eq!(doc["duplicates"].as_array().unwrap().len(), 1);
}

#[test]
fn check_from_scan_equals_check_on_an_exif_set() {
    let (data, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    exif_set(data.path());
    let doc = same_from_scan(data.path(), out.path());
    assert_eq!(doc["exif_orientation"]["6"], 2, "{doc}");
    // Each photo's nine stored forms are one picture upright: two near-duplicate groups.
    let groups = doc["near_duplicates"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{doc}");
    assert!(
        groups
            .iter()
            .all(|g| g["files"].as_array().unwrap().len() == 9)
    );
}

#[test]
fn near_duplicates_across_splits_resized_rotated_and_copied() {
    let (data, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    near_duplicate_set(data.path());
    let doc = same_from_scan(data.path(), out.path());
    let groups = doc["near_duplicates"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{doc}");
    let files = |g: &Value| -> Vec<String> {
        g["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    // Dataset order: test/ sorts before train/.
    assert_eq!(
        files(&groups[0]),
        ["test/portrait/a_small.png", "train/landscape/a.jpg"]
    );
    assert_eq!(
        files(&groups[1]),
        [
            "test/portrait/b_copy.jpg",
            "test/portrait/b_rotated.jpg",
            "train/portrait/b.jpg"
        ]
    );
    assert_eq!(doc["cross_split_near_duplicates"], 2);
    assert_eq!(doc["conflicting_label_near_duplicates"], 1);
    assert_eq!(
        groups[1]["splits"],
        serde_json::json!(["test", "test", "train"])
    );
    // The byte copy is also a duplicate group of its own.
    assert_eq!(doc["duplicates"].as_array().unwrap().len(), 1);
    // pHash is taken upright and after an area resize: the half-size PNG and the rotated copy
    // hash (almost) as their originals do.
    assert!(
        groups
            .iter()
            .all(|g| g["max_distance"].as_u64().unwrap() <= 2),
        "{doc}"
    );
    // Threshold 0 keeps exactly-equal hashes only; the two photos never meet at any threshold
    // that still means "the same picture".
    let strict = check_json(&[
        "check",
        data.path().to_str().unwrap(),
        "--near-threshold",
        "0",
        "--json",
    ]);
    assert!(strict["near_duplicates"].as_array().unwrap().len() <= 2);
    let loose = check_json(&[
        "check",
        data.path().to_str().unwrap(),
        "--near-threshold",
        "16",
        "--json",
    ]);
    assert_eq!(
        loose["near_duplicates"].as_array().unwrap().len(),
        2,
        "{loose}"
    );
}

#[test]
fn the_scan_file_has_the_contract_columns_and_opens_as_a_dataset() {
    let (data, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    near_duplicate_set(data.path());
    let scan = out.path().join("scan-00000-of-00001.parquet");
    let (code, _, err) = run(&[
        "scan",
        data.path().to_str().unwrap(),
        "--out",
        scan.to_str().unwrap(),
        "--thumbnails",
        "64",
    ]);
    assert_eq!(code, 0, "{err}");
    let read = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, pyarrow.parquet as pq\n\
             t = pq.read_table(sys.argv[1])\n\
             print(','.join(f'{f.name}:{f.type}' for f in t.schema))\n\
             r = t.slice(0, 1).to_pylist()[0]\n\
             print(r['file'], r['split'], r['label'], r['kind'], r['width'], r['height'], len(r['phash']), len(r['xxh3_128']), r['thumbnail'][:4])",
            scan.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let text = String::from_utf8_lossy(&read.stdout);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "file:string,split:string,label:string,kind:string,problem:string,detail:string,\
         size_bytes:int64,xxh3_128:string,width:int64,height:int64,orientation:int64,\
         phash:string,brightness:double,contrast:double,sharpness:double,duration_s:double,\
         sample_rate:int64,channels:int64,thumbnail:binary"
    );
    assert_eq!(
        lines.next().unwrap(),
        "test/portrait/a_small.png test portrait image 900 600 16 32 b'\\x89PNG'"
    );
    // The folder of scan files is a dataset: its thumbnails are the media, its splits and labels
    // the scan's.
    let (code, stats, err) = run(&["stats", out.path().to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let stats: Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["dataset"]["num_samples"], 5, "{stats}");
    let doc = check_json(&["check", out.path().to_str().unwrap(), "--json"]);
    assert_eq!(doc["problems"].as_array().unwrap().len(), 0, "{doc}");
}

#[test]
fn a_missing_or_foreign_scan_file_is_a_clear_error() {
    let out = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[
        "check",
        ".",
        "--from-scan",
        "/no/such/scan.parquet",
        "--json",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/scan.parquet"), "{err}");
    let bogus = write(out.path(), "bogus.parquet", b"PAR1 not really");
    let (code, _, err) = run(&[
        "check",
        ".",
        "--from-scan",
        bogus.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bogus.parquet") && err.contains("not a Parquet file"),
        "{err}"
    );
}

#[test]
fn an_unwritable_out_is_refused_before_scanning_and_leaves_nothing() {
    let (data, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    broken_set(data.path());
    let d = data.path().to_str().unwrap();
    // A folder given as --out.
    let (code, _, err) = run(&["scan", d, "--out", out.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("that is a folder"), "{err}");
    // A file in a folder that does not exist.
    let missing = out.path().join("no/such/scan.parquet");
    let (code, _, err) = run(&["scan", d, "--out", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("does not exist") && err.contains("no/such"),
        "{err}"
    );
    // Nothing was left behind, beside the folder or in it.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    let beside = out.path().with_extension("parquet.partial");
    assert!(!beside.exists());
    // With --from-scan, a DATASET that does not exist is an error too.
    let (code, _, err) = run(&["check", "/no/such/dataset", "--from-scan", d]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/dataset"), "{err}");
}
