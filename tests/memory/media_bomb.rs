//! A decompression bomb is refused from its header, before anything large is allocated. Alone in
//! its own test binary so the process's peak memory is this test's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spotcheck::core::media::{DecodeOptions, ProblemKind, decode_image, make_thumbnail};

#[path = "../common/mod.rs"]
mod common;

/// Peak resident memory of this process in KiB (Linux), if it can be read.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_100000_by_100000_png_is_refused_and_memory_stays_low() {
    let bomb = common::media::png_bomb();
    let err = decode_image(&bomb, Some("png"), &DecodeOptions::default()).unwrap_err();
    assert_eq!(err.kind, ProblemKind::Unsupported);
    assert!(
        err.detail.contains("100000×100000") && err.detail.contains("limit"),
        "{}",
        err.detail
    );
    let err = make_thumbnail(&bomb, Some("png"), 256, 100_000_000).unwrap_err();
    assert_eq!(err.kind, ProblemKind::Unsupported);
    if let Some(kib) = peak_rss_kib() {
        assert!(kib < 200 * 1024, "peak RSS {kib} KiB");
    }
}
