//! Leaf helpers that know nothing of datasets: fast exact-enough math shared by the loaders and the
//! metrics.

pub mod fast_math;
pub mod file_stamp;
