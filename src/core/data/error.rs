//! Typed errors for everything that reads user files. Each names the file (and the line where there is
//! one), because the person reading the message has to go and fix that file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a dataset or predictions file could not be opened. Cloneable so the GUI can keep it on screen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The path given on the command line or in a dialog does not exist.
    #[error("{path}: no such file or folder", path = .path.display())]
    NotFound { path: PathBuf },

    /// An operating-system error while reading (permissions, a vanished disk).
    #[error("{path}: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        source: Arc<std::io::Error>,
    },

    /// The path exists but is neither a class-folder tree nor a manifest.
    #[error("{path}: {reason}", path = .path.display())]
    NotADataset { path: PathBuf, reason: String },

    /// A malformed row, field or header in a CSV or JSONL file.
    #[error("{path}{line}: {message}", path = .path.display(), line = fmt_line(*.line))]
    Parse {
        path: PathBuf,
        line: Option<u64>,
        message: String,
    },

    /// The user asked for something the data does not have (`--split nope`).
    #[error("{0}")]
    Request(String),

    /// The load was cancelled by the user (GUI Cancel button).
    #[error("loading was cancelled")]
    Cancelled,
}

fn fmt_line(line: Option<u64>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

impl LoadError {
    /// A parse error at a known line of a file.
    pub fn parse(path: &Path, line: u64, message: impl Into<String>) -> Self {
        Self::Parse {
            path: path.to_path_buf(),
            line: Some(line),
            message: message.into(),
        }
    }

    /// A parse error about the file as a whole (no line to point at).
    pub fn parse_file(path: &Path, message: impl Into<String>) -> Self {
        Self::Parse {
            path: path.to_path_buf(),
            line: None,
            message: message.into(),
        }
    }

    /// Wraps an IO error with the file it happened on; a missing file gets its own clearer message.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            Self::Io {
                path: path.to_path_buf(),
                source: Arc::new(source),
            }
        }
    }
}
