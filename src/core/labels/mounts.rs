//! Which file system the journal lives on, so the journal can pick a SQLite mode that is safe there.
//! WAL keeps its index in shared memory (`-shm`, an mmap), which only works between processes on one
//! host: on NFS, SMB/CIFS and FUSE file systems (sshfs and friends) two machines would each see their
//! own index and corrupt the file. There the journal uses a rollback journal instead. The file system
//! is read from `/proc/self/mountinfo` (the mount with the longest mount point containing the path),
//! which needs no `statfs` call and so no `unsafe`.

use std::path::{Path, PathBuf};

use super::JournalError;

/// The environment variable that forces a journal mode (`wal` or `delete`), for tests and for users
/// who know their network file system's locking works.
pub const MODE_VARIABLE: &str = "SPOTCHECK_JOURNAL_MODE";

/// One line of `/proc/self/mountinfo`: what is mounted where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// The file system type (`ext4`, `nfs4`, `cifs`, `fuse.sshfs`, ...).
    pub fs_type: String,
    /// Mounted read-only (per mount or for the whole file system).
    pub read_only: bool,
}

/// How SQLite keeps the journal's own transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalMode {
    /// Write-ahead log: readers never wait for a writer. Only safe on a local file system.
    Wal,
    /// Rollback journal (`journal_mode=DELETE`, `synchronous=EXTRA`): works wherever file locks work.
    Delete,
}

/// The mode to use and, when it is not the default, why (shown to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeChoice {
    /// The chosen mode.
    pub mode: JournalMode,
    /// Why the rollback journal was chosen, naming the folder and its file system.
    pub note: Option<String>,
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011` tab, `\012` newline, `\134` backslash).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses one mountinfo line: `ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER_OPTIONS`.
fn parse_line(line: &str) -> Option<Mount> {
    let (before, after) = line.split_once(" - ")?;
    let fields: Vec<&str> = before.split(' ').collect();
    let mount_point = fields.get(4)?;
    let options = fields.get(5)?;
    let mut rest = after.split(' ');
    let fs_type = rest.next()?;
    let super_options = rest.nth(1).unwrap_or("");
    let is_ro = |opts: &str| opts.split(',').any(|o| o == "ro");
    Some(Mount {
        mount_point: PathBuf::from(unescape(mount_point)),
        fs_type: unescape(fs_type),
        read_only: is_ro(options) || is_ro(super_options),
    })
}

/// The mount holding `path` (absolute, symlinks resolved): the longest mount point that contains it;
/// of two at the same point, the later one (it hides the earlier).
pub fn mount_of(mountinfo: &str, path: &Path) -> Option<Mount> {
    let mut best: Option<Mount> = None;
    for mount in mountinfo.lines().filter_map(parse_line) {
        if !path.starts_with(&mount.mount_point) {
            continue;
        }
        let longer = best.as_ref().is_none_or(|b| {
            mount.mount_point.components().count() >= b.mount_point.components().count()
        });
        if longer {
            best = Some(mount);
        }
    }
    best
}

/// The mount holding `path` on this machine: `path` or its nearest existing ancestor, resolved, looked
/// up in `/proc/self/mountinfo`. `None` where that file does not exist (not Linux) or says nothing.
pub fn mount_of_path(path: &Path) -> Option<Mount> {
    let existing = path.ancestors().find(|p| p.exists())?;
    let resolved = std::fs::canonicalize(existing).ok()?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mount_of(&mountinfo, &resolved)
}

/// Whether SQLite's WAL is unsafe on this file system type: network file systems (several hosts, no
/// shared memory between them) and FUSE file systems (often network ones, like sshfs; their mmap
/// coherence is up to each one). A FUSE file system over a local block device (`fuseblk`) is local.
pub fn wal_is_unsafe(fs_type: &str) -> bool {
    const NETWORK: [&str; 14] = [
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "fuse",
    ];
    NETWORK.contains(&fs_type) || fs_type.starts_with("fuse.")
}

/// Picks the journal mode for a journal in `folder` on `mount`, or as `forced` (the value of
/// [`MODE_VARIABLE`]) says. An unknown forced value is an error naming the variable.
pub fn choose_mode(
    forced: Option<&str>,
    mount: Option<&Mount>,
    folder: &Path,
) -> Result<ModeChoice, JournalError> {
    match forced.map(str::trim) {
        Some("wal") | Some("WAL") => {
            return Ok(ModeChoice {
                mode: JournalMode::Wal,
                note: None,
            });
        }
        Some("delete") | Some("DELETE") => {
            return Ok(ModeChoice {
                mode: JournalMode::Delete,
                note: Some(format!(
                    "{}: the label journal uses a rollback journal ({MODE_VARIABLE}=delete)",
                    folder.display()
                )),
            });
        }
        Some(other) if !other.is_empty() => {
            return Err(JournalError::Request(format!(
                "{MODE_VARIABLE}={other:?}: expected `wal` or `delete`"
            )));
        }
        _ => {}
    }
    match mount {
        Some(m) if wal_is_unsafe(&m.fs_type) => Ok(ModeChoice {
            mode: JournalMode::Delete,
            note: Some(format!(
                "{}: on a {} file system (mounted at {}), where SQLite's write-ahead log is not safe between machines; the label journal uses a rollback journal instead (slower, and edits from two machines wait for each other's file lock)",
                folder.display(),
                m.fs_type,
                m.mount_point.display()
            )),
        }),
        _ => Ok(ModeChoice {
            mode: JournalMode::Wal,
            note: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real machine's mountinfo: root on ext4, an NFS share, an SMB share with a space in its
    /// path, sshfs, a read-only bind mount, and a tmpfs hiding part of the NFS tree.
    const MOUNTINFO: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
40 27 0:50 / /data rw,relatime shared:5 - nfs4 server:/export rw,vers=4.2
41 40 0:51 / /data/scratch rw,relatime - tmpfs tmpfs rw
42 27 0:52 / /mnt/team\\040share rw,relatime - cifs //host/share rw,vers=3.1.1
43 27 0:53 / /home/u/remote rw,nosuid,nodev - fuse.sshfs u@host:/ rw,user_id=0
44 27 254:0 /srv/copy /mnt/copy ro,relatime - ext4 /dev/vda rw
45 27 0:54 / /media/usb rw - fuseblk /dev/sdb1 rw
";

    fn fs(path: &str) -> (String, bool) {
        let m = mount_of(MOUNTINFO, Path::new(path)).unwrap();
        (m.fs_type, m.read_only)
    }

    #[test]
    fn the_longest_mount_point_wins() {
        assert_eq!(fs("/home/u/ds/.spotcheck"), ("ext4".into(), false));
        assert_eq!(fs("/data/ds/.spotcheck"), ("nfs4".into(), false));
        assert_eq!(fs("/data/scratch/ds"), ("tmpfs".into(), false));
        // A path that only shares a prefix of characters is not under the mount.
        assert_eq!(fs("/database/ds"), ("ext4".into(), false));
        assert_eq!(fs("/mnt/team share/ds"), ("cifs".into(), false));
        assert_eq!(fs("/home/u/remote/ds"), ("fuse.sshfs".into(), false));
        assert_eq!(fs("/mnt/copy/ds"), ("ext4".into(), true));
    }

    #[test]
    fn network_and_fuse_file_systems_get_a_rollback_journal_with_a_note() {
        for (path, expected) in [
            ("/home/u/ds/.spotcheck", JournalMode::Wal),
            ("/data/ds/.spotcheck", JournalMode::Delete),
            ("/data/scratch/ds/.spotcheck", JournalMode::Wal),
            ("/mnt/team share/ds/.spotcheck", JournalMode::Delete),
            ("/home/u/remote/ds/.spotcheck", JournalMode::Delete),
            ("/media/usb/ds/.spotcheck", JournalMode::Wal),
        ] {
            let folder = Path::new(path);
            let mount = mount_of(MOUNTINFO, folder);
            let choice = choose_mode(None, mount.as_ref(), folder).unwrap();
            assert_eq!(choice.mode, expected, "{path}");
            if expected == JournalMode::Delete {
                let note = choice.note.unwrap();
                assert!(note.contains(path) && note.contains("rollback"), "{note}");
            } else {
                assert_eq!(choice.note, None);
            }
        }
        for ty in ["nfs", "cifs", "smb3", "fuse", "fuse.rclone"] {
            assert!(wal_is_unsafe(ty), "{ty}");
        }
        for ty in ["ext4", "xfs", "btrfs", "tmpfs", "overlay", "fuseblk", "zfs"] {
            assert!(!wal_is_unsafe(ty), "{ty}");
        }
    }

    #[test]
    fn the_variable_overrides_and_a_bad_value_is_named() {
        let nfs = mount_of(MOUNTINFO, Path::new("/data/ds"));
        let folder = Path::new("/data/ds/.spotcheck");
        let wal = choose_mode(Some("wal"), nfs.as_ref(), folder).unwrap();
        assert_eq!(wal.mode, JournalMode::Wal);
        let local = mount_of(MOUNTINFO, Path::new("/home/u"));
        let delete = choose_mode(Some("delete"), local.as_ref(), folder).unwrap();
        assert_eq!(delete.mode, JournalMode::Delete);
        let err = choose_mode(Some("memory"), local.as_ref(), folder).unwrap_err();
        assert!(err.to_string().contains(MODE_VARIABLE), "{err}");
        assert_eq!(
            choose_mode(Some(""), nfs.as_ref(), folder).unwrap().mode,
            JournalMode::Delete
        );
    }

    #[test]
    fn this_machine_has_a_mount_for_the_temp_folder() {
        let dir = std::env::temp_dir();
        let mount = mount_of_path(&dir.join("not-yet-created/.spotcheck"));
        assert!(
            mount.is_some(),
            "/proc/self/mountinfo names a mount for {dir:?}"
        );
    }
}
