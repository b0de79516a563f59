//! Helpers shared by the integration tests: tiny datasets written into temp folders, and the binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod media;
#[cfg(feature = "gui")]
pub mod ui;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

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

/// Copies the shipped demo (`assets/demo`) into `to`, leaving out hidden entries: the `.spotcheck`
/// state a user leaves there by trying the app (pending edits, thumbnails) must never change a test.
pub fn copy_demo(to: &Path) {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let walk = walkdir::WalkDir::new(&demo)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(&demo).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// This test process's copy of the demo (made once, see [`copy_demo`]), under the target folder's
/// test scratch space. Copies left by test processes that have ended are removed first.
pub fn demo() -> PathBuf {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-copies");
        std::fs::create_dir_all(&base).unwrap();
        for entry in std::fs::read_dir(&base).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let alive = name
                .parse::<u32>()
                .is_ok_and(|pid| Path::new("/proc").join(pid.to_string()).exists());
            if !alive {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let copy = base.join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&copy);
        copy_demo(&copy);
        copy
    })
    .clone()
}

/// A dataset whose three most uncertain candidates are one photo stored three ways (EXIF
/// orientations 1, 3 and 6: the same upright picture, pHash distance 0), then a file that does not
/// decode, then two other photos; two labelled samples give the classes.
pub fn near_duplicate_fixture(dir: &Path) -> (PathBuf, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exif = repo.join("tests/data/exif-orientation-examples");
    let demo = repo.join("assets/demo/train");
    let files = [
        (exif.join("Landscape_1.jpg"), "l1.jpg", "", 0.51),
        (exif.join("Landscape_3.jpg"), "l3.jpg", "", 0.52),
        (exif.join("Landscape_6.jpg"), "l6.jpg", "", 0.53),
        (exif.join("Portrait_1.jpg"), "p1.jpg", "", 0.60),
        (
            demo.join("portrait/portrait_crop00_orientation1.jpg"),
            "pc0.jpg",
            "",
            0.70,
        ),
        (
            demo.join("landscape/landscape_crop01_orientation4.jpg"),
            "lc1.jpg",
            "landscape",
            0.9,
        ),
        (
            demo.join("portrait/portrait_crop02_orientation1.jpg"),
            "pc2.jpg",
            "portrait",
            0.1,
        ),
    ];
    let mut manifest = String::from("file_name,label\n");
    let mut predictions = String::from("file_name,prob_landscape,prob_portrait\n");
    for (from, name, label, p) in files {
        std::fs::copy(from, dir.join(name)).unwrap();
        manifest.push_str(&format!("{name},{label}\n"));
        predictions.push_str(&format!("{name},{p},{}\n", 1.0 - p));
    }
    write(dir, "broken.jpg", b"\xff\xd8\xff not a jpeg at all");
    manifest.push_str("broken.jpg,\n");
    predictions.push_str("broken.jpg,0.55,0.45\n");
    (
        write(dir, "manifest.csv", manifest),
        write(dir, "predictions.csv", predictions),
    )
}
