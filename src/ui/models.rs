//! The predictions files the app holds at once (one per model), named as the contract names them,
//! and which one the single-model views (grid, filters, evaluation) follow. Its own file so the
//! loader, the edits and the Compare view share it without importing one another.

use std::path::PathBuf;
use std::sync::Arc;

use crate::core::analysis::compare::{common_samples, model_names};
use crate::core::data::columns::NONE;
use crate::core::data::load::Predictions;

/// One predictions file.
#[derive(Clone)]
pub struct Model {
    /// The file's name without its extension, made unique (`model`, `model_2`): the contract's name.
    pub name: String,
    /// The file it was read from (to open it again after a write-back).
    pub path: PathBuf,
    /// Its predictions, with the class ids of the edited labels.
    pub predictions: Arc<Predictions>,
    /// Its predictions with the on-disk labels' class ids (remapped again after each edit).
    pub base: Arc<Predictions>,
}

/// Every loaded model, in the order the files were given, and the selected one.
#[derive(Clone, Default)]
pub struct Models {
    /// The models, in the order given (`--predictions` order, then each "Add predictions…").
    pub list: Vec<Model>,
    /// Index in `list` of the model the grid and the evaluation views follow.
    pub selected: usize,
}

impl Models {
    /// Names each of `files` (path and its parsed predictions) by the contract's rule.
    pub fn new(files: Vec<(PathBuf, Arc<Predictions>)>) -> Self {
        let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
        let list = model_names(&paths)
            .into_iter()
            .zip(files)
            .map(|(name, (path, predictions))| Model {
                name,
                path,
                base: Arc::clone(&predictions),
                predictions,
            })
            .collect();
        Self { list, selected: 0 }
    }

    /// The selected model, if any is loaded.
    pub fn selected(&self) -> Option<&Model> {
        self.list.get(self.selected)
    }

    /// How many models are loaded.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no predictions file is loaded.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The files, in order (to load the same models again).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.list.iter().map(|m| m.path.clone()).collect()
    }

    /// Every model as (name, edited predictions), in order: what multi-model views take.
    pub fn named(&self) -> Vec<(String, Arc<Predictions>)> {
        self.list
            .iter()
            .map(|m| (m.name.clone(), Arc::clone(&m.predictions)))
            .collect()
    }

    /// An edit shown before the journal confirms it added classes: every model's edited
    /// predictions follow the renumbering `table` (to `classes` classes).
    pub fn remap_edited(&mut self, table: &[u32], classes: usize) {
        for m in &mut self.list {
            let mut p = (*m.predictions).clone();
            p.remap_classes(table, classes);
            m.predictions = Arc::new(p);
        }
    }

    /// The labels were rebuilt from disk: every model's edited predictions are its on-disk ones,
    /// renumbered by `table` when the edits added classes.
    pub fn rebuild_from_base(&mut self, table: Option<&[u32]>, classes: usize) {
        for m in &mut self.list {
            m.predictions = match table {
                Some(table) => {
                    let mut p = (*m.base).clone();
                    p.remap_classes(table, classes);
                    Arc::new(p)
                }
                None => Arc::clone(&m.base),
            };
        }
    }
}

/// `labels` with every sample that some model does not predict made unlabelled, so a view computed
/// on them counts only the samples all models predict; `None` with fewer than two models.
pub fn common_labels(labels: &[u32], models: &[Arc<Predictions>]) -> Option<Vec<u32>> {
    if models.len() < 2 {
        return None;
    }
    let refs: Vec<&Predictions> = models.iter().map(Arc::as_ref).collect();
    let mut masked = vec![NONE; labels.len()];
    for i in common_samples(labels, &[], &refs, None) {
        if let (Some(slot), Some(&label)) = (masked.get_mut(i as usize), labels.get(i as usize)) {
            *slot = label;
        }
    }
    Some(masked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_models_selects_nothing() {
        let models = Models::default();
        assert!(models.selected().is_none());
        assert!(models.is_empty());
        assert!(models.paths().is_empty());
    }
}
