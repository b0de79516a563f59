//! Label correction in the GUI: relabel from the grid or the inspector (number keys for the first
//! ten classes, a searchable picker for any class or a new one), multi-select, undo and redo, review
//! marks, the edits panel with write-back, and the likely-label-errors queue. Every edit goes to the
//! shared journal through [`session::EditSession`]; the labels on screen are the files' labels with
//! the journal's pending edits applied.

pub mod apply_preview;
pub mod issue_queue;
pub mod panel;
pub mod picker;
pub mod queue;
pub mod session;

use std::sync::Arc;

use eframe::egui;

use crate::core::analysis::report::{DEFAULT_BINS, StatsReport};
use crate::core::labels::{LabelChange, SoftChange, SoftLabel, validate_label};
use crate::ui::workers::latest::LatestWorker;

use super::browse::{Browse, ReportJob};
use session::JournalCommand;

/// The number keys, in class order: 1 is the first class, ..., 9 the ninth, 0 the tenth.
pub const CLASS_KEYS: [egui::Key; 10] = [
    egui::Key::Num1,
    egui::Key::Num2,
    egui::Key::Num3,
    egui::Key::Num4,
    egui::Key::Num5,
    egui::Key::Num6,
    egui::Key::Num7,
    egui::Key::Num8,
    egui::Key::Num9,
    egui::Key::Num0,
];

/// The key's label for class `k` (of the first ten).
pub fn key_name(k: usize) -> Option<&'static str> {
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]
        .get(k)
        .copied()
}

impl Browse {
    /// The samples an edit applies to: the inspected one; else the multi-selection; else the tile
    /// under the pointer.
    pub fn edit_targets(&self) -> Vec<usize> {
        if self.inspecting {
            return self
                .selected
                .and_then(|pos| self.shown.get(pos))
                .map(|&s| vec![s as usize])
                .unwrap_or_default();
        }
        if self.selection_count > 0 {
            return self
                .selection
                .iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .map(|(i, _)| i)
                .collect();
        }
        self.hovered.map(|s| vec![s as usize]).unwrap_or_default()
    }

    /// Gives `samples` the label `label` (a new class is created): shown at once, saved by the
    /// journal's thread ("Saving..." until it is on disk).
    pub fn relabel(&mut self, samples: &[usize], label: &str) {
        let Some(session) = self.edits.as_mut() else {
            return;
        };
        if samples.is_empty() {
            return;
        }
        let base = &self.loaded.base;
        if let Err(e) = validate_label(base, label) {
            session.error = Some(e.to_string());
            return;
        }
        let changes: Vec<LabelChange> = samples
            .iter()
            .map(|&i| LabelChange {
                file: base.file(i).to_string(),
                disk: base.label(i).and_then(|c| base.classes().get(c)).cloned(),
                to: Some(label.to_string()),
            })
            .collect();
        session.send(JournalCommand::Record(changes));
        // Shown now; the journal's reply rebuilds the same labels from the state on disk.
        let mut dataset = (*self.loaded.dataset).clone();
        let pairs: Vec<(usize, Option<&str>)> = samples.iter().map(|&i| (i, Some(label))).collect();
        let remap = dataset.relabel(&pairs);
        if let Some(table) = &remap {
            self.loaded
                .models
                .remap_edited(table, dataset.classes().len());
            self.loaded.sync_selected_model();
        }
        self.loaded.dataset = Arc::new(dataset);
        if let Some(table) = remap {
            self.remap_annotations(&table);
        }
        self.labels_changed();
    }

    /// Gives `samples` a hand soft label (`None` clears it), recorded by the journal's thread as one
    /// undoable action like a relabel; the hard label stays as it is. Shown once it is saved.
    pub fn soften(&mut self, samples: &[usize], label: Option<SoftLabel>) {
        let Some(session) = self.edits.as_mut() else {
            return;
        };
        if samples.is_empty() {
            return;
        }
        let base = &self.loaded.base;
        for class in label.iter().flat_map(SoftLabel::classes) {
            if let Err(e) = validate_label(base, class) {
                session.error = Some(e.to_string());
                return;
            }
        }
        let changes = samples
            .iter()
            .map(|&i| SoftChange {
                file: base.file(i).to_string(),
                to: label.clone(),
            })
            .collect();
        session.send(JournalCommand::Soften(changes));
    }

    /// Undoes the newest action (of any process sharing the journal).
    pub fn undo(&mut self) {
        if let Some(s) = self.edits.as_mut() {
            s.send(JournalCommand::Undo);
        }
    }

    /// Redoes the newest undone action.
    pub fn redo(&mut self) {
        if let Some(s) = self.edits.as_mut() {
            s.send(JournalCommand::Redo);
        }
    }

    /// Toggles the review mark of `samples` (all marked when any was not).
    pub fn toggle_reviewed(&mut self, samples: &[usize]) {
        let Some(session) = self.edits.as_mut() else {
            return;
        };
        let on = samples.iter().any(|&i| !session.is_reviewed(i));
        session.set_reviewed(&self.loaded.base, samples, on);
    }

    /// Takes the journal's replies and rebuilds the labels when its state changed.
    pub fn poll_edits(&mut self) {
        let Some(session) = self.edits.as_mut() else {
            return;
        };
        session.poll();
        if !std::mem::take(&mut session.changed) {
            return;
        }
        let state = session.state();
        let mut dataset = (*self.loaded.base).clone();
        let remap = dataset.relabel(&state.labels());
        self.loaded
            .models
            .rebuild_from_base(remap.as_deref(), dataset.classes().len());
        self.loaded.sync_selected_model();
        let classes_before = self.loaded.dataset.classes().len();
        self.loaded.dataset = Arc::new(dataset);
        // The judgements follow the same renumbering, from the on-disk classes.
        self.loaded.annotations = self.loaded.base_annotations.clone();
        match remap {
            Some(table) => self.remap_annotations(&table),
            None if classes_before != self.loaded.dataset.classes().len() => {
                self.recompute_crowd();
            }
            None => {}
        }
        self.labels_changed();
    }

    /// After the labels changed: the evaluation views and the summary are computed again.
    pub(crate) fn labels_changed(&mut self) {
        if let Some(panel) = &mut self.evaluation {
            panel.set_data(
                Arc::clone(&self.loaded.dataset),
                self.loaded.predictions.clone(),
            );
        }
        if let Some(queue) = &mut self.queue {
            queue.labels_changed();
        }
        self.models_changed();
        let dataset = Arc::clone(&self.loaded.dataset);
        let predictions = self.loaded.predictions.clone();
        if self.report_worker.is_none() {
            // One thread for every edit's recompute: a burst of edits computes the newest labels.
            self.report_worker = LatestWorker::new(
                "summary",
                |(dataset, predictions): ReportJob, _| {
                    StatsReport::build(&dataset, predictions.as_deref(), None, DEFAULT_BINS)
                },
                || {},
            )
            .ok();
        }
        if let Some(worker) = &mut self.report_worker {
            worker.request((dataset, predictions));
        }
    }

    /// The keys of label correction, when no text field has the keyboard: 1-9 and 0 relabel, L opens
    /// the class picker, R toggles the review mark, Ctrl+Z undoes, Ctrl+Shift+Z (or Ctrl+Y) redoes,
    /// and in the likely-errors queue A accepts the suggestion and K keeps the label.
    pub fn edit_keys(&mut self, ctx: &egui::Context) {
        if self.edits.is_none() || self.picker.is_some() || ctx.egui_wants_keyboard_input() {
            return;
        }
        let classes = self.loaded.dataset.classes().to_vec();
        let mut relabel_to = None;
        let (mut undo, mut redo, mut review, mut pick, mut accept, mut keep) =
            (false, false, false, false, false, false);
        ctx.input_mut(|input| {
            for (k, key) in CLASS_KEYS.iter().enumerate() {
                if k < classes.len() && input.consume_key(egui::Modifiers::NONE, *key) {
                    relabel_to = Some(classes[k].clone());
                }
            }
            redo = input.consume_key(
                egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                egui::Key::Z,
            ) || input.consume_key(egui::Modifiers::COMMAND, egui::Key::Y);
            undo = input.consume_key(egui::Modifiers::COMMAND, egui::Key::Z);
            review = input.consume_key(egui::Modifiers::NONE, egui::Key::R);
            pick = input.consume_key(egui::Modifiers::NONE, egui::Key::L);
            accept = input.consume_key(egui::Modifiers::NONE, egui::Key::A);
            keep = input.consume_key(egui::Modifiers::NONE, egui::Key::K);
        });
        if undo {
            self.undo();
        }
        if redo {
            self.redo();
        }
        let targets = self.edit_targets();
        if let Some(label) = relabel_to {
            self.relabel(&targets, &label);
        }
        if review && !targets.is_empty() {
            self.toggle_reviewed(&targets);
        }
        if pick && !targets.is_empty() {
            self.picker = Some(picker::ClassPicker::new(targets.clone()));
        }
        if (accept || keep) && self.queue.is_some() {
            self.queue_decide(&targets, accept);
        } else if (accept || keep) && self.crowd_queue {
            self.crowd_decide(&targets, accept);
        }
    }

    /// Clicks on a tile with Ctrl (toggle) or Shift (range from the last clicked tile).
    pub fn select_click(&mut self, pos: usize, modifiers: egui::Modifiers) {
        if self.selection.len() != self.loaded.dataset.len() {
            self.selection = vec![false; self.loaded.dataset.len()];
            self.selection_count = 0;
        }
        if modifiers.shift
            && let Some(anchor) = self.anchor
        {
            let (a, b) = (anchor.min(pos), anchor.max(pos));
            for p in a..=b {
                if let Some(&s) = self.shown.get(p) {
                    self.set_selected(s as usize, true);
                }
            }
        } else if let Some(&s) = self.shown.get(pos) {
            let on = !self.selection.get(s as usize).copied().unwrap_or(false);
            self.set_selected(s as usize, on);
        }
        self.anchor = Some(pos);
    }

    fn set_selected(&mut self, sample: usize, on: bool) {
        if let Some(slot) = self.selection.get_mut(sample)
            && *slot != on
        {
            *slot = on;
            if on {
                self.selection_count += 1;
            } else {
                self.selection_count -= 1;
            }
        }
    }

    /// Selects every shown sample.
    pub fn select_all_shown(&mut self) {
        self.clear_selection();
        self.selection = vec![false; self.loaded.dataset.len()];
        for k in 0..self.shown.len() {
            let s = self.shown[k] as usize;
            self.set_selected(s, true);
        }
    }

    /// Clears the multi-selection.
    pub fn clear_selection(&mut self) {
        self.selection.iter_mut().for_each(|s| *s = false);
        self.selection_count = 0;
        self.anchor = None;
    }

    /// Whether `sample` is in the multi-selection.
    pub fn is_selected(&self, sample: usize) -> bool {
        self.selection.get(sample).copied().unwrap_or(false)
    }
}
