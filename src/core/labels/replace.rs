//! Replacing a manifest so a reader sees the old or the new bytes, never a mix, and nothing another
//! program wrote meanwhile is lost: the new bytes go to a temporary file of a name no one else uses
//! (created, never truncated), the manifest must still have the length and modification time it had
//! when read, the original is kept as a backup that never replaces an older one, and the rename goes
//! over the symlink's target when the manifest is a symlink (the link stays a link).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// What a manifest looked like when it was read: a later change shows in one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// A manifest read for rewriting: the file the bytes came from (a symlink resolved) and its stamp.
#[derive(Debug)]
pub(crate) struct ReadManifest {
    /// The real file (the symlink's target when the manifest is a symlink).
    pub target: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    stamp: Stamp,
}

pub(crate) fn io_reason(what: &str, path: &Path, e: &std::io::Error) -> String {
    let hint = if e.kind() == std::io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(30) {
        " (read-only?)"
    } else {
        ""
    };
    format!("cannot {what} {}: {e}{hint}", path.display())
}

/// Reads `path` (through a symlink) with the stamp it had.
pub(crate) fn read_manifest(path: &Path) -> Result<ReadManifest, String> {
    let target = std::fs::canonicalize(path).map_err(|e| io_reason("find", path, &e))?;
    let stamp = Stamp::of(&target).map_err(|e| io_reason("read", &target, &e))?;
    let bytes = std::fs::read(&target).map_err(|e| io_reason("read", &target, &e))?;
    if bytes.len() as u64 != stamp.len {
        return Err(format!(
            "{} changed while it was read; nothing written",
            target.display()
        ));
    }
    Ok(ReadManifest {
        target,
        bytes,
        stamp,
    })
}

/// A test's stand-in for another program writing the manifest.
#[cfg(test)]
pub(crate) type Hook = Box<dyn FnOnce(&Path)>;

#[cfg(test)]
thread_local! {
    /// Test hook: runs after the new bytes are written, before the stamp check and the rename (what
    /// another program could do in that window).
    pub(crate) static BEFORE_RENAME: std::cell::RefCell<Option<Hook>> =
        const { std::cell::RefCell::new(None) };
}

fn before_rename(_target: &Path) {
    #[cfg(test)]
    if let Some(hook) = BEFORE_RENAME.with(|h| h.borrow_mut().take()) {
        hook(_target);
    }
}

/// Writes `bytes` over `read.target`: temporary file, stamp check, backup, rename, folder fsync.
/// Returns the backup. On any error the manifest is as it was.
pub(crate) fn replace_checked(read: &ReadManifest, bytes: &[u8]) -> Result<PathBuf, String> {
    replace_checked_into(read, bytes, None)
}

/// [`replace_checked`], the backup kept in `backup_dir` instead of beside the file (a Hugging Face
/// shard's `.bak` beside it would be read as data).
pub(crate) fn replace_checked_into(
    read: &ReadManifest,
    bytes: &[u8],
    backup_dir: Option<&Path>,
) -> Result<PathBuf, String> {
    let target = &read.target;
    let dir = parent_dir(target);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "manifest".into());
    let (tmp, mut file) = create_temp(dir, &name)?;
    let write = |file: &mut File| -> std::io::Result<()> {
        file.write_all(bytes)?;
        file.sync_all()?;
        let meta = std::fs::metadata(target)?;
        std::fs::set_permissions(&tmp, meta.permissions())
    };
    let cleanup = |why: String| {
        let _ = std::fs::remove_file(&tmp);
        why
    };
    write(&mut file).map_err(|e| cleanup(io_reason("write", &tmp, &e)))?;
    drop(file);
    before_rename(target);
    match Stamp::of(target) {
        Ok(now) if now == read.stamp => {}
        _ => {
            return Err(cleanup(format!(
                "{} changed since it was read (length or modification time): nothing written; apply again",
                target.display()
            )));
        }
    }
    let backup = match backup_dir {
        Some(b) => std::fs::create_dir_all(b)
            .map_err(|e| io_reason("make the backup folder", b, &e))
            .and_then(|()| keep_backup(b, &name, target)),
        None => keep_backup(dir, &name, target),
    }
    .map_err(cleanup)?;
    std::fs::rename(&tmp, target).map_err(|e| cleanup(io_reason("replace", target, &e)))?;
    sync_dir(dir);
    Ok(backup)
}

/// A new file beside the manifest with a name no other write-back uses (created, never opened over
/// an existing one).
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File), String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{n}.spotcheck-tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_reason("write beside the manifest:", &tmp, &e)),
        }
    }
}

/// Keeps the manifest as `NAME.bak` (or `.bak.2`, ...): a hard link, or a copy into a file created
/// new; an existing backup is never replaced, even by a race with another write-back.
fn keep_backup(dir: &Path, name: &str, target: &Path) -> Result<PathBuf, String> {
    for n in 1..=10_000u32 {
        let candidate = if n == 1 {
            dir.join(format!("{name}.bak"))
        } else {
            dir.join(format!("{name}.bak.{n}"))
        };
        match std::fs::hard_link(target, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => {}
        }
        let mut out = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_reason("keep a backup at", &candidate, &e)),
        };
        let copied = File::open(target)
            .and_then(|mut src| std::io::copy(&mut src, &mut out))
            .and_then(|_| out.sync_all());
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&candidate);
            return Err(io_reason("keep a backup at", &candidate, &e));
        }
        return Ok(candidate);
    }
    Err(format!(
        "{}: 10000 backups already: remove old ones",
        target.display()
    ))
}

use crate::core::util::atomic_file::parent_dir;
pub(crate) use crate::core::util::atomic_file::sync_dir;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temp_file_of_another_write_back_is_never_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("m.csv");
        std::fs::write(&target, b"old").unwrap();
        // What the old fixed name would have been, held by another write-back.
        let theirs = dir.path().join(".m.csv.spotcheck-tmp");
        std::fs::write(&theirs, b"theirs").unwrap();
        let read = read_manifest(&target).unwrap();
        replace_checked(&read, b"new").unwrap();
        assert_eq!(std::fs::read(&theirs).unwrap(), b"theirs");
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn an_existing_backup_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("m.csv");
        std::fs::write(&target, b"v1").unwrap();
        std::fs::write(dir.path().join("m.csv.bak"), b"older").unwrap();
        let read = read_manifest(&target).unwrap();
        let backup = replace_checked(&read, b"v2").unwrap();
        assert_eq!(backup, dir.path().join("m.csv.bak.2"));
        assert_eq!(
            std::fs::read(dir.path().join("m.csv.bak")).unwrap(),
            b"older"
        );
        assert_eq!(std::fs::read(&backup).unwrap(), b"v1");
    }

    #[test]
    fn a_change_between_read_and_rename_aborts_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("m.csv");
        std::fs::write(&target, b"v1").unwrap();
        let read = read_manifest(&target).unwrap();
        BEFORE_RENAME.with(|h| {
            *h.borrow_mut() = Some(Box::new(|p: &Path| {
                std::fs::write(p, b"someone else's longer bytes").unwrap();
            }));
        });
        let err = replace_checked(&read, b"v2").unwrap_err();
        assert!(err.contains("changed since it was read"), "{err}");
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"someone else's longer bytes"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file or backup left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_manifest_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("m.csv"), b"v1").unwrap();
        let link = dir.path().join("m.csv");
        std::os::unix::fs::symlink(real.join("m.csv"), &link).unwrap();
        let read = read_manifest(&link).unwrap();
        replace_checked(&read, b"v2").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(real.join("m.csv")).unwrap(), b"v2");
        assert_eq!(std::fs::read(real.join("m.csv.bak")).unwrap(), b"v1");
    }
}
