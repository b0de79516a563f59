//! The JSONL manifest path on arbitrary bytes: `open_dataset` on the bytes as `m.jsonl` (line cap,
//! metadata columns, labels as text). Errors are expected; a panic, hang or runaway allocation is a bug.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use spotcheck::core::data::warnings::Warnings;
use spotcheck::core::data::load::open_dataset;

fuzz_target!(|data: &[u8]| {
    let path = common::write_input("m.jsonl", data);
    let mut warnings = Warnings::default();
    if let Ok(dataset) = open_dataset(&path, None, &mut warnings) {
        assert!(!dataset.is_empty());
        for m in dataset.metadata() {
            assert_eq!(m.values.len(), dataset.len());
        }
        for i in 0..dataset.len() {
            if let Some(c) = dataset.label(i) {
                assert!(c < dataset.classes().len());
            }
        }
    }
});
