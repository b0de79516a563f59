//! Numbers over a loaded dataset: metrics, the evaluation views, the `stats` report, likely label
//! errors, and which samples a filter shows. Reads `data`, never writes files.

pub mod balance;
pub mod compare;
pub mod crowd;
pub mod evaluation;
pub mod label_issues;
pub mod label_next;
pub mod metrics;
pub mod precision_recall;
pub mod report;
pub mod stats_partial;
pub mod view;
