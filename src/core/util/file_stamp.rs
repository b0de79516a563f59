//! A file's modification time as one integer, the way caches key "this version of this file".

/// Modification time in nanoseconds since 1970 (0 when the platform cannot say).
pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
