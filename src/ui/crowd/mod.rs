//! Crowd labels in the app: the analysis (vote or Dawid–Skene) computed on a worker thread
//! (`state.rs`), the votes on each tile, the "annotators disagree" and "consensus differs from
//! label" filters and the disagreement queue where A takes the consensus as the label and K keeps it
//! (`queue.rs`). The Annotators view is in `panel.rs`, the inspector's section in `inspector.rs`.

pub mod inspector;
pub mod panel;
pub mod queue;
pub mod state;
