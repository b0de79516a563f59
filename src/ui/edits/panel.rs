//! The edits panel beside the grid: whether every edit is saved, undo and redo, the pending edits,
//! "Apply to dataset..." with a preview of what will move or change, review progress per class, and
//! the likely-label-errors queue.

use eframe::egui;

use crate::core::labels::write_back::PlannedWrite;
use crate::core::util::thousands;

use super::super::browse::Browse;
use super::apply_preview::ApplyPreview;
use super::session::JournalCommand;

/// Rows of a long list drawn before "... and N more".
const LIST_LIMIT: usize = 200;

fn shown(label: Option<&str>) -> &str {
    label.unwrap_or("(unlabelled)")
}

impl Browse {
    /// Draws the edits panel.
    pub fn edits_panel_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let Some(session) = self.edits.as_ref() else {
            ui.label("Label edits are not available for this dataset.");
            return;
        };
        ui.heading("Label edits");
        if let Some(e) = &session.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        } else if session.saving() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Saving…");
            });
        } else {
            ui.label("All edits saved")
                .on_hover_text(session.location().db_path.display().to_string());
        }
        let state = session.state().clone();
        let mut undo = false;
        let mut redo = false;
        ui.horizontal(|ui| {
            undo = ui
                .add_enabled(state.undo_depth > 0, egui::Button::new("Undo"))
                .on_hover_text("Ctrl+Z")
                .clicked();
            redo = ui
                .add_enabled(state.redo_depth > 0, egui::Button::new("Redo"))
                .on_hover_text("Ctrl+Shift+Z")
                .clicked();
        });
        if undo {
            self.undo();
        }
        if redo {
            self.redo();
        }
        ui.label(format!(
            "{} pending (not yet in the dataset's files), {} applied",
            state.pending.len(),
            state.applied
        ));
        if let Some(notice) = self.edits.as_ref().and_then(|s| s.notice.clone()) {
            ui.label(notice);
        }
        if ui
            .add_enabled(!state.pending.is_empty(), egui::Button::new("Apply to dataset…"))
            .on_hover_text("Write the pending edits into the dataset: move files between class folders, or rewrite the manifest (the original kept as NAME.bak)")
            .clicked()
        {
            let waker = ctx.clone();
            self.apply_preview = Some(ApplyPreview::start(
                std::sync::Arc::clone(&self.loaded.base),
                state.pending.clone(),
                move || waker.request_repaint(),
            ));
        }
        egui::ScrollArea::vertical()
            .id_salt("pending_edits")
            .max_height(180.0)
            .show(ui, |ui| {
                for p in state.pending.iter().take(LIST_LIMIT) {
                    ui.label(format!(
                        "{}: {} -> {}",
                        p.file,
                        shown(p.from.as_deref()),
                        shown(p.to.as_deref())
                    ));
                }
                if state.pending.len() > LIST_LIMIT {
                    ui.weak(format!("… and {} more", state.pending.len() - LIST_LIMIT));
                }
            });
        ui.separator();
        self.review_ui(ui);
        ui.separator();
        self.queue_panel_ui(ui, &ctx);
        self.apply_preview_ui(&ctx);
    }

    fn review_ui(&mut self, ui: &mut egui::Ui) {
        let Some(session) = self.edits.as_ref() else {
            return;
        };
        let dataset = &self.loaded.dataset;
        let progress = session.review_progress(dataset);
        let (done, total) = progress
            .iter()
            .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
        ui.strong(format!("Reviewed {done} of {total}"));
        ui.weak("R marks the samples under the pointer, selected or inspected as reviewed.");
        egui::ScrollArea::vertical()
            .id_salt("review_progress")
            .max_height(200.0)
            .show(ui, |ui| {
                egui::Grid::new("review_grid")
                    .num_columns(2)
                    .show(ui, |ui| {
                        for (c, (seen, n)) in progress.iter().enumerate() {
                            let name = dataset.classes().get(c).map_or("?", String::as_str);
                            ui.label(format!("{name}: reviewed {seen} of {n}"));
                            let fraction = if *n == 0 {
                                0.0
                            } else {
                                *seen as f32 / *n as f32
                            };
                            ui.add(egui::ProgressBar::new(fraction).desired_width(120.0));
                            ui.end_row();
                        }
                    });
            });
    }

    fn queue_panel_ui(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        ui.strong("Likely label errors");
        let has_probabilities = self
            .loaded
            .predictions
            .as_ref()
            .is_some_and(|p| p.has_probabilities());
        let mut open = false;
        let mut close = false;
        match &self.queue {
            None => {
                open = ui
                    .add_enabled(has_probabilities, egui::Button::new("Find likely label errors"))
                    .on_hover_text("Confident learning (Northcutt et al. 2021) on the predictions: they must be out-of-sample (held-out or cross-validated) for the ranking to mean anything")
                    .on_disabled_hover_text("Needs predictions with prob_<class> or logit_<class> columns")
                    .clicked();
            }
            Some(q) if q.computing() => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Ranking labels…");
                });
            }
            Some(q) => {
                if let Some(e) = &q.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                } else {
                    ui.label(format!(
                        "about {} likely errors among {} labelled samples with probabilities",
                        thousands(q.num_flagged),
                        thousands(q.num_candidates)
                    ));
                    ui.weak(
                        "All of them are ranked, most suspicious first; the flagged ones (marked !) are confident learning's estimate, the ones after them its near misses.",
                    );
                    ui.weak(
                        "A accepts the suggested class, K keeps the label (both mark it reviewed).",
                    );
                }
                ui.horizontal(|ui| {
                    if q.stale {
                        open = ui
                            .button("Recompute")
                            .on_hover_text("Labels changed since the queue was ranked")
                            .clicked();
                    }
                    close = ui.button("Leave the queue").clicked();
                });
            }
        }
        if open {
            self.open_queue(ctx);
        }
        if close {
            self.close_queue();
        }
    }

    fn apply_preview_ui(&mut self, ctx: &egui::Context) {
        let Some(preview) = &mut self.apply_preview else {
            return;
        };
        preview.poll();
        let Some(rows) = &preview.rows else {
            let mut cancel = false;
            egui::Window::new("Apply to dataset")
                .id(egui::Id::unique("apply_preview_checking"))
                .collapsible(false)
                .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
                .show(ctx, |ui| {
                    match &preview.error {
                        Some(e) => {
                            ui.colored_label(ui.visuals().error_fg_color, e);
                        }
                        None => {
                            ui.horizontal(|ui| {
                                ui.spinner();
                                ui.label("Checking the files…");
                            });
                        }
                    }
                    cancel = ui.button("Cancel").clicked();
                });
            if cancel {
                self.apply_preview = None;
            }
            return;
        };
        let mut apply = false;
        let mut cancel = false;
        let writable = rows
            .iter()
            .filter(|(_, w)| !matches!(w, PlannedWrite::Impossible(_)))
            .count();
        egui::Window::new("Apply to dataset")
            .id(egui::Id::unique("apply_preview"))
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ctx, |ui| {
                ui.label(format!(
                    "{writable} of {} pending edit(s) will be written into the dataset's files.",
                    rows.len()
                ));
                // Only the visible lines are laid out: a first frame with hundreds of new lines
                // of text was one long frame.
                let dataset = &self.loaded.dataset;
                let line_height = ui.text_style_height(&egui::TextStyle::Body);
                egui::ScrollArea::vertical().max_height(320.0).show_rows(
                    ui,
                    line_height,
                    rows.len(),
                    |ui, range| {
                        for (p, w) in rows.iter().skip(range.start).take(range.len()) {
                            let line = match w {
                                PlannedWrite::Move { from, to } => format!("move {from} -> {to}"),
                                PlannedWrite::Row { line } => format!(
                                    "{}{}: {} -> {}",
                                    p.file,
                                    where_in_file(dataset, p.sample, *line),
                                    shown(p.from.as_deref()),
                                    shown(p.to.as_deref())
                                ),
                                PlannedWrite::Impossible(why) => {
                                    format!("{}: stays pending: {why}", p.file)
                                }
                            };
                            ui.label(line);
                        }
                    },
                );
                ui.separator();
                ui.horizontal(|ui| {
                    apply = ui
                        .add_enabled(
                            writable > 0,
                            egui::Button::new(format!("Apply {writable} edit(s)")),
                        )
                        .clicked();
                    cancel = ui.button("Cancel").clicked();
                });
            });
        if apply {
            // Exactly the rows the preview showed (the button shows only once they are checked).
            if let (Some(planned), Some(s)) = (preview.rows.clone(), self.edits.as_mut()) {
                s.send(JournalCommand::Apply(planned));
            }
            self.apply_preview = None;
        } else if cancel {
            self.apply_preview = None;
        }
    }
}

/// Where a row edit lands: the manifest line, or a Hugging Face sample's shard and row.
fn where_in_file(
    dataset: &crate::core::data::dataset::Dataset,
    sample: usize,
    line: Option<u64>,
) -> String {
    match dataset.location(sample) {
        Some((shard, row)) => format!(" ({shard} row {row})"),
        None => line.map(|l| format!(" (line {l})")).unwrap_or_default(),
    }
}
