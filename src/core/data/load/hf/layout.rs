//! Finding a Hugging Face dataset's shards and splits on disk: a `.parquet` file, the Hub's folder
//! layouts (`data/{split}-NNNNN-of-NNNNN.parquet`, `{config}/{split}/NNNN.parquet`), or a
//! `save_to_disk` folder (`dataset_dict.json`, one folder per split with `state.json`).

use std::path::{Path, PathBuf};

use crate::core::data::error::LoadError;
use crate::core::data::hf_source::{Shard, ShardFormat};

use super::super::conventions::SPLIT_NAMES;

/// How many entries of a folder are looked at when deciding whether it holds Parquet shards (a
/// class-folder dataset with a million files must not be listed twice).
const PEEK_ENTRIES: usize = 256;

/// One shard file before it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardSpec {
    /// The file.
    pub path: PathBuf,
    /// Relative to the dataset folder, `/`-separated.
    pub name: String,
    /// Its split, from the layout.
    pub split: Option<String>,
}

/// A Hugging Face dataset found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HfLayout {
    given: PathBuf,
    root: PathBuf,
    format: ShardFormat,
    shards: Vec<ShardSpec>,
}

impl HfLayout {
    /// The path the user gave.
    pub fn given(&self) -> &Path {
        &self.given
    }

    /// The dataset folder (a single `.parquet` file's folder).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Parquet or Arrow.
    pub fn format(&self) -> ShardFormat {
        self.format
    }

    /// The shard files in name order.
    pub fn shards(&self) -> &[ShardSpec] {
        &self.shards
    }

    /// The `dataset_info.json` beside an Arrow shard (`save_to_disk` keeps the features there).
    pub fn dataset_info_json(&self, shard: &Shard) -> Option<String> {
        let dir = shard.path.parent()?;
        std::fs::read_to_string(dir.join("dataset_info.json")).ok()
    }
}

fn rel_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The split a Hub file name says: the prefix before `-NNNNN-of-NNNNN` (`train-00000-of-00003.parquet`).
fn split_from_file_name(stem: &str) -> Option<String> {
    let bytes = stem.as_bytes();
    let mut i = 0;
    while let Some(pos) = stem.get(i..)?.find("-of-") {
        let at = i + pos;
        let digits_before = bytes[..at]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let digits_after = bytes[at + 4..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits_before >= 1 && digits_after >= 1 {
            let prefix_end = at - digits_before;
            if prefix_end >= 1 && bytes[prefix_end - 1] == b'-' {
                let prefix = &stem[..prefix_end - 1];
                // `data-00000-of-00001` is save_to_disk's, not a split.
                if !prefix.is_empty() && prefix != "data" {
                    return Some(prefix.to_string());
                }
            }
            return None;
        }
        i = at + 4;
    }
    None
}

/// The split of a Parquet shard at `rel` (relative path components).
fn parquet_split(rel: &[String]) -> Option<String> {
    let (file, dirs) = rel.split_last()?;
    let stem = file.strip_suffix(".parquet").unwrap_or(file);
    // `{config}/{split}/0000.parquet`: the folder above a numbered file is its split.
    if stem.bytes().all(|b| b.is_ascii_digit())
        && dirs.len() >= 2
        && let Some(d) = dirs.last()
    {
        return Some(d.clone());
    }
    if let Some(d) = dirs
        .iter()
        .rev()
        .find(|d| SPLIT_NAMES.contains(&d.as_str()))
    {
        return Some(d.clone());
    }
    split_from_file_name(stem)
}

fn is_parquet(name: &str) -> bool {
    name.len() > 8 && name[name.len() - 8..].eq_ignore_ascii_case(".parquet")
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// Whether a folder holds Parquet files within three levels (looking at a few entries per folder).
fn has_parquet(dir: &Path, depth: usize) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut subdirs = Vec::new();
    for entry in entries.take(PEEK_ENTRIES).flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_hidden(name) {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_file() && is_parquet(name) {
            return true;
        }
        if kind.is_dir() {
            subdirs.push(entry.path());
        }
    }
    depth > 0 && subdirs.iter().take(16).any(|d| has_parquet(d, depth - 1))
}

/// Decides whether `path` is a Hugging Face dataset, and lists its shards if so.
pub fn detect_layout(path: &Path) -> Result<Option<HfLayout>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.is_file() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if is_parquet(name) {
            let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let root = if root.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                root
            };
            let stem = name.get(..name.len() - 8).unwrap_or_default();
            return Ok(Some(HfLayout {
                given: path.to_path_buf(),
                root,
                format: ShardFormat::Parquet,
                shards: vec![ShardSpec {
                    path: path.to_path_buf(),
                    name: name.to_string(),
                    split: split_from_file_name(stem),
                }],
            }));
        }
        if name.ends_with(".arrow") {
            let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
            return Ok(Some(HfLayout {
                given: path.to_path_buf(),
                root,
                format: ShardFormat::ArrowStream,
                shards: vec![ShardSpec {
                    path: path.to_path_buf(),
                    name: name.to_string(),
                    split: None,
                }],
            }));
        }
        return Ok(None);
    }
    if path.join("dataset_dict.json").is_file() {
        return saved_dataset_dict(path).map(Some);
    }
    if path.join("state.json").is_file() {
        let shards = arrow_files(path, path, None)?;
        return Ok(Some(HfLayout {
            given: path.to_path_buf(),
            root: path.to_path_buf(),
            format: ShardFormat::ArrowStream,
            shards,
        }));
    }
    if has_parquet(path, 3) {
        return parquet_folder(path).map(Some);
    }
    Ok(None)
}

fn parquet_folder(root: &Path) -> Result<HfLayout, LoadError> {
    let mut shards = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(is_hidden));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let p = e.path().unwrap_or(root).to_path_buf();
            LoadError::Io {
                path: p,
                source: std::sync::Arc::new(std::io::Error::other(e.to_string())),
            }
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            continue;
        };
        if !is_parquet(name) {
            continue;
        }
        let rel: Vec<String> = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        shards.push(ShardSpec {
            path: entry.path().to_path_buf(),
            name: rel.join("/"),
            split: parquet_split(&rel),
        });
    }
    shards.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(HfLayout {
        given: root.to_path_buf(),
        root: root.to_path_buf(),
        format: ShardFormat::Parquet,
        shards,
    })
}

/// The Arrow files of one `save_to_disk` split folder: `state.json`'s `_data_files`, else every
/// `*.arrow` in name order.
fn arrow_files(root: &Path, dir: &Path, split: Option<&str>) -> Result<Vec<ShardSpec>, LoadError> {
    let state_path = dir.join("state.json");
    let mut names: Vec<String> = Vec::new();
    if let Ok(text) = std::fs::read_to_string(&state_path) {
        let state: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| LoadError::parse_file(&state_path, format!("not valid JSON: {e}")))?;
        if let Some(files) = state.get("_data_files").and_then(|f| f.as_array()) {
            names = files
                .iter()
                .filter_map(|f| {
                    f.get("filename")
                        .and_then(|n| n.as_str())
                        .map(str::to_string)
                })
                .collect();
        }
    }
    if names.is_empty() {
        let entries = std::fs::read_dir(dir).map_err(|e| LoadError::io(dir, e))?;
        for e in entries.flatten() {
            if let Some(n) = e.file_name().to_str()
                && n.ends_with(".arrow")
                && !is_hidden(n)
            {
                names.push(n.to_string());
            }
        }
    }
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names
        .into_iter()
        .filter(|n| !n.contains('/') && !n.contains('\\') && n != ".." && n != ".")
        .map(|n| {
            let path = dir.join(&n);
            ShardSpec {
                name: rel_name(root, &path),
                path,
                split: split.map(str::to_string),
            }
        })
        .collect())
}

fn saved_dataset_dict(root: &Path) -> Result<HfLayout, LoadError> {
    let dict_path = root.join("dataset_dict.json");
    let text = std::fs::read_to_string(&dict_path).map_err(|e| LoadError::io(&dict_path, e))?;
    let dict: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| LoadError::parse_file(&dict_path, format!("not valid JSON: {e}")))?;
    let splits: Vec<String> = dict
        .get("splits")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .ok_or_else(|| LoadError::parse_file(&dict_path, "no \"splits\" list"))?;
    let mut shards = Vec::new();
    let mut sorted = splits;
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for split in sorted {
        if split.contains('/') || split.contains('\\') || split.starts_with('.') {
            return Err(LoadError::parse_file(
                &dict_path,
                format!("a split named {split:?}"),
            ));
        }
        let dir = root.join(&split);
        if !dir.is_dir() {
            return Err(LoadError::parse_file(
                &dict_path,
                format!(
                    "lists split {split:?} but there is no folder {}",
                    dir.display()
                ),
            ));
        }
        shards.extend(arrow_files(root, &dir, Some(&split))?);
    }
    Ok(HfLayout {
        given: root.to_path_buf(),
        root: root.to_path_buf(),
        format: ShardFormat::ArrowStream,
        shards,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_from_hub_names() {
        assert_eq!(
            split_from_file_name("train-00000-of-00003"),
            Some("train".into())
        );
        assert_eq!(
            split_from_file_name("unsupervised-00001-of-00002-5f2a"),
            Some("unsupervised".into())
        );
        assert_eq!(split_from_file_name("data-00000-of-00001"), None);
        assert_eq!(split_from_file_name("cifar"), None);
        let rel = |s: &str| s.split('/').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            parquet_split(&rel("plain_text/test/0000.parquet")),
            Some("test".into())
        );
        assert_eq!(
            parquet_split(&rel("data/validation-00000-of-00001.parquet")),
            Some("validation".into())
        );
        assert_eq!(
            parquet_split(&rel("train/part.parquet")),
            Some("train".into())
        );
        assert_eq!(parquet_split(&rel("all.parquet")), None);
    }
}
