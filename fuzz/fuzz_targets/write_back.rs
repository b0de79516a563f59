//! Write-back on a fuzzed manifest with a fuzzed edit. Input: a selector byte (bit 0: CSV or JSONL;
//! the rest: which row), then the manifest bytes, then after the last NUL the new label. When the
//! manifest loads and the label is valid, the edit is recorded in a journal beside the temp copy and
//! `apply` writes it back (the path `spotcheck relabel` + `apply` take); the result must re-read
//! with the same rows, files, splits and metadata, and only the edited row's label changed (to the
//! new label when the edit was applied, not at all when it was kept). Run with `TMPDIR=/dev/shm` so
//! the journal's fsyncs cost nothing.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use spotcheck::core::data::dataset::Dataset;
use spotcheck::core::data::warnings::Warnings;
use spotcheck::core::data::load::open_dataset;
use spotcheck::core::labels::write_back::plan;
use spotcheck::core::labels::{
    JournalLocation, LabelChange, LabelJournal, Origin, apply, read_edits, validate_label,
};

fn label_name(d: &Dataset, i: usize) -> Option<&str> {
    d.label(i).map(|c| d.classes()[c].as_str())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some(nul) = rest.iter().rposition(|&b| b == 0) else {
        return;
    };
    let (manifest, label) = (&rest[..nul], &rest[nul + 1..]);
    let Ok(label) = std::str::from_utf8(label) else {
        return;
    };
    let name = if selector & 1 == 0 { "m.csv" } else { "m.jsonl" };
    let path = common::write_input(name, manifest);
    let mut warnings = Warnings::default();
    let Ok(before) = open_dataset(&path, None, &mut warnings) else {
        return;
    };
    if validate_label(&before, label).is_err() {
        return;
    }
    let sample = usize::from(selector >> 1) % before.len();
    let from = label_name(&before, sample).map(str::to_string);
    if from.as_deref() == Some(label) {
        return;
    }
    let location = JournalLocation::for_dataset(&before, None);
    let mut journal = LabelJournal::open(&location).expect("a journal in the scratch folder");
    journal
        .record(
            &[LabelChange {
                file: before.file(sample).to_string(),
                disk: from,
                to: Some(label.to_string()),
            }],
            Origin::Cli,
        )
        .expect("the edit is recorded");
    let state = read_edits(&before, None, &mut Warnings::default())
        .expect("the journal reads back")
        .state;
    assert_eq!(state.pending.len(), 1, "one pending edit");
    let _ = plan(&before, &state.pending);
    let report = apply(&mut journal, &before, &state, Origin::Cli).expect("apply runs");
    let applied = !report.applied.is_empty();
    let mut warnings = Warnings::default();
    let after = open_dataset(&path, None, &mut warnings)
        .unwrap_or_else(|e| panic!("the rewritten manifest does not load: {e}"));
    assert_eq!(after.len(), before.len(), "row count changed");
    assert_eq!(after.metadata().len(), before.metadata().len());
    for i in 0..before.len() {
        assert_eq!(after.file(i), before.file(i), "file of row {i}");
        assert_eq!(
            after.split(i).map(|s| &after.splits()[s]),
            before.split(i).map(|s| &before.splits()[s]),
            "split of row {i}"
        );
        for (a, b) in after.metadata().iter().zip(before.metadata()) {
            assert_eq!(a.name, b.name);
            assert_eq!(a.values.get(i), b.values.get(i), "{} of row {i}", a.name);
        }
        let expected = if i == sample && applied {
            Some(label)
        } else {
            label_name(&before, i)
        };
        assert_eq!(label_name(&after, i), expected, "label of row {i}");
    }
});
