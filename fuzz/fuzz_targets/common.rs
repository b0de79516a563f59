//! Shared by the fuzz targets: one scratch folder per process, the input written to a file in it,
//! because the library's entry points read files (as they do for users).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The process's scratch folder (kept for the whole run; libFuzzer runs inputs one after another).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
}

/// Empties the scratch folder and writes `data` to `name` in it.
pub fn write_input(name: &str, data: &[u8]) -> PathBuf {
    let dir = scratch();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(&p);
            } else {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write the fuzz input");
    path
}
