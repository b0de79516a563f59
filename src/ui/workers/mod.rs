//! The GUI's own background workers: the decoder pool that turns files into tile and inspector
//! pictures, and the on-disk thumbnail store it reads and fills.

pub mod decode_pool;
pub mod picture;
pub mod thumb_store;
