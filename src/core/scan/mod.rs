//! Per-sample jobs over a whole dataset, in parallel: the scan record of each sample (what reading
//! it once tells), `check` (the records aggregated into problems, the EXIF census, byte-identical
//! and near-duplicates), the scan files `scan` writes and `check --from-scan` reads, and `thumbs`.

pub mod byte_budget;
pub mod check;
pub mod near_batch;
pub mod near_duplicates;
pub mod quality;
pub mod record;
pub mod scan_cache;
pub mod scan_file;
pub mod thumbs;
