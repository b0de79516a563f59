//! The crowd analysis of the open dataset, computed on a worker thread, and the crowd filter.

use std::sync::Arc;

use eframe::egui;

use crate::core::analysis::crowd::{ConsensusMethod, CrowdAnalysis};
use crate::core::data::load::Annotations;
use crate::ui::workers::latest::LatestWorker;

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
