//! The predictions parser and join on arbitrary bytes. The first byte picks CSV or JSONL; the rest is
//! the file, parsed and joined to a small fixed manifest (a.jpg..d.jpg, classes cat/dog/owl). Every
//! probability that comes out is finite and in [0, 1]; a panic, hang or runaway allocation is a bug.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use spotcheck::core::data::warnings::Warnings;
use spotcheck::core::data::load::{load_predictions, open_dataset};

const MANIFEST: &str = "file_name,label\na.jpg,cat\nb.jpg,dog\nc.jpg,owl\nd.jpg,\n";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let name = if selector & 1 == 0 { "p.csv" } else { "p.jsonl" };
    let path = common::write_input(name, body);
    let manifest = common::scratch().join("m.csv");
    std::fs::write(&manifest, MANIFEST).expect("write the manifest");
    let mut warnings = Warnings::default();
    let mut dataset = open_dataset(&manifest, None, &mut warnings).expect("the fixed manifest loads");
    if let Ok(predictions) = load_predictions(&mut dataset, &path, None, &mut warnings) {
        for i in 0..dataset.len() {
            if let Some(probs) = predictions.probabilities(i) {
                for p in probs {
                    assert!(p.is_finite() && (0.0..=1.0 + 1e-9).contains(&p), "{p}");
                }
            }
        }
    }
});
