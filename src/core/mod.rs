//! The egui-free core: dataset model, loaders, metrics. The CLI and the GUI are thin layers over it.

pub mod check;
pub mod columns;
pub mod dataset;
pub mod decode_pool;
pub mod error;
pub mod evaluation;
pub mod fast_math;
pub mod label_issues;
pub mod load;
pub mod media;
pub mod metrics;
pub mod report;
pub mod sample_files;
pub mod thumb_store;
pub mod thumbs;
pub mod view;
pub mod warnings;
