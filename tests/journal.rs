//! The label journal's promises: nothing acknowledged is lost when the writer is killed with SIGKILL
//! at a random moment (20 rounds), two processes writing at once lose nothing, and undo/redo survive
//! a restart. The writers are this test binary run again as a child: the ignored test `child_writer`,
//! started with `--ignored --exact` and `JOURNAL_CHILD` set (run on its own it fails, never passes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use spotcheck::core::labels::{JournalLocation, LabelChange, LabelJournal, Origin};

fn location(db: &Path) -> JournalLocation {
    JournalLocation {
        db_path: db.to_path_buf(),
        dataset_key: "metadata.csv".into(),
    }
}

fn change(file: &str, to: &str) -> LabelChange {
    LabelChange {
        file: file.into(),
        disk: Some("cat".into()),
        to: Some(to.into()),
    }
}

/// Every label the journal ever recorded, in order, after checking that it opens, passes SQLite's
/// integrity check and replays.
fn recorded_labels(db: &Path) -> Vec<String> {
    let journal = LabelJournal::open(&location(db)).expect("the journal opens cleanly");
    journal.check_integrity().expect("integrity check");
    journal.replay().expect("the journal replays");
    journal.recorded_labels().expect("labels read")
}

/// The child: records edits `PREFIX-0`, `PREFIX-1`, ... (one transaction each, on 7 files) and prints
/// each one's number once `record` has returned, i.e. once it is acknowledged.
#[test]
#[ignore = "the writer child of the tests below, started by them with JOURNAL_CHILD set"]
fn child_writer() {
    let db = std::env::var_os("JOURNAL_CHILD")
        .expect("child_writer is started by the other tests here, with JOURNAL_CHILD=DB");
    let prefix = std::env::var("JOURNAL_PREFIX").unwrap_or_else(|_| "e".into());
    let count: usize = std::env::var("JOURNAL_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(usize::MAX);
    let mut journal = LabelJournal::open(&location(Path::new(&db))).unwrap();
    let mut out = std::io::stdout().lock();
    for k in 0..count {
        let file = format!("f{}.jpg", k % 7);
        journal
            .record(&[change(&file, &format!("{prefix}-{k}"))], Origin::Cli)
            .unwrap();
        writeln!(out, "ack {k}").unwrap();
        out.flush().unwrap();
    }
}

fn spawn_child(db: &Path, prefix: &str, count: Option<usize>) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "child_writer",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("JOURNAL_CHILD", db)
    .env("JOURNAL_PREFIX", prefix)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if let Some(n) = count {
        cmd.env("JOURNAL_COUNT", n.to_string());
    }
    cmd.spawn().unwrap()
}

/// A small deterministic generator for the kill times.
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_edit() {
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("labels.sqlite3");
    let mut seed = 0x5eed_u64;
    let mut total_acked = 0;
    for round in 0..20 {
        let prefix = format!("r{round}");
        let mut child = spawn_child(&db, &prefix, None);
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(k) = line
                    .strip_prefix("ack ")
                    .and_then(|k| k.parse::<usize>().ok())
                {
                    tx.send(k).ok();
                }
            }
        });
        // Kill somewhere between start-up and a few dozen commits in.
        std::thread::sleep(Duration::from_millis(20 + next(&mut seed) % 400));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let acked: Vec<usize> = rx.try_iter().collect();
        total_acked += acked.len();
        let labels = recorded_labels(&db);
        for k in &acked {
            let want = format!("{prefix}-{k}");
            assert!(
                labels.contains(&want),
                "round {round}: acknowledged edit {want} is missing"
            );
        }
    }
    assert!(
        total_acked > 20,
        "the children got to write ({total_acked} acknowledged edits)"
    );
}

#[test]
fn two_processes_writing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("labels.sqlite3");
    // Create the file first, so neither child races the other to make the schema.
    drop(LabelJournal::open(&location(&db)).unwrap());
    let a = spawn_child(&db, "a", Some(150));
    let b = spawn_child(&db, "b", Some(150));
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).matches("ack ").count(),
            150
        );
    }
    let labels = recorded_labels(&db);
    for p in ["a", "b"] {
        for k in 0..150 {
            assert!(labels.contains(&format!("{p}-{k}")), "{p}-{k} lost");
        }
    }
}

#[test]
fn undo_and_redo_survive_a_restart_and_never_rewrite_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("labels.sqlite3");
    {
        let mut j = LabelJournal::open(&location(&db)).unwrap();
        j.record(&[change("a.jpg", "dog")], Origin::Gui).unwrap();
        j.record(
            &[change("a.jpg", "owl"), change("b.jpg", "owl")],
            Origin::Gui,
        )
        .unwrap();
    }
    // A new process: the undo stack is read back from the journal.
    let mut j = LabelJournal::open(&location(&db)).unwrap();
    let undone = j.undo(Origin::Gui).unwrap().expect("something to undo");
    assert_eq!(
        undone.labels,
        [
            ("a.jpg".to_string(), Some("dog".to_string())),
            ("b.jpg".to_string(), Some("cat".to_string()))
        ]
    );
    drop(j);
    let mut j = LabelJournal::open(&location(&db)).unwrap();
    let redone = j.redo(Origin::Gui).unwrap().expect("something to redo");
    assert_eq!(
        redone.labels[0],
        ("a.jpg".to_string(), Some("owl".to_string()))
    );
    assert!(
        j.redo(Origin::Gui).unwrap().is_none(),
        "nothing left to redo"
    );
    // Two undos take both actions back; the history only grew.
    j.undo(Origin::Gui).unwrap();
    let first = j.undo(Origin::Gui).unwrap().unwrap();
    assert_eq!(
        first.labels,
        [("a.jpg".to_string(), Some("cat".to_string()))]
    );
    assert!(j.undo(Origin::Gui).unwrap().is_none());
    assert_eq!(
        j.recorded_labels().unwrap(),
        [
            "dog", "owl", "owl", "dog", "cat", "owl", "owl", "dog", "cat", "cat"
        ]
    );
}
