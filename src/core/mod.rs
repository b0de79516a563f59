//! The egui-free core, in rooms by concern. Lower rooms never import higher ones:
//! `util` < `media` < `data` < `analysis`, `labels` < `scan`; the CLI and the GUI sit on top.
//! `tests/layout.rs` checks that there are no file-level import circles and no upward imports.

pub mod analysis;
pub mod data;
pub mod labels;
pub mod media;
pub mod scan;
pub mod util;
