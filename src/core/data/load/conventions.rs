//! The names every loader agrees on: which folders are splits, which columns hold the file, the
//! label and the split, and which files are media.

use crate::core::media::{AUDIO_EXTENSIONS, IMAGE_EXTENSIONS};

/// First-level folder names that mark a split level (compared case-insensitively).
pub const SPLIT_NAMES: &[&str] = &["train", "val", "valid", "validation", "test", "dev", "eval"];
/// Accepted names of the file column, in order of preference.
pub const FILE_COLUMNS: &[&str] = &["file_name", "path", "filepath", "file", "image", "audio"];
/// Accepted names of the label column, in order of preference.
pub const LABEL_COLUMNS: &[&str] = &["label", "class", "target"];
/// The split column.
pub const SPLIT_COLUMN: &str = "split";

/// Whether `name` has an image or audio extension.
pub fn is_media_file(name: &str) -> bool {
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let ext = ext.to_ascii_lowercase();
    IMAGE_EXTENSIONS.contains(&ext.as_str()) || AUDIO_EXTENSIONS.contains(&ext.as_str())
}
