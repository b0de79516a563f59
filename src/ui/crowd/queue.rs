//! Browsing with a crowd: starting and refreshing the analysis, the crowd filter over the shown
//! samples, and the disagreement queue (A takes the consensus as the label, K keeps it).

use std::sync::Arc;

use eframe::egui;

use super::super::browse::Browse;
use super::state::{CrowdFilter, CrowdState};

impl Browse {
    /// Starts the crowd analysis when annotations came with the dataset.
    pub fn start_crowd(&mut self, ctx: &egui::Context) {
        if let Some(a) = &self.loaded.annotations {
            self.crowd = Some(CrowdState::start(
                Arc::clone(a),
                self.loaded.dataset.len(),
                self.loaded.dataset.classes().len(),
                ctx,
            ));
        }
    }

    /// Computes the crowd analysis again with the current annotations (classes were added).
    pub fn recompute_crowd(&mut self) {
        let (Some(state), Some(a)) = (&mut self.crowd, &self.loaded.annotations) else {
            return;
        };
        state.request(
            Arc::clone(a),
            self.loaded.dataset.len(),
            self.loaded.dataset.classes().len(),
        );
    }

    /// Renumbers the judgements' classes after an edit added a class (`table`: old id -> new).
    pub fn remap_annotations(&mut self, table: &[u32]) {
        if let Some(a) = &self.loaded.annotations {
            let mut a = (**a).clone();
            a.remap_classes(table);
            self.loaded.annotations = Some(Arc::new(a));
            self.recompute_crowd();
        }
    }

    /// Takes a finished crowd analysis; `true` when the grid should be refiltered.
    pub fn poll_crowd(&mut self) -> bool {
        let arrived = self.crowd.as_mut().is_some_and(CrowdState::poll);
        if arrived && self.crowd_queue {
            self.open_crowd_queue();
        }
        arrived && self.filter_crowd != CrowdFilter::Any
    }

    /// Keeps the samples of `shown` that pass the crowd filter.
    pub fn retain_crowd(&self, shown: &mut Vec<u32>) {
        if self.filter_crowd == CrowdFilter::Any {
            return;
        }
        let Some(analysis) = self.crowd.as_ref().and_then(|c| c.analysis.as_ref()) else {
            shown.clear();
            return;
        };
        let labels = self.loaded.dataset.labels();
        match self.filter_crowd {
            CrowdFilter::Any => {}
            CrowdFilter::Disagree => {
                shown.retain(|&s| analysis.disagrees.get(s as usize).copied().unwrap_or(false));
            }
            CrowdFilter::ConsensusDiffers => shown.retain(|&s| {
                analysis
                    .consensus_class(s as usize)
                    .is_some_and(|c| labels.get(s as usize) != Some(&(c as u32)))
            }),
        }
    }

    /// Shows the disagreement queue: samples whose judgements differ, least certain consensus first.
    pub fn open_crowd_queue(&mut self) {
        let queue = self
            .crowd
            .as_ref()
            .and_then(|c| c.analysis.as_ref())
            .map(|a| a.queue.clone());
        self.queue = None;
        self.label_next = None;
        self.pinned = Some("annotator disagreements, least certain consensus first".into());
        self.pinned_as_stored = false;
        self.shown = queue.unwrap_or_default();
        self.crowd_queue = true;
        self.selected = None;
        self.inspecting = false;
        self.clear_selection();
    }

    /// A (take the consensus as the label) or K (keep the label) on `targets`, both marking them
    /// reviewed; the inspector moves on to the next sample of the queue.
    pub fn crowd_decide(&mut self, targets: &[usize], accept: bool) {
        let Some(analysis) = self.crowd.as_ref().and_then(|c| c.analysis.clone()) else {
            return;
        };
        let classes = self.loaded.dataset.classes().to_vec();
        let mut by_label: Vec<(String, Vec<usize>)> = Vec::new();
        let mut looked_at = Vec::new();
        for &t in targets {
            let Some(c) = analysis.consensus_class(t) else {
                continue;
            };
            looked_at.push(t);
            let Some(name) = classes.get(c) else { continue };
            if accept && self.loaded.dataset.label(t) != Some(c) {
                match by_label.iter_mut().find(|(l, _)| l == name) {
                    Some((_, v)) => v.push(t),
                    None => by_label.push((name.clone(), vec![t])),
                }
            }
        }
        for (label, samples) in by_label {
            self.relabel(&samples, &label);
        }
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
