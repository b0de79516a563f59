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
        "journal::child_writer",
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

// ---- A sample's identity across write-back moves, plans, and writers racing an apply ----

use spotcheck::core::data::dataset::Dataset;
use spotcheck::core::data::load;
use spotcheck::core::data::warnings::Warnings;
use spotcheck::core::labels::write_back::plan;
use spotcheck::core::labels::{self, AppliedEdit, EditState, apply_plan};

fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// `ds/train/{cat,dog}/N.jpg`, N in 0..n, even numbers cats.
fn class_folders(dir: &Path, n: usize) -> PathBuf {
    let root = dir.join("ds");
    for i in 0..n {
        let class = if i % 2 == 0 { "cat" } else { "dog" };
        write_file(
            &root.join(format!("train/{class}/{i}.jpg")),
            format!("{i}").as_bytes(),
        );
    }
    root
}

fn load(path: &Path) -> Dataset {
    load::open_dataset(path, None, &mut Warnings::default()).unwrap()
}

fn state_of(dataset: &Dataset) -> EditState {
    labels::read_edits(dataset, None, &mut Warnings::default())
        .unwrap()
        .state
}

fn journal_of(dataset: &Dataset) -> LabelJournal {
    LabelJournal::open(&JournalLocation::for_dataset(dataset, None)).unwrap()
}

fn relabel(j: &mut LabelJournal, dataset: &Dataset, file: &str, to: &str) {
    let disk = dataset
        .find(file)
        .and_then(|i| dataset.label(i))
        .map(|c| dataset.classes()[c].clone());
    j.record(
        &[LabelChange {
            file: file.into(),
            disk,
            to: Some(to.into()),
        }],
        Origin::Gui,
    )
    .unwrap();
}

fn apply_all(path: &Path) -> labels::write_back::WriteReport {
    let dataset = load(path);
    let state = state_of(&dataset);
    labels::apply(&mut journal_of(&dataset), &dataset, &state, Origin::Cli).unwrap()
}

fn pending_pairs(state: &EditState) -> Vec<(String, String)> {
    state
        .pending
        .iter()
        .map(|p| (p.file.clone(), p.to.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn an_edit_made_with_a_name_from_before_a_move_lands_on_the_moved_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = class_folders(dir.path(), 2);
    let stale = load(&root);
    let mut j = journal_of(&stale);
    relabel(&mut j, &stale, "train/cat/0.jpg", "dog");
    assert_eq!(apply_all(&root).applied.len(), 1);
    // The GUI (or a script) still holds the dataset as loaded before the move: a key press names the
    // file by its old name. It was said saved, so it must take effect on the moved file.
    relabel(&mut j, &stale, "train/cat/0.jpg", "owl");
    let state = state_of(&load(&root));
    assert_eq!(
        pending_pairs(&state),
        [("train/dog/0.jpg".to_string(), "owl".to_string())]
    );
    assert!(state.orphaned.is_empty());
}

#[test]
fn a_soft_label_follows_its_file_when_apply_moves_it_and_is_never_written_back() {
    use labels::{SoftChange, SoftLabel};
    let dir = tempfile::tempdir().unwrap();
    let root = class_folders(dir.path(), 2);
    let stale = load(&root);
    let mut j = journal_of(&stale);
    let soft = SoftLabel::new([("cat".to_string(), 0.3), ("dog".to_string(), 0.7)]).unwrap();
    j.record_soft(
        &[SoftChange {
            file: "train/cat/0.jpg".into(),
            to: Some(soft.clone()),
        }],
        Origin::Gui,
    )
    .unwrap()
    .unwrap();
    relabel(&mut j, &stale, "train/cat/0.jpg", "dog");
    // apply moves the file for its hard label; the soft label is not an edit it writes.
    assert_eq!(apply_all(&root).applied.len(), 1);
    let dataset = load(&root);
    let state = state_of(&dataset);
    assert!(state.pending.is_empty() && state.orphaned_soft.is_empty());
    let soft_files: Vec<&str> = state.soft.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(soft_files, ["train/dog/0.jpg"]);
    assert_eq!(
        state.soft_of(dataset.find("train/dog/0.jpg").unwrap()),
        Some(&soft)
    );
    // Named by its old name (a stale GUI), clearing it still reaches the moved file.
    j.record_soft(
        &[SoftChange {
            file: "train/cat/0.jpg".into(),
            to: None,
        }],
        Origin::Gui,
    )
    .unwrap()
    .unwrap();
    assert!(state_of(&load(&root)).soft.is_empty());
}

#[test]
fn an_edit_recorded_while_an_apply_moves_the_file_is_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let root = class_folders(dir.path(), 2);
    let dataset = load(&root);
    let mut apply_side = journal_of(&dataset);
    let mut key_press = journal_of(&dataset);
    relabel(&mut apply_side, &dataset, "train/cat/0.jpg", "dog");
    let seq = state_of(&dataset).pending[0].seq;
    // The apply moved the file; before it records that, another writer's edit commits, by the old name.
    std::fs::create_dir_all(root.join("train/dog")).unwrap();
    std::fs::rename(root.join("train/cat/0.jpg"), root.join("train/dog/0.jpg")).unwrap();
    relabel(&mut key_press, &dataset, "train/cat/0.jpg", "owl");
    apply_side
        .record_applied(
            &[AppliedEdit {
                file: "train/cat/0.jpg".into(),
                to: Some("dog".into()),
                seq,
                moved_to: Some("train/dog/0.jpg".into()),
            }],
            Origin::Gui,
        )
        .unwrap();
    let state = state_of(&load(&root));
    assert_eq!(
        pending_pairs(&state),
        [("train/dog/0.jpg".to_string(), "owl".to_string())]
    );
}

#[test]
fn undo_after_moves_there_and_back_really_undoes() {
    let dir = tempfile::tempdir().unwrap();
    let root = class_folders(dir.path(), 2);
    let dataset = load(&root);
    let mut j = journal_of(&dataset);
    relabel(&mut j, &dataset, "train/cat/0.jpg", "dog");
    apply_all(&root);
    let dataset = load(&root);
    relabel(&mut j, &dataset, "train/dog/0.jpg", "cat");
    apply_all(&root);
    assert!(root.join("train/cat/0.jpg").exists());
    // Undo the second edit: the file's label goes back to dog (pending against the files).
    let undone = j.undo(Origin::Gui).unwrap().expect("something to undo");
    assert_eq!(
        undone.labels,
        [("train/cat/0.jpg".to_string(), Some("dog".to_string()))]
    );
    let state = state_of(&load(&root));
    assert_eq!(
        pending_pairs(&state),
        [("train/cat/0.jpg".to_string(), "dog".to_string())]
    );
    apply_all(&root);
    assert!(root.join("train/dog/0.jpg").exists());
}

const MANIFEST: &str = "file_name,label\na.jpg,cat\nb.jpg,cat\nc.jpg,cat\n";

#[test]
fn apply_writes_exactly_the_previewed_edits() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("metadata.csv");
    write_file(&manifest, MANIFEST.as_bytes());
    let dataset = load(&manifest);
    let mut j = journal_of(&dataset);
    relabel(&mut j, &dataset, "a.jpg", "dog");
    relabel(&mut j, &dataset, "c.jpg", "dog");
    let preview = plan(&dataset, &state_of(&dataset).pending);
    // After the preview was shown: a new edit, and a previewed one changed.
    relabel(&mut j, &dataset, "b.jpg", "dog");
    relabel(&mut j, &dataset, "a.jpg", "owl");
    let report = apply_plan(&mut j, &dataset, &preview, Origin::Gui).unwrap();
    assert_eq!(report.applied.len(), 1, "{report:?}");
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(
        std::fs::read_to_string(&manifest).unwrap(),
        "file_name,label\na.jpg,cat\nb.jpg,cat\nc.jpg,dog\n"
    );
    assert_eq!(
        pending_pairs(&state_of(&load(&manifest))),
        [
            ("a.jpg".to_string(), "owl".to_string()),
            ("b.jpg".to_string(), "dog".to_string())
        ]
    );
}

#[test]
fn a_row_changed_on_disk_since_the_plan_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("metadata.csv");
    write_file(&manifest, MANIFEST.as_bytes());
    let dataset = load(&manifest);
    let mut j = journal_of(&dataset);
    relabel(&mut j, &dataset, "a.jpg", "dog");
    relabel(&mut j, &dataset, "b.jpg", "dog");
    let preview = plan(&dataset, &state_of(&dataset).pending);
    // Someone fixes a.jpg by hand in the meantime.
    let by_hand = "file_name,label\na.jpg,fox\nb.jpg,cat\nc.jpg,cat\n";
    std::fs::write(&manifest, by_hand).unwrap();
    let report = apply_plan(&mut j, &dataset, &preview, Origin::Gui).unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.kept.len(), 1);
    assert!(report.kept[0].1.contains("\"fox\""), "{:?}", report.kept);
    assert_eq!(
        std::fs::read_to_string(&manifest).unwrap(),
        "file_name,label\na.jpg,fox\nb.jpg,dog\nc.jpg,cat\n"
    );
}

/// Two writers record 100 edits each (every label unique, through a dataset loaded once, as a GUI
/// would) while appliers write back over and over; afterwards every acknowledged edit is in the
/// journal and the newest one of each file is in the files or still pending, and no file is lost or
/// doubled.
fn writers_and_appliers(path: &Path, files: &[String], appliers: usize) {
    let stale = load(path);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut apply_threads = Vec::new();
    for _ in 0..appliers {
        let done = done.clone();
        let path = path.to_path_buf();
        apply_threads.push(std::thread::spawn(move || {
            let mut rounds = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                apply_all(&path);
                rounds += 1;
            }
            rounds
        }));
    }
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let stale = stale.clone();
            let files = files.to_vec();
            std::thread::spawn(move || {
                let mut j = journal_of(&stale);
                let mut acked = Vec::new();
                for k in 0..100 {
                    let file = &files[(k * 7 + w * 3) % files.len()];
                    let to = format!("w{w}-{k}");
                    let batch = j
                        .record(
                            &[LabelChange {
                                file: file.clone(),
                                disk: None,
                                to: Some(to.clone()),
                            }],
                            Origin::Gui,
                        )
                        .unwrap()
                        .expect("a new label is always recorded");
                    acked.push((batch, file.clone(), to));
                }
                acked
            })
        })
        .collect();
    let acked: Vec<(i64, String, String)> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for a in apply_threads {
        assert!(a.join().unwrap() > 0, "the appliers ran");
    }
    let report = apply_all(path);
    assert!(report.kept.is_empty(), "{:?}", report.kept);
    let dataset = load(path);
    let j = journal_of(&dataset);
    let recorded = j.recorded_labels().unwrap();
    for (_, _, to) in &acked {
        assert!(recorded.contains(to), "acknowledged edit {to} is missing");
    }
    let replay = j.replay().unwrap();
    let state = state_of(&dataset);
    assert!(state.orphaned.is_empty(), "{:?}", state.orphaned);
    assert_eq!(dataset.len(), files.len(), "no file lost or doubled");
    for file in files {
        let newest = acked
            .iter()
            .filter(|(_, f, _)| f == file)
            .max_by_key(|(b, _, _)| *b)
            .map(|(_, _, to)| to.clone())
            .unwrap();
        let now = replay.resolve(file);
        let i = dataset
            .find(now)
            .unwrap_or_else(|| panic!("{file} is now {now}, not a sample"));
        let on_disk = dataset.label(i).map(|c| dataset.classes()[c].clone());
        let pending = state.pending.iter().find(|p| p.sample == i);
        let effective = pending.map_or(on_disk, |p| p.to.clone());
        assert_eq!(
            effective.as_deref(),
            Some(newest.as_str()),
            "{file} ({now})"
        );
    }
}

#[test]
fn two_writers_and_an_apply_at_once_lose_nothing_in_class_folders() {
    let dir = tempfile::tempdir().unwrap();
    let root = class_folders(dir.path(), 12);
    let dataset = load(&root);
    let files: Vec<String> = (0..dataset.len())
        .map(|i| dataset.file(i).to_string())
        .collect();
    writers_and_appliers(&root, &files, 1);
    let mut on_disk = 0;
    for e in walkdir::WalkDir::new(&root) {
        let e = e.unwrap();
        if e.file_type().is_file() && !e.path().to_string_lossy().contains(".spotcheck") {
            on_disk += 1;
        }
    }
    assert_eq!(on_disk, 12, "every file in exactly one class folder");
}

#[test]
fn two_writers_and_two_applies_at_once_lose_nothing_in_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("metadata.csv");
    let mut text = String::from("file_name,label,note\n");
    let mut files = Vec::new();
    for i in 0..12 {
        text.push_str(&format!("{i}.jpg,cat,\"row {i}, kept\"\n"));
        files.push(format!("{i}.jpg"));
    }
    write_file(&manifest, text.as_bytes());
    writers_and_appliers(&manifest, &files, 2);
    let after = std::fs::read_to_string(&manifest).unwrap();
    for i in 0..12 {
        assert!(after.contains(&format!("\"row {i}, kept\"")), "{after}");
    }
}

#[test]
fn many_processes_opening_a_new_journal_at_once_all_get_it() {
    // The GUI and a script (or several writers) opening a journal that does not exist yet: switching
    // it to WAL and creating its tables race, and SQLite answers "database is locked" at once there
    // instead of waiting. Every opener must get the journal.
    for round in 0..30 {
        let dir = tempfile::tempdir().unwrap();
        let root = class_folders(dir.path(), 2);
        let dataset = load(&root);
        let location = JournalLocation::for_dataset(&dataset, None);
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(6));
        let openers: Vec<_> = (0..6)
            .map(|_| {
                let (location, barrier) = (location.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    LabelJournal::open(&location).map(|_| ())
                })
            })
            .collect();
        for opener in openers {
            let opened = opener.join().unwrap();
            assert!(opened.is_ok(), "round {round}: {opened:?}");
        }
    }
}
