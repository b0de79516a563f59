//! Choices the command line makes once for every dataset a process opens (`--text-column`). They
//! live here, set once by `cli::main` before any load, rather than as one more argument threaded
//! through every loader and every command's open path; the app and the tests never set them.

use std::sync::OnceLock;

static TEXT_COLUMN: OnceLock<String> = OnceLock::new();

/// Sets `--text-column NAME` for this process (first call wins).
pub fn set_text_column(name: String) {
    let _ = TEXT_COLUMN.set(name);
}

/// The column `--text-column` names, if it was given.
pub fn text_column() -> Option<&'static str> {
    TEXT_COLUMN.get().map(String::as_str)
}
