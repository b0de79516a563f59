//! `relabel`, `edits`, `apply` and `--no-edits`, end to end through the binary: the journal's JSON,
//! write-back into a manifest (every other byte kept) and into class folders (exactly the edited
//! files move), clashes and read-only datasets leaving edits pending with a reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;

use common::{run, write};
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const MANIFEST: &str = "file_name,label,split,note\r\n\
a.jpg,cat,train,\"plain\"\r\n\
b.jpg,cat,train,\"has, a comma\"\r\n\
c.jpg,\"dog\",val,\"quoted \"\"inner\"\" and\r\nline break\"\r\n\
d.jpg,dog,val,last\r\n";

#[test]
fn manifest_apply_changes_only_the_edited_label_fields() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(dir.path(), "metadata.csv", MANIFEST);
    let m = s(&manifest);
    assert_eq!(run(&["relabel", m, "b.jpg", "dog"]).0, 0);
    assert_eq!(run(&["relabel", m, "c.jpg", "bird, small"]).0, 0);
    // The last edit of a file wins; an edit back to the label on disk cancels it.
    assert_eq!(run(&["relabel", m, "a.jpg", "owl"]).0, 0);
    assert_eq!(run(&["relabel", m, "a.jpg", "cat"]).0, 0);
    let edits = json(&["edits", m, "--json"]);
    assert_eq!(
        edits,
        serde_json::json!({"pending": [
            {"file": "b.jpg", "from": "cat", "to": "dog"},
            {"file": "c.jpg", "from": "dog", "to": "bird, small"}
        ], "applied": 0})
    );
    // Readers see the edited labels; --no-edits the files as they are.
    let stats = json(&["stats", m, "--json"]);
    assert_eq!(
        stats["class_counts"]["all"],
        serde_json::json!({"bird, small": 1, "cat": 1, "dog": 2})
    );
    let disk = json(&["stats", m, "--json", "--no-edits"]);
    assert_eq!(
        disk["class_counts"]["all"],
        serde_json::json!({"cat": 2, "dog": 2})
    );

    let (code, out, err) = run(&["apply", m]);
    assert_eq!(code, 0, "{out}{err}");
    let expected = MANIFEST
        .replace("b.jpg,cat,", "b.jpg,dog,")
        .replace("c.jpg,\"dog\",", "c.jpg,\"bird, small\",");
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), expected);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("metadata.csv.bak")).unwrap(),
        MANIFEST,
        "the original is kept as a backup"
    );
    assert_eq!(
        json(&["edits", m, "--json"]),
        serde_json::json!({"pending": [], "applied": 2})
    );
    let after = json(&["stats", m, "--json", "--no-edits"]);
    assert_eq!(after["class_counts"]["all"], stats["class_counts"]["all"]);
}

#[test]
fn jsonl_apply_rewrites_only_the_label_value() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"file_name\": \"a.jpg\", \"label\": \"cat\", \"meta\": {\"k\": [1, 2]}}\n{\"file_name\": \"b.jpg\", \"label\": \"dog\"}\n";
    let manifest = write(dir.path(), "data.jsonl", text);
    assert_eq!(run(&["relabel", s(&manifest), "b.jpg", "cat"]).0, 0);
    assert_eq!(run(&["apply", s(&manifest)]).0, 0);
    assert_eq!(
        std::fs::read_to_string(&manifest).unwrap(),
        text.replace(
            "\"b.jpg\", \"label\": \"dog\"",
            "\"b.jpg\", \"label\": \"cat\""
        )
    );
}

fn folder_dataset(root: &Path) {
    for f in [
        "train/cat/1.jpg",
        "train/cat/2.jpg",
        "train/dog/3.jpg",
        "val/dog/4.jpg",
    ] {
        write(root, f, f.as_bytes());
    }
}

#[test]
fn folder_apply_moves_exactly_the_edited_files_and_a_clash_stays_pending() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    folder_dataset(&root);
    // A file of the same name already waits in the target folder: that move would overwrite it.
    write(&root, "val/cat/4.jpg", b"someone else");
    let r = s(&root);
    assert_eq!(run(&["relabel", r, "train/cat/1.jpg", "dog"]).0, 0);
    assert_eq!(run(&["relabel", r, "train/dog/3.jpg", "fox"]).0, 0);
    assert_eq!(run(&["relabel", r, "val/dog/4.jpg", "cat"]).0, 0);
    let (code, out, err) = run(&["apply", r]);
    assert_eq!(
        code, 1,
        "a clash is reported with a non-zero exit: {out}{err}"
    );
    assert!(
        err.contains("val/dog/4.jpg") && err.contains("already exists"),
        "{err}"
    );
    let mut files: Vec<String> = walk(&root);
    files.sort();
    assert_eq!(
        files,
        [
            "train/cat/2.jpg",
            "train/dog/1.jpg",
            "train/fox/3.jpg",
            "val/cat/4.jpg",
            "val/dog/4.jpg"
        ]
    );
    assert_eq!(
        std::fs::read(root.join("train/dog/1.jpg")).unwrap(),
        b"train/cat/1.jpg"
    );
    assert_eq!(
        std::fs::read(root.join("val/cat/4.jpg")).unwrap(),
        b"someone else"
    );
    assert_eq!(
        json(&["edits", r, "--json"]),
        serde_json::json!({"pending": [{"file": "val/dog/4.jpg", "from": "dog", "to": "cat"}], "applied": 2})
    );
}

fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out
}

/// Whether this process runs as root (where permission bits stop no write).
fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Undoes [`make_read_only`].
enum Restore {
    /// A read-only bind mount of the folder over itself: unmount it.
    Unmount(std::path::PathBuf),
    /// Permission bits (a normal user), and the immutable attribute when `chattr` set it (root).
    Permissions(std::path::PathBuf, bool),
}

impl Drop for Restore {
    fn drop(&mut self) {
        match self {
            Restore::Unmount(dir) => {
                let _ = std::process::Command::new("umount").arg(&*dir).status();
            }
            Restore::Permissions(dir, chattr) => {
                if *chattr {
                    let _ = std::process::Command::new("chattr")
                        .arg("-i")
                        .arg(&*dir)
                        .status();
                }
                let mut p = std::fs::metadata(&*dir).unwrap().permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                p.set_readonly(false);
                let _ = std::fs::set_permissions(&*dir, p);
            }
        }
    }
}

/// Makes `dir` unwritable in place: permission bits for a normal user; for root (CI), a read-only
/// bind mount of the folder over itself, or else the immutable attribute. Proves it with a probe
/// write, and fails the test (never skips it) where none of these works.
fn make_read_only(dir: &Path) -> Restore {
    let probe = dir.join(".probe");
    let refused = |probe: &Path| {
        let refused = std::fs::write(probe, b"x").is_err();
        let _ = std::fs::remove_file(probe);
        refused
    };
    if !is_root() {
        let mut p = std::fs::metadata(dir).unwrap().permissions();
        p.set_readonly(true);
        std::fs::set_permissions(dir, p).unwrap();
        let guard = Restore::Permissions(dir.to_path_buf(), false);
        assert!(
            refused(&probe),
            "{dir:?}: read-only permissions stop no write"
        );
        return guard;
    }
    let mounted = std::process::Command::new("mount")
        .args(["--bind"])
        .arg(dir)
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if mounted {
        let guard = Restore::Unmount(dir.to_path_buf());
        let remounted = std::process::Command::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if remounted && refused(&probe) {
            return guard;
        }
        drop(guard);
    }
    let chattr = std::process::Command::new("chattr")
        .arg("+i")
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    let guard = Restore::Permissions(dir.to_path_buf(), chattr);
    assert!(
        chattr && refused(&probe),
        "{dir:?}: cannot make a read-only folder here as root (neither `mount --bind -o ro` nor `chattr +i` works)"
    );
    guard
}

/// Every name in `dir` with its length, and the folder's own modification time: what a reader must
/// leave as it found it.
fn snapshot(dir: &Path) -> (Vec<(String, u64)>, std::time::SystemTime) {
    let mut names: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    names.sort();
    (names, std::fs::metadata(dir).unwrap().modified().unwrap())
}

#[test]
fn a_read_only_copy_with_a_journal_shows_its_edits_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    folder_dataset(&root);
    let r = s(&root);
    assert_eq!(run(&["relabel", r, "train/cat/1.jpg", "dog"]).0, 0);
    let state = root.join(".spotcheck");
    let before = snapshot(&state);
    assert!(
        before
            .0
            .iter()
            .all(|(n, _)| !n.ends_with("-wal") && !n.ends_with("-shm")),
        "a writer that closed leaves no WAL files: {before:?}"
    );
    let guard = make_read_only(&root);
    for args in [
        vec!["stats", r, "--json"],
        vec!["edits", r, "--json"],
        vec!["check", r, "--json"],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{args:?} on a read-only copy: {err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        if args[0] == "stats" {
            assert_eq!(
                doc["class_counts"]["all"],
                serde_json::json!({"cat": 1, "dog": 3}),
                "the pending edit is seen"
            );
        }
        if args[0] == "edits" {
            assert_eq!(doc["pending"][0]["to"], "dog");
        }
    }
    assert_eq!(
        snapshot(&state),
        before,
        "the reader created or changed nothing"
    );
    drop(guard);
    // A read-only state folder in a writable dataset: the same.
    let guard = make_read_only(&state);
    let stats = json(&["stats", r, "--json"]);
    assert_eq!(
        stats["class_counts"]["all"],
        serde_json::json!({"cat": 1, "dog": 3})
    );
    assert_eq!(snapshot(&state), before);
    drop(guard);
}

#[test]
fn a_read_only_dataset_keeps_edits_pending_and_state_dir_holds_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    folder_dataset(&root);
    let state = dir.path().join("state");
    let (r, st) = (s(&root), s(&state));
    let guard = make_read_only(&root);
    let (code, _, err) = run(&["relabel", r, "train/cat/1.jpg", "dog"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--state-dir"),
        "the message says what to do: {err}"
    );
    assert_eq!(
        run(&["relabel", r, "train/cat/1.jpg", "dog", "--state-dir", st]).0,
        0
    );
    let stats = json(&["stats", r, "--json", "--state-dir", st]);
    assert_eq!(
        stats["class_counts"]["all"],
        serde_json::json!({"cat": 1, "dog": 3})
    );
    drop(guard);
    // The class folders themselves read-only: the move fails, the edit stays pending, with the reason.
    let cat = root.join("train/cat");
    let guard = make_read_only(&cat);
    let (code, _, err) = run(&["apply", r, "--state-dir", st]);
    drop(guard);
    assert_eq!(code, 1);
    assert!(
        err.contains("train/cat/1.jpg") && err.contains("still pending"),
        "{err}"
    );
    assert_eq!(
        json(&["edits", r, "--json", "--state-dir", st])["pending"][0]["to"],
        "dog"
    );
    assert!(root.join("train/cat/1.jpg").exists());
}

#[test]
fn relabel_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds");
    folder_dataset(&root);
    let (code, _, err) = run(&["relabel", s(&root), "train/cat/nope.jpg", "dog"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("nope.jpg") && err.contains("not a sample"),
        "{err}"
    );
    let (code, _, err) = run(&["relabel", s(&root), "train/cat/1.jpg", "a/b"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot hold /"), "{err}");
    // A path on disk works as well as the sample's identity.
    let on_disk = root.join("train/cat/2.jpg");
    let (code, out, _) = run(&["relabel", s(&root), s(&on_disk), "dog"]);
    assert_eq!(code, 0);
    assert!(out.contains("train/cat/2.jpg: cat -> dog"), "{out}");
}

#[test]
fn label_issues_and_check_read_the_edited_labels() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    common::copy_demo(&root);
    let preds = root.join("predictions.csv");
    let (r, p) = (s(&root), s(&preds));
    let before = json(&["label-issues", r, "--predictions", p, "--json"]);
    let first = before["issues"][0].clone();
    let file = first["file"].as_str().unwrap();
    assert_eq!(
        run(&["relabel", r, file, first["suggested"].as_str().unwrap()]).0,
        0
    );
    let after = json(&["label-issues", r, "--predictions", p, "--json"]);
    // Every candidate is ranked; the corrected one is no longer flagged.
    let flagged = |doc: &Value| -> Vec<String> {
        doc["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["flagged"] == true)
            .map(|i| i["file"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(first["flagged"], true);
    assert!(
        !flagged(&after).contains(&file.to_string()),
        "the corrected label is no longer an issue"
    );
    let disk = json(&[
        "label-issues",
        r,
        "--predictions",
        p,
        "--json",
        "--no-edits",
    ]);
    assert_eq!(disk, before, "--no-edits reads the files as they are");
    assert_eq!(json(&["check", r, "--json"])["num_samples"], 42);
}

#[cfg(unix)]
#[test]
fn apply_through_a_symlinked_manifest_writes_the_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = write(&dir.path().join("shared"), "metadata.csv", MANIFEST);
    let link = dir.path().join("metadata.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let m = s(&link);
    assert_eq!(run(&["relabel", m, "b.jpg", "dog"]).0, 0);
    let (code, out, err) = run(&["apply", m]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        std::fs::symlink_metadata(&link).unwrap().is_symlink(),
        "the manifest is still a symlink"
    );
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        MANIFEST.replace("b.jpg,cat,", "b.jpg,dog,")
    );
    assert_eq!(
        json(&["edits", m, "--json"]),
        serde_json::json!({"pending": [], "applied": 1})
    );
}

#[test]
fn apply_never_truncates_a_file_at_another_write_backs_temp_name() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(dir.path(), "metadata.csv", MANIFEST);
    // The name the old fixed-temp-file scheme used, held by another apply writing at the same time.
    let theirs = write(
        dir.path(),
        ".metadata.csv.spotcheck-tmp",
        "another apply's bytes",
    );
    let m = s(&manifest);
    assert_eq!(run(&["relabel", m, "b.jpg", "dog"]).0, 0);
    let (code, out, err) = run(&["apply", m]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(&theirs).unwrap(),
        "another apply's bytes"
    );
    assert_eq!(
        std::fs::read_to_string(&manifest).unwrap(),
        MANIFEST.replace("b.jpg,cat,", "b.jpg,dog,")
    );
}

#[test]
fn the_fuzzers_manifest_without_a_label_column_gains_one_and_still_loads() {
    // fuzz/crashes/write_back-no-label-column: no label column, a bare CR and a NUL inside an
    // unquoted file name, a quoted name with a comma. Found by the write_back fuzz target on the old
    // write-back (its lenient tokenizer): the rewritten rows had one field more than the header.
    let crash = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/crashes/write_back-no-label-column"),
    )
    .unwrap();
    let nul = crash.iter().rposition(|&b| b == 0).unwrap();
    let (manifest, label) = (
        &crash[1..nul],
        std::str::from_utf8(&crash[nul + 1..]).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    std::fs::write(&path, manifest).unwrap();
    let before = json(&["stats", s(&path), "--json"]);
    assert_eq!(before["dataset"]["num_samples"], 3, "{before}");
    let (code, _, err) = run(&["relabel", s(&path), "b,1.jpg", label]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["apply", s(&path)]);
    assert_eq!(code, 0, "{err}");
    let after = json(&["stats", s(&path), "--no-edits", "--json"]);
    assert_eq!(after["dataset"]["num_samples"], 3, "{after}");
    assert_eq!(after["class_counts"]["all"]["owl"], 1, "{after}");
    let text = std::fs::read(&path).unwrap();
    assert!(
        text.starts_with(b"file_name,lab1l,s\x04lit,label\n"),
        "{text:?}"
    );
}
