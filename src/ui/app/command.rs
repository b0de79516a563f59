//! What the bars and screens ask the app to do; collected while laying out and applied after it,
//! in one place (egui demo's `Command`, rerun's `SystemCommand`).

use std::path::PathBuf;

use super::dialogs::DialogKind;
use super::path_field::PathPurpose;

/// One request from the layout.
pub enum AppCommand {
    /// Load a dataset (and predictions).
    Open {
        /// The dataset folder or manifest.
        path: PathBuf,
        /// The predictions file, if any.
        predictions: Option<PathBuf>,
    },
    /// Open a predictions file for the dataset on screen.
    OpenPredictions(PathBuf),
    /// Open one more predictions file (another model) for the dataset on screen.
    AddPredictions(PathBuf),
    /// Load a dataset with these predictions files and annotations (a recent entry, or the
    /// dataset on screen again after a write-back).
    Reopen {
        /// The dataset folder or manifest.
        path: PathBuf,
        /// Every model's predictions file, in order.
        predictions: Vec<PathBuf>,
        /// The annotations file, if any.
        annotations: Option<PathBuf>,
    },
    /// Open an annotations file for the dataset on screen.
    OpenAnnotations(PathBuf),
    /// Show saliency overlays from this folder.
    OpenOverlays(PathBuf),
    /// Ask for a path with a file dialog (or the path field where none can open).
    Pick(DialogKind),
    /// Show the path field for `PathPurpose`.
    TypePath(PathPurpose),
}
