//! Text datasets from CSV/JSONL manifests: the text column is the sample, rows are known by
//! SPLIT/ROW, `--text-column` picks another column, and label fixes are written back into the row
//! the identity names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{run, write};
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_csv_of_reviews_is_a_text_dataset_known_by_split_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "reviews.csv",
        "review,label,split\n\"great film, loved it\",pos,train\nboring,neg,train\n\"\",neg,test\nfine,pos,test\n",
    );
    let p = csv.to_str().unwrap();
    let stats = json(&["stats", p, "--json"]);
    assert_eq!(stats["dataset"]["num_samples"], 4);
    assert_eq!(stats["class_counts"]["test"]["neg"], 1);
    let check = json(&["check", p, "--json"]);
    assert_eq!(check["problems"][0]["file"], "test/0");
    assert_eq!(check["problems"][0]["kind"], "empty");
    // The second test row is test/1: relabel it, and apply writes that row only.
    let (code, _, err) = run(&["relabel", p, "test/1", "neg"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["apply", p]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "review,label,split\n\"great film, loved it\",pos,train\nboring,neg,train\n\"\",neg,test\nfine,neg,test\n"
    );
}

#[test]
fn text_column_picks_the_column_and_a_wrong_name_is_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "body.csv", "body,label\nhello,a\nhello,b\n");
    let p = csv.to_str().unwrap();
    // Without it, the table has neither a file nor a text column.
    let (code, _, err) = run(&["stats", p]);
    assert_eq!(code, 2);
    assert!(err.contains("--text-column"), "{err}");
    let check = json(&["check", p, "--text-column", "body", "--json"]);
    // Byte-identical texts are duplicates, with their labels.
    assert_eq!(
        check["duplicates"][0]["files"],
        serde_json::json!(["0", "1"])
    );
    assert_eq!(check["conflicting_label_duplicates"], 1);
    let (code, _, err) = run(&["stats", p, "--text-column", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope") && err.contains("body.csv"), "{err}");
}

#[test]
fn a_jsonl_of_sentences_is_a_text_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = write(
        dir.path(),
        "s.jsonl",
        "{\"sentence\": \"a b\", \"label\": \"x\"}\n{\"sentence\": \"c\", \"label\": \"y\"}\n",
    );
    let p = jsonl.to_str().unwrap();
    let (code, _, err) = run(&["relabel", p, "1", "x"]);
    assert_eq!(code, 0, "{err}");
    let stats = json(&["stats", p, "--json"]);
    assert_eq!(stats["class_counts"]["all"]["x"], 2);
    let (code, _, err) = run(&["apply", p]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(
        text.ends_with("{\"sentence\": \"c\", \"label\": \"x\"}\n"),
        "{text}"
    );
}
