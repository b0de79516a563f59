//! A Hugging Face shard on arbitrary bytes: the first byte picks Parquet (`d.parquet`) or an Arrow
//! IPC stream (`data-00000-of-00001.arrow`); `open_dataset` reads it, then every sample's media cell
//! is read by row (the path tiles, `check` and `thumbs` take). Errors are the expected outcome; a
//! panic (the parquet crate has panicked on malformed files), hang or runaway allocation is a bug.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use spotcheck::core::data::load::open_dataset;
use spotcheck::core::data::warnings::Warnings;

fuzz_target!(|data: &[u8]| {
    // libFuzzer's hook aborts on every panic. A panic inside the Parquet/Arrow readers is caught at
    // the boundary (`guarded`) and becomes an error, which is what the app does with it; every other
    // panic (ours) still aborts and is a finding.
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            if !spotcheck::core::data::load::hf::is_reader_panic(info.location()) {
                std::process::abort();
            }
        }));
    });
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let name = if kind & 1 == 0 {
        "d.parquet"
    } else {
        "data-00000-of-00001.arrow"
    };
    let path = common::write_input(name, rest);
    let mut warnings = Warnings::default();
    if let Ok(dataset) = open_dataset(&path, None, &mut warnings) {
        for m in dataset.metadata() {
            assert_eq!(m.values.len(), dataset.len());
        }
        for i in 0..dataset.len().min(64) {
            let _ = dataset.media(i).read();
            let _ = dataset.text(i);
            let _ = dataset.location(i);
        }
    }
});
