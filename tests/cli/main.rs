//! The command line: spotcheck's commands run as a user runs them, and their JSON against references.
//! One test binary per concern: one link instead of one per file (the release build links each
//! binary against egui, Arrow and SQLite, ~200 MB apiece).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod class_limit;
mod compare;
mod crowd;
mod crowdlab;
mod edits;
mod hf_datasets;
mod label_issues;
mod label_next;
mod metrics_reference;
mod peer_reference;
mod scan;
mod soft_labels;
mod stats;
mod text;
