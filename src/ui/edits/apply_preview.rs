//! The write-back preview: each pending edit and what writing it back will do. The file checks
//! (`plan`: a stat per edit, a manifest's line numbers) run on a worker thread, newest request
//! wins, so opening the preview on a large dataset never stalls a frame. Its own file so the browse
//! state can hold it without importing the panel that draws it.

use std::sync::Arc;

use crate::core::data::dataset::Dataset;
use crate::core::labels::Pending;
use crate::core::labels::write_back::{PlannedWrite, plan};
use crate::ui::workers::latest::LatestWorker;

/// What the preview lists: each pending edit and its planned write.
pub type PlannedRows = Vec<(Pending, PlannedWrite)>;

/// What the checks run on: the dataset with its labels on disk, and the pending edits.
type PlanJob = (Arc<Dataset>, Vec<Pending>);

/// The write-back preview, while it is open.
pub struct ApplyPreview {
    /// Each pending edit and what writing it back will do (`None` while the files are checked).
    pub rows: Option<PlannedRows>,
    /// Why the checks could not start.
    pub error: Option<String>,
    worker: Option<LatestWorker<PlanJob, PlannedRows>>,
}

impl ApplyPreview {
    /// Starts checking what writing `pending` into `dataset`'s files would do.
    pub fn start(
        dataset: Arc<Dataset>,
        pending: Vec<Pending>,
        waker: impl Fn() + Send + 'static,
    ) -> Self {
        let worker = LatestWorker::new(
            "apply-preview",
            |(dataset, pending): PlanJob, _| plan(&dataset, &pending),
            waker,
        );
        match worker {
            Ok(mut worker) => {
                worker.request((dataset, pending));
                Self {
                    rows: None,
                    error: None,
                    worker: Some(worker),
                }
            }
            Err(e) => Self {
                rows: None,
                error: Some(format!("could not check the files: {e}")),
                worker: None,
            },
        }
    }

    /// Takes the checks' result when it has arrived.
    pub fn poll(&mut self) {
        if let Some(rows) = self.worker.as_mut().and_then(LatestWorker::poll) {
            self.rows = Some(rows);
            self.worker = None;
        }
    }
}
