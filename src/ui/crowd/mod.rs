//! Crowd labels in the app: the analysis (vote or Dawid–Skene) computed on a worker thread, the
//! votes on each tile, the "annotators disagree" and "consensus ≠ label" filters, and the
//! disagreement queue where A takes the consensus as the label and K keeps it. The Annotators view
//! is in `panel.rs`, the inspector's section in `inspector.rs`.

pub mod inspector;
pub mod panel;

use std::sync::Arc;

use eframe::egui;

use crate::core::analysis::crowd::{ConsensusMethod, CrowdAnalysis};
use crate::core::data::load::Annotations;
use crate::ui::workers::latest::LatestWorker;

use super::browse::Browse;

/// Which samples the crowd filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrowdFilter {
    /// No crowd filter.
    #[default]
    Any,
    /// Samples whose judgements are not all the same.
    Disagree,
    /// Annotated samples whose consensus is not their label.
    ConsensusDiffers,
}

impl CrowdFilter {
    /// What the toolbar's combo box shows.
    pub fn title(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Disagree => "annotators disagree",
            Self::ConsensusDiffers => "consensus differs from label",
        }
    }
}

/// What the worker computes from.
struct CrowdJob {
    annotations: Arc<Annotations>,
    samples: usize,
    classes: usize,
    method: ConsensusMethod,
}

/// The crowd analysis of the open dataset and the thread that computes it.
pub struct CrowdState {
    /// The consensus method the analysis uses (the Annotators view switches it).
    pub method: ConsensusMethod,
    /// The newest finished analysis.
    pub analysis: Option<Arc<CrowdAnalysis>>,
    /// Why the newest analysis failed.
    pub error: Option<String>,
    worker: Option<LatestWorker<CrowdJob, Result<CrowdAnalysis, String>>>,
}

impl CrowdState {
    /// Starts analysing `annotations` for a dataset of `samples` samples and `classes` classes.
    pub fn start(
        annotations: Arc<Annotations>,
        samples: usize,
        classes: usize,
        ctx: &egui::Context,
    ) -> Self {
        let waker = ctx.clone();
        let worker = LatestWorker::new(
            "crowd",
            |job: CrowdJob, _| {
                CrowdAnalysis::compute(job.samples, &job.annotations, job.classes, job.method)
                    .map_err(|e| e.to_string())
            },
            move || waker.request_repaint(),
        );
        let mut state = Self {
            method: ConsensusMethod::Vote,
            analysis: None,
            error: worker
                .as_ref()
                .err()
                .map(|e| format!("could not start: {e}")),
            worker: worker.ok(),
        };
        state.request(annotations, samples, classes);
        state
    }

    /// Computes the analysis again (the method or the classes changed).
    pub fn request(&mut self, annotations: Arc<Annotations>, samples: usize, classes: usize) {
        if let Some(w) = &mut self.worker {
            w.request(CrowdJob {
                annotations,
                samples,
                classes,
                method: self.method,
            });
        }
    }

    /// Whether an analysis is being computed.
    pub fn computing(&self) -> bool {
        self.worker.as_ref().is_some_and(LatestWorker::pending)
    }

    /// Takes a finished analysis; `true` when one arrived.
    pub fn poll(&mut self) -> bool {
        match self.worker.as_mut().and_then(LatestWorker::poll) {
            Some(Ok(a)) => {
                self.analysis = Some(Arc::new(a));
                self.error = None;
                true
            }
            Some(Err(e)) => {
                self.error = Some(e);
                true
            }
            None => false,
        }
    }
}

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
