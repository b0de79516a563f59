//! The CSV manifest path on arbitrary bytes: the strict tokenizer over an in-memory reader (every
//! record, line numbers never going backwards) and `open_dataset` on the bytes as `m.csv`. Errors
//! are the expected outcome; a panic, hang or runaway allocation is a bug.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use spotcheck::core::data::warnings::Warnings;
use spotcheck::core::data::load::{CsvReader, Record, open_dataset};

fuzz_target!(|data: &[u8]| {
    let path = common::write_input("m.csv", data);
    let mut reader = CsvReader::new(data, &path, None);
    let mut rec = Record::default();
    let mut last_line = 0;
    while let Ok(true) = reader.read_record(&mut rec) {
        assert!(rec.line() >= last_line);
        last_line = rec.line();
        for i in 0..rec.len() {
            assert!(rec.get(i).is_some());
        }
    }
    let mut warnings = Warnings::default();
    if let Ok(dataset) = open_dataset(&path, None, &mut warnings) {
        assert!(!dataset.is_empty());
        for m in dataset.metadata() {
            assert_eq!(m.values.len(), dataset.len());
        }
    }
});
