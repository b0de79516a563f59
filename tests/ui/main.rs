//! The app under egui_kittest (no window, no GPU).
//! One test binary per concern: one link instead of one per file (the release build links each
//! binary against egui, Arrow and SQLite, ~200 MB apiece).
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "gui")]

#[path = "../common/mod.rs"]
mod common;

mod app;
mod audio;
mod balance;
mod compare;
mod crowd;
mod edits;
mod evaluation;
mod frame_budget;
mod health;
mod hf;
mod label_next;
mod overlay;
mod pr_curve;
mod soft_labels;
