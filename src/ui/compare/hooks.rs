//! The Compare view and the model selector wired into [`Browse`]: selecting a model, keeping the
//! views in step with the models and the labels, and the Compare panel beside the grid.

use std::sync::Arc;

use eframe::egui;

use super::panel::compare_panel_ui;
use super::selector::{ModelAction, model_selector_ui};
use super::state::CompareState;
use crate::ui::browse::Browse;
use crate::ui::health::HealthAction;

impl Browse {
    /// Makes model `index` the one the grid, its filters, the summary and the evaluation views
    /// follow.
    pub fn select_model(&mut self, index: usize) {
        if index == self.loaded.models.selected || index >= self.loaded.models.len() {
            return;
        }
        self.loaded.select_model(index);
        self.labels_changed();
        self.refresh();
    }

    /// After the models' predictions changed (an edit renumbered classes, another model was
    /// selected): the evaluation views and the Compare view compute again.
    pub fn models_changed(&mut self) {
        let models = self.loaded.models.named();
        if let Some(panel) = &mut self.evaluation {
            panel.set_models(models);
        }
        if let Some(state) = &mut self.compare {
            state.invalidate();
        }
    }

    /// The model selector above the evaluation views; returns whether the grid's list changed.
    pub fn model_selector_ui(&mut self, ui: &mut egui::Ui) -> bool {
        match model_selector_ui(ui, &self.loaded.models) {
            Some(ModelAction::Select(i)) => {
                self.select_model(i);
                true
            }
            Some(ModelAction::AddPredictions) => {
                self.add_predictions_asked = true;
                false
            }
            None => false,
        }
    }

    /// The Compare view in a panel right of the grid (with two or more models); returns whether
    /// the grid's list changed (a 2×2 cell was clicked).
    pub fn compare_panel_ui(&mut self, ui: &mut egui::Ui) -> bool {
        if !self.compare_open || self.loaded.models.len() < 2 {
            return false;
        }
        let ctx = ui.ctx().clone();
        let state = self.compare.get_or_insert_with(|| CompareState::new(&ctx));
        let dataset = Arc::clone(&self.loaded.dataset);
        let split = self.filter.split;
        state.sync(&dataset, self.loaded.models.named(), split);
        if state.computing() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        let names: Vec<String> = self
            .loaded
            .models
            .list
            .iter()
            .map(|m| m.name.clone())
            .collect();
        let mut picked = None;
        egui::Panel::right("compare")
            .resizable(true)
            .default_size(640.0)
            .show(ui, |ui| {
                picked = compare_panel_ui(ui, state, &dataset, &names, split);
            });
        let Some(cell) = picked else {
            return false;
        };
        self.show_pinned(HealthAction {
            title: cell.title,
            samples: cell.samples,
            as_stored_beside: false,
        });
        true
    }

    /// Keeps in `shown` only the samples every model predicts, while [`Browse::common_only`] is on.
    pub fn retain_common(&self, shown: &mut Vec<u32>) {
        let models = &self.loaded.models.list;
        if !self.common_only || models.len() < 2 {
            return;
        }
        shown.retain(|&s| {
            models
                .iter()
                .all(|m| m.predictions.row_of(s as usize).is_some())
        });
    }

    /// The two models a tile names (the Compare view's A and B; the first two before it opens).
    pub fn tile_pair(&self) -> Option<(usize, usize)> {
        if self.loaded.models.len() < 2 {
            return None;
        }
        Some(self.compare.as_ref().map_or((0, 1), |c| c.pair))
    }
}
