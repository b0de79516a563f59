//! Closing the window without losing an edit: a close asked for while edits are on their way to
//! the label journal is cancelled, "Saving edits…" shows, and the window closes once the journal
//! threads have committed (or after [`CLOSE_WAIT`]). Journal threads of datasets closed earlier
//! (another dataset opened) are kept here until they finish.

use std::time::{Duration, Instant};

use eframe::egui;

use super::super::edits::session::{CLOSE_WAIT, ClosingJournal};

/// Journal threads still finishing, and a close that waits for them.
#[derive(Default)]
pub struct CloseGuard {
    finishing: Vec<ClosingJournal>,
    waiting_since: Option<Instant>,
    allowed: bool,
}

impl CloseGuard {
    /// Keeps a closed session's journal thread until it has committed.
    pub fn retire(&mut self, journal: ClosingJournal) {
        self.finishing.push(journal);
    }

    /// Once per frame: holds back a close while `saving` (the open session has edits in flight) or
    /// an earlier session's thread runs; closes when they are done, showing "Saving edits…" meanwhile.
    pub fn ui(&mut self, ui: &mut egui::Ui, saving: bool) {
        self.finishing.retain(|j| !j.is_finished());
        let busy = saving || !self.finishing.is_empty();
        let requested = ui.input(|i| i.viewport().close_requested());
        if requested && !self.allowed {
            if busy {
                ui.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.waiting_since.get_or_insert_with(Instant::now);
            } else {
                self.allowed = true;
            }
        }
        let Some(since) = self.waiting_since else {
            return;
        };
        if !busy || since.elapsed() >= CLOSE_WAIT {
            if busy {
                eprintln!("warning: closing with edits not yet confirmed by the label journal");
            }
            self.waiting_since = None;
            self.allowed = true;
            ui.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        egui::Modal::new(egui::Id::unique("closing")).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Saving edits…");
            });
            ui.weak("The window closes when the label journal has them on disk.");
        });
        ui.request_repaint_after(Duration::from_millis(50));
    }
}
