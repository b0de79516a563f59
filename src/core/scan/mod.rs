//! Per-sample jobs over a whole dataset, in parallel: `check` (decode and hash every file) and
//! `thumbs` (write a thumbnail per image).

pub mod byte_budget;
pub mod check;
pub mod thumbs;
