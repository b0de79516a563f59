//! Bad media files, each the normal case for a checker: every one is reported by `check` with its
//! kind and a detail that says why, `thumbs` skips it with the same reason and writes no picture for
//! it, and nothing panics or hangs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};

use common::media::{
    ORIENTATION, SHORT, demo_jpeg, marker_offset, noise, png_bomb, small_png, tiff, with_exif,
};
use serde_json::Value;
use spotcheck::core::media::{DecodeOptions, ExifOrientation, ProblemKind, decode_image};

/// Every bad file of the issue, with the kind `check` must give it and words its detail must hold.
fn bad_files() -> Vec<(&'static str, Vec<u8>, ProblemKind, &'static str)> {
    let jpeg = demo_jpeg();
    let sos = marker_offset(&jpeg, 0xDA);
    vec![
        (
            "bad/truncated_header.jpg",
            jpeg[..sos / 2].to_vec(),
            ProblemKind::Unreadable,
            "truncated",
        ),
        (
            "bad/truncated_scan.jpg",
            jpeg[..sos + (jpeg.len() - sos) * 6 / 10].to_vec(),
            ProblemKind::Unreadable,
            "truncated",
        ),
        ("bad/zero.jpg", Vec::new(), ProblemKind::Empty, "0 bytes"),
        (
            "bad/text.png",
            b"this is a text file, not a picture\n".to_vec(),
            ProblemKind::Unreadable,
            "not a PNG",
        ),
        (
            "bad/png_named.jpg",
            small_png(),
            ProblemKind::Unsupported,
            "the content is PNG but the name ends in .jpg",
        ),
        (
            "bad/bomb.png",
            png_bomb(),
            ProblemKind::Unsupported,
            "100000×100000",
        ),
        (
            "bad/noise.wav",
            noise(4096),
            ProblemKind::Unreadable,
            "not a readable audio file",
        ),
        (
            "bad/exif_loop.jpg",
            with_exif(&jpeg, &tiff(8, 1, &[(ORIENTATION, SHORT, 1, 6)], 8)),
            ProblemKind::Unsupported,
            "EXIF block is corrupt",
        ),
        (
            "bad/exif_offset.jpg",
            with_exif(
                &jpeg,
                &tiff(0x00FF_FFF0, 1, &[(ORIENTATION, SHORT, 1, 6)], 0),
            ),
            ProblemKind::Unsupported,
            "EXIF block is corrupt",
        ),
        (
            "bad/exif_60000_entries.jpg",
            with_exif(&jpeg, &tiff(8, 60_000, &[(ORIENTATION, SHORT, 1, 6)], 0)),
            ProblemKind::Unsupported,
            "EXIF block is corrupt",
        ),
        (
            "bad/orientation9.jpg",
            with_exif(&jpeg, &tiff(8, 1, &[(ORIENTATION, SHORT, 1, 9)], 0)),
            ProblemKind::Unsupported,
            "Orientation is 9",
        ),
    ]
}

fn write_dataset(dir: &Path) -> PathBuf {
    let root = dir.join("data");
    for (name, bytes, _, _) in bad_files() {
        common::write(&root, name, bytes);
    }
    common::write(&root, "good/upright.jpg", demo_jpeg());
    common::write(
        &root,
        "good/turned.jpg",
        with_exif(&demo_jpeg(), &tiff(8, 1, &[(ORIENTATION, SHORT, 1, 6)], 0)),
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.jpg");
        std::fs::write(root.join("bad").join(name), demo_jpeg()).unwrap();
    }
    root
}

#[test]
fn check_reports_every_bad_file_with_its_kind_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_dataset(dir.path());
    let (code, stdout, stderr) = common::run(&["check", root.to_str().unwrap(), "--json"]);
    assert_eq!(
        code, 0,
        "check is a report: exit 0 even with problems\n{stderr}"
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let problems = report["problems"].as_array().unwrap();
    let find =
        |file: &str| -> Vec<&Value> { problems.iter().filter(|p| p["file"] == file).collect() };
    for (name, _, kind, words) in bad_files() {
        let found = find(name);
        assert_eq!(found.len(), 1, "{name}: exactly one problem, got {found:?}");
        assert_eq!(found[0]["kind"], kind.as_str(), "{name}: {found:?}");
        let detail = found[0]["detail"].as_str().unwrap();
        assert!(
            detail.contains(words),
            "{name}: detail {detail:?} should say {words:?}"
        );
    }
    #[cfg(unix)]
    {
        let odd = find("bad/caf\u{FFFD}.jpg");
        assert_eq!(odd.len(), 1, "the non-UTF-8 name is reported: {problems:?}");
        assert_eq!(odd[0]["kind"], "unsupported");
        assert!(
            odd[0]["detail"]
                .as_str()
                .unwrap()
                .contains("not valid UTF-8")
        );
    }
    assert!(find("good/upright.jpg").is_empty() && find("good/turned.jpg").is_empty());
    // The good files and the decodable bad ones are in the census; the orientation-9 and corrupt
    // EXIF files count as "none" (their tag was ignored).
    let census = &report["exif_orientation"];
    assert_eq!(census["6"], 1, "{census}");
    assert_eq!(census["1"], 1, "{census}");
    assert_eq!(
        census["none"], 5,
        "{census}: png_named.jpg + 3 corrupt EXIF + orientation 9"
    );
    // Samples: every file with a media name except the non-UTF-8 one, which cannot be a sample id.
    assert_eq!(report["num_samples"], 13);
}

#[test]
fn thumbs_skips_bad_files_with_their_reason_and_writes_no_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_dataset(dir.path());
    let out = dir.path().join("thumbs");
    let (code, _, stderr) = common::run(&[
        "thumbs",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--size",
        "64",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for (name, _, kind, words) in bad_files() {
        let thumb = out.join(format!("{name}.png"));
        let decodable =
            kind != ProblemKind::Unreadable && kind != ProblemKind::Empty && !name.contains("bomb");
        if decodable {
            // A PNG named .jpg, corrupt EXIF, Orientation 9: the pixels still show (as stored).
            assert!(thumb.is_file(), "{name}: the pixels still make a thumbnail");
        } else if name.ends_with(".wav") {
            assert!(!thumb.exists(), "no thumbnail for audio");
        } else {
            assert!(!thumb.exists(), "{name}: no thumbnail for an unusable file");
            let line = stderr
                .lines()
                .find(|l| l.starts_with(&format!("skipped {name}:")))
                .unwrap_or_else(|| panic!("{name} is reported on stderr:\n{stderr}"));
            assert!(line.contains(words), "{line}");
        }
    }
    // The upright thumbnail of the photo tagged 6 is portrait; the stored one is landscape.
    let turned = decode_image(
        &std::fs::read(out.join("good/turned.jpg.png")).unwrap(),
        Some("png"),
        &DecodeOptions::default(),
    )
    .unwrap();
    assert!(turned.pixels.height > turned.pixels.width, "EXIF 6 applied");
    assert!(
        !out.join("good")
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().ends_with(".part") })
    );
}

#[test]
fn corrupt_exif_never_stops_the_pixels_from_showing() {
    for (name, bytes, _, _) in bad_files() {
        if !name.contains("exif") && !name.contains("orientation9") {
            continue;
        }
        let image = decode_image(&bytes, Some("jpg"), &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(matches!(image.exif, ExifOrientation::Ignored(_)), "{name}");
        assert_eq!(
            (image.pixels.width, image.pixels.height),
            image.stored_size,
            "{name}: shown as stored"
        );
    }
}

#[cfg(unix)]
#[test]
fn walking_skips_hidden_files_and_reports_symlink_loops_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    common::write(&root, "cat/a.jpg", demo_jpeg());
    common::write(&root, "cat/.hidden.jpg", b"not looked at");
    common::write(&root, ".cache/dog/b.jpg", b"not looked at either");
    std::os::unix::fs::symlink("..", root.join("cat").join("up")).unwrap();
    let (code, stdout, stderr) = common::run(&["check", root.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["kind"] == "unreadable"
                && p["detail"].as_str().unwrap().contains("symlink loop")),
        "the loop is reported: {problems:?}"
    );
    assert!(
        !stdout.contains("hidden") && !stdout.contains(".cache"),
        "hidden files and folders are skipped: {stdout}"
    );
}
