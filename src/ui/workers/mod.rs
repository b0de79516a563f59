//! The GUI's own background workers: the decoder pool that turns files into tile and inspector
//! pictures, the on-disk thumbnail store it reads and fills, and the newest-request-wins worker
//! behind the stats recompute, the Apply preview and the filter of a large dataset.

pub mod decode_pool;
pub mod file_dialog;
pub mod latest;
pub mod picture;
pub mod thumb_store;
