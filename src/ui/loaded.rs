//! A dataset as the GUI holds it once loaded: the edited and on-disk views of the labels, the
//! predictions, and what the load found. Its own file so every panel can read it without importing
//! the app that owns it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::core::analysis::report::StatsReport;
use crate::core::data::dataset::Dataset;
use crate::core::data::load::{Annotations, Predictions};
use crate::core::data::warnings::Warnings;

use super::models::Models;

/// A finished load.
pub struct Loaded {
    /// What was opened.
    pub path: PathBuf,
    /// The selected model's predictions file (see `models`).
    pub predictions_path: Option<PathBuf>,
    /// The dataset with its edited labels (shared with the threads that compute views).
    pub dataset: Arc<Dataset>,
    /// The selected model's predictions, when a file was given (every single-model view uses it).
    pub predictions: Option<Arc<Predictions>>,
    /// Every predictions file opened with it, and which one is selected.
    pub models: Models,
    /// The dataset with its labels as on disk (and every class a pending edit names): the edited
    /// labels are rebuilt from it after each edit.
    pub base: Arc<Dataset>,
    /// The annotations file opened with it (several judgements per sample).
    pub annotations_path: Option<PathBuf>,
    /// The judgements, with class ids of the edited labels' classes.
    pub annotations: Option<Arc<Annotations>>,
    /// The judgements with `base`'s class ids (remapped like the predictions after each edit).
    pub base_annotations: Option<Arc<Annotations>>,
    /// The journal as read at load (taken by the edit session).
    pub edited: Option<crate::core::labels::Edited>,
    /// What the load found that did not stop it.
    pub warnings: Warnings,
    /// The numbers `stats` prints; `None` while they are computed, after the grid has shown.
    pub report: Option<StatsReport>,
}

impl Loaded {
    /// Makes model `index` the one the grid, filters and evaluation views follow (ignored when out
    /// of range); `predictions` and `predictions_path` then name it.
    pub fn select_model(&mut self, index: usize) {
        if index < self.models.len() {
            self.models.selected = index;
        }
        self.sync_selected_model();
    }

    /// Sets `predictions` and `predictions_path` from the selected model (after the models changed).
    pub fn sync_selected_model(&mut self) {
        let selected = self.models.selected();
        self.predictions = selected.map(|m| Arc::clone(&m.predictions));
        self.predictions_path = selected.map(|m| m.path.clone());
    }
}
