//! The likely-label-errors queue in the grid: opening, leaving, and A (accept the suggested class)
//! or K (keep the label); both mark the sample reviewed and move to the next.

use std::sync::Arc;

use eframe::egui;

use super::super::browse::Browse;
use super::issue_queue::IssueQueue;

impl Browse {
    /// Opens the queue: computes it, then shows every candidate in the grid, most suspicious first.
    pub fn open_queue(&mut self, ctx: &egui::Context) {
        let Some(p) = self.loaded.predictions.clone() else {
            return;
        };
        self.queue = Some(IssueQueue::start(
            Arc::clone(&self.loaded.dataset),
            p,
            self.filter.split,
            ctx,
        ));
    }

    /// Leaves the queue: the grid shows the filters' samples again.
    pub fn close_queue(&mut self) {
        self.queue = None;
        self.refresh();
    }

    /// Takes the queue's result when it arrives and shows it in the grid.
    pub fn poll_queue(&mut self) -> bool {
        let Some(queue) = &mut self.queue else {
            return false;
        };
        if queue.poll() {
            self.shown = queue.issues.iter().map(|i| i.sample).collect();
            self.selected = None;
            self.inspecting = false;
            self.clear_selection();
            return true;
        }
        false
    }

    /// A (accept the suggestion) or K (keep the label, marked reviewed) on `targets`; the inspector
    /// moves on to the next sample of the queue.
    pub fn queue_decide(&mut self, targets: &[usize], accept: bool) {
        let Some(queue) = &self.queue else {
            return;
        };
        let mut by_label: Vec<(String, Vec<usize>)> = Vec::new();
        let mut looked_at = Vec::new();
        for &t in targets {
            let Some(issue) = queue.issue(t as u32) else {
                continue;
            };
            looked_at.push(t);
            // Low in the ranking the predictions may favour the given label: nothing to accept.
            if accept && issue.suggested != issue.given {
                match by_label
                    .iter_mut()
                    .find(|(l, _)| l.as_str() == &*issue.suggested)
                {
                    Some((_, v)) => v.push(t),
                    None => by_label.push((issue.suggested.to_string(), vec![t])),
                }
            }
        }
        for (label, samples) in by_label {
            self.relabel(&samples, &label);
        }
        // Either way someone looked at it: that is what the review mark records.
        if !looked_at.is_empty()
            && let Some(session) = self.edits.as_mut()
        {
            session.set_reviewed(&self.loaded.base, &looked_at, true);
        }
        if self.inspecting
            && let Some(pos) = self.selected
            && pos + 1 < self.shown.len()
        {
            self.selected = Some(pos + 1);
        }
    }
}
