//! The library: media decoding, the label journal, check's byte budget, the layout rule, speed probes.
//! One test binary per concern (tests that read peak memory are in tests/memory, one binary each): one link instead of one per file (the release build links each
//! binary against egui, Arrow and SQLite, ~200 MB apiece).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod audio_speed;
mod evaluation_speed;
mod journal;
mod layout;
mod media_audio;
mod media_bad_input;
mod media_formats;
mod media_orientation;
mod stats_partial;
