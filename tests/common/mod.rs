//! Helpers shared by the integration tests: tiny datasets written into temp folders, and the binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod media;
#[cfg(feature = "gui")]
pub mod ui;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Writes `contents` to `dir/name` (creating folders) and returns the path.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, contents).unwrap();
    path
}

/// Runs the `spotcheck` binary with `args`.
pub fn spotcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spotcheck"))
        .args(args)
        .output()
        .expect("run spotcheck")
}

/// Runs `spotcheck` and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = spotcheck(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A reference script (the pandas + scikit-learn peer, the bench data generator) in tests/reference.
pub fn bench_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("reference")
        .join(name)
}
