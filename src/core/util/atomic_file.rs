//! Output files written whole or not at all: a report, a soft-label table or a balanced manifest is
//! read by a training pipeline, and half a file there is worse than none (it parses, with rows
//! missing). One rule for every such writer: a temporary file beside the target, flushed and
//! synced, renamed over the target, then the folder synced so the rename survives a power cut.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Makes a folder's entries durable (after a create, rename, link or unlink in it). `false` when
/// the folder could not be opened or synced (some file systems refuse): callers that promise
/// durability report it, the others carry on.
pub fn sync_dir(dir: &Path) -> bool {
    File::open(dir).and_then(|d| d.sync_all()).is_ok()
}

/// The folder a relative or absolute output path lives in ("." for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `out` through `write` atomically: readers see the old file or the whole new one, never a
/// part, and a failed write leaves the old file as it was and no temporary file behind. The
/// temporary name carries the process id, so two processes writing the same output do not share
/// it (the later rename wins).
pub fn write_atomically(
    out: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> io::Result<()> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let dir = parent_dir(out);
    let tmp: PathBuf = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let written = (|| {
        let file = File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 16, &file);
        write(&mut w)?;
        w.flush()?;
        drop(w);
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, out)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return written;
    }
    sync_dir(dir);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_finished_write_replaces_the_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("soft.csv");
        std::fs::write(&out, "old\n").unwrap();
        write_atomically(&out, |w| w.write_all(b"file_name,prob_a\nx.jpg,1\n")).unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "file_name,prob_a\nx.jpg,1\n"
        );
        assert_eq!(entries(dir.path()), ["soft.csv"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_removes_the_partial_one() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("soft.csv");
        std::fs::write(&out, "old\n").unwrap();
        let err = write_atomically(&out, |w| {
            w.write_all(b"file_name,prob_a\n")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
        assert_eq!(entries(dir.path()), ["soft.csv"]);
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_file_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("no-such-folder").join("soft.csv");
        assert!(write_atomically(&out, |w| w.write_all(b"x")).is_err());
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_bare_file_name_lives_in_the_current_folder() {
        assert_eq!(parent_dir(Path::new("soft.csv")), Path::new("."));
        assert_eq!(parent_dir(Path::new("/a/soft.csv")), Path::new("/a"));
    }
}
