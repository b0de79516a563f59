//! Class-folder datasets: `ROOT/[SPLIT/]CLASS/FILE`, as torchvision's `ImageFolder` reads them
//! (files below a class folder at any depth belong to that class; symlinks are followed, loops
//! reported).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::core::data::dataset::{Dataset, DatasetBuilder, DatasetSource};
use crate::core::data::error::LoadError;
use crate::core::data::warnings::{FoldedWarning, UnusableFile, WarningKind, Warnings};
use crate::core::media::ProblemKind;

use super::control::LoadControl;
use super::conventions::{SPLIT_NAMES, is_media_file};

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

struct Walk<'a> {
    root: &'a Path,
    builder: DatasetBuilder,
    control: Option<&'a LoadControl>,
    outside_class: FoldedWarning,
    not_media: FoldedWarning,
    not_utf8: FoldedWarning,
    unreadable: FoldedWarning,
    /// Every file or folder that could not become a sample, for `check` to list.
    unusable: Vec<UnusableFile>,
}

/// Whether the first-level folders are a split level: every one of them is a split name (`train`,
/// `test`, ...). Shared with the distributed scan, which sees only file paths.
pub fn is_split_level<'a>(first_level_folders: impl IntoIterator<Item = &'a str>) -> bool {
    let mut any = false;
    for name in first_level_folders {
        any = true;
        if !SPLIT_NAMES.contains(&name.to_ascii_lowercase().as_str()) {
            return false;
        }
    }
    any
}

/// Where a file at `rel` (a '/'-separated path below the root) belongs in a class-folder dataset:
/// `Some((split, class))` when it is a sample, `None` when the loader skips it (hidden, not media,
/// or not inside a class folder). The same rules as [`load_folder`], for a pipeline that sees only
/// the paths of matched files.
pub fn class_folder_sample(rel: &str, has_split_level: bool) -> Option<(Option<&str>, &str)> {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.iter().any(|p| p.is_empty() || p.starts_with('.')) || !is_media_file(rel) {
        return None;
    }
    match (has_split_level, parts.as_slice()) {
        (true, [split, class, _, ..]) => Some((Some(split), class)),
        (false, [class, _, ..]) => Some((None, class)),
        _ => None,
    }
}

/// Loads a class-folder dataset rooted at `root`.
pub fn load_folder(
    root: &Path,
    control: Option<&LoadControl>,
    warnings: &mut Warnings,
) -> Result<Dataset, LoadError> {
    let top = list_dir(root)?;
    let dirs: Vec<&(PathBuf, String, bool)> = top.iter().filter(|(_, _, is_dir)| *is_dir).collect();
    let split_like = dirs
        .iter()
        .filter(|(_, name, _)| SPLIT_NAMES.contains(&name.to_ascii_lowercase().as_str()))
        .count();
    let has_split_level = is_split_level(dirs.iter().map(|(_, name, _)| name.as_str()));
    if split_like > 0 && !has_split_level {
        let names: Vec<&str> = dirs.iter().map(|(_, n, _)| n.as_str()).collect();
        warnings.note(
            WarningKind::AmbiguousLayout,
            Some(root.to_path_buf()),
            None,
            format!(
                "some first-level folders are split names and some are not ({}), so every first-level folder is read as a class",
                names.join(", ")
            ),
        );
    }

    let mut walk = Walk {
        root,
        builder: DatasetBuilder::default(),
        control,
        outside_class: FoldedWarning::new(WarningKind::SkippedFile, Some(root.to_path_buf())),
        not_media: FoldedWarning::new(WarningKind::SkippedFile, Some(root.to_path_buf())),
        not_utf8: FoldedWarning::new(WarningKind::SkippedFile, Some(root.to_path_buf())),
        unreadable: FoldedWarning::new(WarningKind::SkippedFile, Some(root.to_path_buf())),
        unusable: Vec::new(),
    };
    for (path, name, is_dir) in &top {
        if !*is_dir {
            walk.loose_file(path, name);
            continue;
        }
        if has_split_level {
            for (class_path, class_name, class_is_dir) in &list_dir(path)? {
                if *class_is_dir {
                    walk.class_dir(class_path, class_name, Some(name))?;
                } else {
                    walk.loose_file(class_path, class_name);
                }
            }
        } else {
            walk.class_dir(path, name, None)?;
        }
    }

    let Walk {
        builder,
        outside_class,
        not_media,
        not_utf8,
        unreadable,
        unusable,
        ..
    } = walk;
    for file in unusable {
        warnings.add_unusable(file);
    }
    let loose_media = outside_class.count();
    outside_class.finish(warnings, |n| {
        format!("{n} media file(s) are not inside a class folder and were skipped (expected ROOT/[SPLIT/]CLASS/FILE)")
    });
    not_utf8.finish(warnings, |n| {
        format!("{n} file or folder name(s) are not valid UTF-8 and were skipped; rename them")
    });
    unreadable.finish(warnings, |n| {
        format!("{n} folder entries could not be read and were skipped")
    });
    not_media.finish(warnings, |n| {
        format!("{n} file(s) are not images or audio and were ignored")
    });
    if builder.is_empty() {
        let reason = if loose_media > 0 {
            // The media are there, just not sorted by class: say so rather than "none found".
            format!(
                "{loose_media} image or audio file(s) here are not inside class folders: put them in ROOT/CLASS/ (or ROOT/SPLIT/CLASS/) folders, or list them with their labels in a metadata.csv"
            )
        } else {
            "no image or audio files found: expected class folders (ROOT/CLASS/FILE or ROOT/SPLIT/CLASS/FILE), metadata.csv or metadata.jsonl".into()
        };
        return Err(LoadError::NotADataset {
            path: root.to_path_buf(),
            reason,
        });
    }
    // One walk lists each path once, so there are no repeats to report.
    let (dataset, _) = builder.sort_by_path().finish(
        root.to_path_buf(),
        DatasetSource::Folder { has_split_level },
    );
    Ok(dataset)
}

/// Non-hidden entries of a folder, sorted by name: (path, UTF-8 name, is a folder). Non-UTF-8 names are
/// kept with a lossy name so the caller can report them.
fn list_dir(dir: &Path) -> Result<Vec<(PathBuf, String, bool)>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::io(dir, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| LoadError::io(dir, e))?;
        let name = entry.file_name();
        if is_hidden(&name) {
            continue;
        }
        let path = entry.path();
        // Follow symlinks: a linked class folder is a class folder.
        let is_dir = std::fs::metadata(&path)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        out.push((path, name.to_string_lossy().into_owned(), is_dir));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

impl Walk<'_> {
    fn rel(&mut self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(self.root).unwrap_or(path);
        match rel.to_str() {
            Some(s) => Some(s.replace(std::path::MAIN_SEPARATOR, "/")),
            None => {
                let shown = rel
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                let is_dir = path.is_dir();
                // Folders always (their files are skipped with them); files when they look like media.
                if is_dir || is_media_file(&shown) {
                    let what = if is_dir {
                        "a folder name that is not valid UTF-8: the folder and everything in it were skipped; rename it"
                    } else {
                        "a file name that is not valid UTF-8, so it cannot be a sample id; rename it"
                    };
                    self.unusable.push(UnusableFile {
                        path: shown.clone(),
                        kind: ProblemKind::Unsupported,
                        detail: what.into(),
                    });
                }
                self.not_utf8.add(None, || shown);
                None
            }
        }
    }

    fn loose_file(&mut self, path: &Path, name: &str) {
        if is_media_file(name)
            && let Some(rel) = self.rel(path)
        {
            self.outside_class.add(None, || rel);
        }
    }

    fn class_dir(&mut self, dir: &Path, class: &str, split: Option<&str>) -> Result<(), LoadError> {
        if self.rel(dir).is_none() {
            return Ok(());
        }
        self.builder.declare_class(class);
        let walker = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
        for (n, entry) in walker.enumerate() {
            if n.is_multiple_of(1024) {
                LoadControl::check(self.control)?;
            }
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let path = err.path().map_or_else(String::new, |p| {
                        p.strip_prefix(self.root)
                            .unwrap_or(p)
                            .to_string_lossy()
                            .replace(std::path::MAIN_SEPARATOR, "/")
                    });
                    let reason = err_reason(&err);
                    self.unusable.push(UnusableFile {
                        path: path.clone(),
                        kind: ProblemKind::Unreadable,
                        detail: format!("skipped while listing the dataset: {reason}"),
                    });
                    let shown = if path.is_empty() {
                        reason
                    } else {
                        format!("{path} ({reason})")
                    };
                    self.unreadable.add(None, || shown);
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let Some(rel) = self.rel(entry.path()) else {
                continue;
            };
            if !is_media_file(&rel) {
                self.not_media.add(None, || rel);
                continue;
            }
            if let Some(c) = self.control {
                c.progress.fetch_add(1, Ordering::Relaxed);
            }
            // Paths from one walk are unique, so a duplicate cannot happen; a full column can.
            if self.builder.push(&rel, Some(class), split).is_err() {
                return Err(LoadError::NotADataset {
                    path: self.root.to_path_buf(),
                    reason: "too many samples".into(),
                });
            }
        }
        Ok(())
    }
}

fn err_reason(err: &walkdir::Error) -> String {
    if err.loop_ancestor().is_some() {
        "a symlink loop".into()
    } else if let Some(io) = err.io_error() {
        io.to_string()
    } else {
        err.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_level_needs_every_first_level_folder_to_be_a_split() {
        assert!(is_split_level(["train", "Test"]));
        assert!(!is_split_level(["train", "cats"]));
        assert!(!is_split_level(std::iter::empty()));
    }

    #[test]
    fn class_folder_rules_for_a_path() {
        assert_eq!(class_folder_sample("cat/a.jpg", false), Some((None, "cat")));
        assert_eq!(
            class_folder_sample("cat/deeper/a.JPG", false),
            Some((None, "cat"))
        );
        assert_eq!(
            class_folder_sample("train/cat/a.png", true),
            Some((Some("train"), "cat"))
        );
        // Loose files, hidden parts and non-media are not samples.
        assert_eq!(class_folder_sample("a.jpg", false), None);
        assert_eq!(class_folder_sample("train/a.jpg", true), None);
        assert_eq!(class_folder_sample("cat/.thumbs/a.jpg", false), None);
        assert_eq!(class_folder_sample(".cache/a.jpg", false), None);
        assert_eq!(class_folder_sample("cat/notes.txt", false), None);
    }
}
