//! spotcheck: look at machine-learning classification datasets the way careful practitioners do.
//!
//! `core` is the egui-free model (datasets, predictions, metrics); `cli` and `ui` are thin layers over it.

pub mod cli;
pub mod core;
#[cfg(feature = "gui")]
pub mod ui;
