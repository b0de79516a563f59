//! The dataset model and reading it from disk: columns, the sample index, per-format loaders,
//! predictions, and the findings and errors a load reports.

pub mod columns;
pub mod dataset;
pub mod error;
pub mod hf_source;
pub mod load;
pub mod sample_files;
pub mod sample_media;
pub mod warnings;
