//! The Label next batch in the grid: opening it, its bar (strategy, per class, batch size,
//! progress, export), and leaving it. Labels are given with the usual keys (1-9, 0, L), each a
//! journaled edit with undo; a labelled sample stays in the batch, counted as done.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use eframe::egui;

use crate::core::analysis::label_next::Strategy;
use crate::core::scan::near_duplicates::DEFAULT_NEAR_THRESHOLD;
use crate::core::util::thousands;

use super::super::browse::Browse;
use super::state::LabelNextState;

impl Browse {
    /// Whether the predictions can rank (probabilities or logits, not class names only).
    pub fn can_label_next(&self) -> bool {
        self.loaded
            .predictions
            .as_ref()
            .is_some_and(|p| p.has_probabilities())
    }

    /// Opens the batch: ranks the unlabelled samples, then shows the first ones in the grid.
    pub fn open_label_next(&mut self, ctx: &egui::Context) {
        let Some(p) = self.loaded.predictions.clone() else {
            return;
        };
        let mut state = self
            .label_next
            .take()
            .unwrap_or_else(|| LabelNextState::new(ctx));
        state.ranking = None;
        state.request(
            Arc::clone(&self.loaded.dataset),
            p,
            self.filter.split.map(|s| s as usize),
            self.cache_dir.clone(),
            ctx,
        );
        self.queue = None;
        self.crowd_queue = false;
        self.pinned = Some("the next samples to label".into());
        self.pinned_as_stored = false;
        self.shown.clear();
        self.selected = None;
        self.inspecting = false;
        self.clear_selection();
        self.label_next = Some(state);
    }

    /// Takes a finished ranking and shows it; `true` when the grid changed.
    pub fn poll_label_next(&mut self) -> bool {
        let Some(state) = &mut self.label_next else {
            return false;
        };
        if !state.poll() {
            return false;
        }
        self.shown = state
            .ranking
            .as_ref()
            .map(|r| r.samples.iter().map(|c| c.sample).collect())
            .unwrap_or_default();
        self.selected = None;
        self.inspecting = false;
        true
    }

    /// How many of the batch have a label now.
    pub fn label_next_done(&self) -> usize {
        let Some(r) = self.label_next.as_ref().and_then(|s| s.ranking.as_ref()) else {
            return 0;
        };
        r.samples
            .iter()
            .filter(|c| self.loaded.dataset.label(c.sample as usize).is_some())
            .count()
    }

    /// The batch's bar; returns whether the grid must be filled again (settings changed, left).
    pub fn label_next_bar_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let done = self.label_next_done();
        let Some(state) = &mut self.label_next else {
            return false;
        };
        let mut again = false;
        let mut leave = false;
        let mut export = false;
        ui.horizontal_wrapped(|ui| {
            match (&state.ranking, state.computing()) {
                (_, true) => {
                    ui.spinner();
                    let hashed = state.hashed.load(Ordering::Relaxed);
                    if state.skip_near_duplicates {
                        // The hashing counter moves inside a chunk: look at it ten times a second.
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_millis(100));
                    }
                    if state.skip_near_duplicates && hashed > 0 {
                        ui.strong(format!(
                            "Looking for near-duplicates: {} candidates hashed…",
                            thousands(hashed)
                        ));
                    } else {
                        ui.strong("Ranking the unlabelled samples…");
                    }
                }
                (Some(r), false) => {
                    ui.strong(format!(
                        "Label next: labelled {done} of the next {} ({} unlabelled candidates)",
                        r.samples.len(),
                        r.num_candidates
                    ));
                    if let Some(n) = state.skipped {
                        ui.label(format!(
                            "skipped {n} near-duplicate{}",
                            if n == 1 { "" } else { "s" }
                        ));
                    }
                }
                (None, false) => {}
            }
            ui.separator();
            let label = ui.label("Strategy");
            let before = (
                state.strategy,
                state.per_class,
                state.batch,
                state.skip_near_duplicates,
            );
            egui::ComboBox::from_id_salt("label_next_strategy")
                .selected_text(state.strategy.name())
                .show_ui(ui, |ui| {
                    for s in [Strategy::LeastConfidence, Strategy::Margin, Strategy::Entropy] {
                        ui.selectable_value(&mut state.strategy, s, s.name());
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("least-confidence: 1 - p1; margin: 1 - (p1 - p2); entropy: spread over all classes");
            ui.checkbox(&mut state.per_class, "Per class")
                .on_hover_text("Take turns between predicted classes, so the batch is not all one class");
            ui.add(
                egui::DragValue::new(&mut state.batch)
                    .range(1..=100_000)
                    .prefix("batch of "),
            );
            ui.checkbox(
                &mut state.skip_near_duplicates,
                "Skip near-duplicates of samples already in the batch",
            )
            .on_hover_text(format!(
                "Leaves out a candidate whose picture is within {DEFAULT_NEAR_THRESHOLD} bits (pHash) of one \
                 already taken; media that does not decode is never skipped"
            ));
            again = before
                != (
                    state.strategy,
                    state.per_class,
                    state.batch,
                    state.skip_near_duplicates,
                );
            if ui
                .add_enabled(state.ranking.is_some(), egui::Button::new("Export batch…"))
                .on_hover_text("file_name,predicted,score: a manifest annotation tools import")
                .clicked()
            {
                export = true;
            }
            if ui.button("Leave").clicked() {
                leave = true;
            }
        });
        if let Some(r) = &state.ranking {
            super::histogram::histogram_ui(ui, r);
        }
        if let Some(e) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        state.save_to.ui(ui);
        if let Some(m) = &state.export_message {
            ui.label(m);
        }
        if state.ranking.as_ref().is_some_and(|r| r.samples.is_empty()) && !state.computing() {
            ui.label("No unlabelled sample has a prediction with probabilities.");
        } else {
            ui.label("1-9, 0 or L label the sample under the pointer (or the inspected one); Ctrl+Z undoes");
        }
        if export {
            state.export(&self.loaded.dataset, ui.ctx());
        }
        if leave {
            self.label_next = None;
            self.refresh();
            return true;
        }
        if again {
            let ctx = ui.ctx().clone();
            self.open_label_next(&ctx);
            return true;
        }
        false
    }
}
