//! "Label next" in the app: the unlabelled samples the model is least sure about, in the grid, in
//! score order (the strategy and the batch size in its bar), labelled with the usual keys (each a
//! journaled edit with undo), with progress and the batch's export. The ranking is computed on a
//! worker thread (`state.rs`); `queue.rs` drives the grid.

pub mod histogram;
pub mod queue;
pub mod state;
