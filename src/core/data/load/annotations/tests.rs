//! Unit tests of the annotations loader, compiled only under `#[cfg(test)]` (see `mod tests;` in mod.rs).
//! Their `unwrap()`s are on fixtures the tests write themselves into temporary folders: one
//! failing is the test failing, with the error in the panic message, never a user's input.

use std::io::Write as _;

use super::*;

fn dataset(dir: &Path, rows: &str) -> Dataset {
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, rows).unwrap();
    let mut warnings = Warnings::default();
    crate::core::data::load::open(&manifest, None, None, &mut warnings)
        .unwrap()
        .0
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

const MANIFEST: &str = "file_name,label\na.jpg,cat\nb.jpg,dog\nc.jpg,cat\n";

#[test]
fn judgements_are_grouped_by_sample_and_new_labels_become_classes() {
    let dir = tempfile::tempdir().unwrap();
    let mut ds = dataset(dir.path(), MANIFEST);
    let path = write(
        dir.path(),
        "ann.csv",
        "file_name,worker,label\nc.jpg,zoe,cat\na.jpg,bob,bird\na.jpg,amy,cat\nc.jpg,amy,dog\n",
    );
    let (ann, remap) = load_annotations(&mut ds, &path, None, &mut Warnings::default()).unwrap();
    assert_eq!(ds.classes(), ["bird", "cat", "dog"]);
    // cat was 0, dog 1 before "bird" came in.
    assert_eq!(remap, Some(vec![1, 2]));
    assert_eq!(ann.annotators(), ["amy", "bob", "zoe"]);
    assert_eq!(ann.len(), 4);
    let a: Vec<_> = ann.judgements(ds.find("a.jpg").unwrap()).collect();
    assert_eq!(a, vec![(0, 1), (1, 0)]);
    assert_eq!(ann.count(ds.find("b.jpg").unwrap()), 0);
    let c: Vec<_> = ann.judgements(ds.find("c.jpg").unwrap()).collect();
    assert_eq!(c, vec![(0, 2), (2, 1)]);
    // The dataset's own labels were renumbered too.
    assert_eq!(ds.label(ds.find("a.jpg").unwrap()), Some(1));
}

#[test]
fn bad_rows_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "file_name,annotator,label\na.jpg,amy,cat\nzzz.jpg,amy,cat\n",
            ":3:",
            "not a sample",
        ),
        (
            "file_name,annotator,label\na.jpg,amy,cat\nb.jpg,,cat\n",
            ":3:",
            "annotator is empty",
        ),
        (
            "file_name,annotator,label\na.jpg,amy,cat\nb.jpg,amy,dog\na.jpg,amy,dog\n",
            ":4:",
            "judged twice",
        ),
        ("file_name,label\na.jpg,cat\n", ":1:", "no annotator column"),
        (
            "file_name,annotator,label\na.jpg,amy\n",
            ":2:",
            "2 fields but the header has 3",
        ),
    ];
    for (text, line, what) in cases {
        let mut ds = dataset(dir.path(), MANIFEST);
        let path = write(dir.path(), "ann.csv", text);
        let err = load_annotations(&mut ds, &path, None, &mut Warnings::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("ann.csv"), "{err}");
        assert!(err.contains(line), "{text:?}: {err}");
        assert!(err.contains(what), "{text:?}: {err}");
    }
}

#[test]
fn jsonl_and_parquet_read_the_same_judgements() {
    let dir = tempfile::tempdir().unwrap();
    let mut ds = dataset(dir.path(), MANIFEST);
    let path = write(
        dir.path(),
        "ann.jsonl",
        "{\"file_name\": \"a.jpg\", \"rater\": \"amy\", \"label\": \"cat\"}\n{\"file_name\": \"b.jpg\", \"rater\": \"amy\", \"label\": \"dog\"}\n",
    );
    let (ann, _) = load_annotations(&mut ds, &path, None, &mut Warnings::default()).unwrap();
    assert_eq!(ann.len(), 2);
    assert_eq!(ann.annotators(), ["amy"]);
    let bad = write(
        dir.path(),
        "bad.jsonl",
        "{\"file_name\": \"a.jpg\", \"rater\": \"amy\", \"label\": \"cat\"}\n{\"file_name\": \"nope.jpg\", \"rater\": \"amy\", \"label\": \"dog\"}\n",
    );
    let err = load_annotations(&mut ds, &bad, None, &mut Warnings::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.jsonl:2:"), "{err}");

    use arrow_array::{RecordBatch, StringArray};
    use std::sync::Arc;
    let pq = dir.path().join("ann.parquet");
    let batch = RecordBatch::try_from_iter([
        (
            "file_name",
            Arc::new(StringArray::from(vec!["c.jpg", "c.jpg"])) as _,
        ),
        ("user", Arc::new(StringArray::from(vec!["x", "y"])) as _),
        (
            "label",
            Arc::new(StringArray::from(vec!["cat", "dog"])) as _,
        ),
    ])
    .unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&pq).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let (ann, _) = load_annotations(&mut ds, &pq, None, &mut Warnings::default()).unwrap();
    let c: Vec<_> = ann.judgements(ds.find("c.jpg").unwrap()).collect();
    assert_eq!(c, vec![(0, 0), (1, 1)]);
}

#[test]
fn a_large_csv_is_read_in_chunks_with_exact_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let n = 120_000;
    let mut manifest = String::from("file_name,label\n");
    for i in 0..n {
        manifest.push_str(&format!("img/{i:06}.jpg,c{}\n", i % 3));
    }
    let mut ds = dataset(dir.path(), &manifest);
    let mut ann = String::from("file_name,annotator,label\n");
    for i in 0..n {
        for a in 0..3 {
            ann.push_str(&format!(
                "img/{i:06}.jpg,annotator-{a:02},c{}\n",
                (i + a) % 3
            ));
        }
    }
    assert!(ann.len() as u64 >= 2 * super::super::predictions::CHUNK_BYTES);
    let path = write(dir.path(), "ann.csv", &ann);
    let (got, _) = load_annotations(&mut ds, &path, None, &mut Warnings::default()).unwrap();
    assert_eq!(got.len(), 3 * n);
    let s = ds.find("img/012345.jpg").unwrap();
    let j: Vec<_> = got.judgements(s).collect();
    assert_eq!(j, vec![(0, 0), (1, 1), (2, 2)]);
    // An unknown file far into the file: the message names its exact line.
    let mut bad = ann.clone();
    bad.push_str("img/999999.jpg,annotator-00,c0\n");
    let path = write(dir.path(), "bad.csv", &bad);
    let err = load_annotations(&mut ds, &path, None, &mut Warnings::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("bad.csv:{}:", 3 * n + 2)), "{err}");
}
