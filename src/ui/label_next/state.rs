//! The Label next ranking of the open dataset, computed on a worker thread.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use eframe::egui;

use crate::core::analysis::label_next::{LabelNext, LabelNextOptions, Strategy, label_next};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::{Predictions, quote_field};
use crate::ui::workers::file_dialog::spawn_save;
use crate::ui::workers::latest::LatestWorker;

/// What the worker ranks.
struct Job {
    dataset: Arc<Dataset>,
    predictions: Arc<Predictions>,
    options: LabelNextOptions,
}

/// The batch on screen and the thread that ranks it.
pub struct LabelNextState {
    /// The uncertainty score.
    pub strategy: Strategy,
    /// Round robin over predicted classes (a batch not all of one class).
    pub per_class: bool,
    /// How many samples a batch holds.
    pub batch: usize,
    /// The newest ranking (its `samples` are the batch).
    pub ranking: Option<Arc<LabelNext>>,
    /// Why the newest ranking failed.
    pub error: Option<String>,
    /// What the last export said.
    pub export_message: Option<String>,
    export_tx: Sender<String>,
    export_rx: Receiver<String>,
    worker: Option<LatestWorker<Job, Result<LabelNext, String>>>,
}

impl LabelNextState {
    /// A state with the defaults (least confidence, 100 samples) and its worker thread.
    pub fn new(ctx: &egui::Context) -> Self {
        let waker = ctx.clone();
        let worker = LatestWorker::new(
            "label-next",
            |job: Job, _| {
                label_next(
                    &job.dataset,
                    job.dataset.labels(),
                    &job.predictions,
                    job.options,
                )
                .map_err(|e| e.to_string())
            },
            move || waker.request_repaint(),
        );
        let (export_tx, export_rx) = std::sync::mpsc::channel();
        Self {
            strategy: Strategy::LeastConfidence,
            per_class: false,
            batch: 100,
            ranking: None,
            error: worker
                .as_ref()
                .err()
                .map(|e| format!("could not start: {e}")),
            export_message: None,
            export_tx,
            export_rx,
            worker: worker.ok(),
        }
    }

    /// Ranks the unlabelled samples of `split` (all: `None`) with the current settings.
    pub fn request(
        &mut self,
        dataset: Arc<Dataset>,
        predictions: Arc<Predictions>,
        split: Option<usize>,
    ) {
        let options = LabelNextOptions {
            strategy: self.strategy,
            split,
            include_labelled: false,
            per_class: self.per_class,
            top: Some(self.batch),
        };
        if let Some(w) = &mut self.worker {
            w.request(Job {
                dataset,
                predictions,
                options,
            });
        }
    }

    /// Whether a ranking is being computed.
    pub fn computing(&self) -> bool {
        self.worker.as_ref().is_some_and(LatestWorker::pending)
    }

    /// Takes a finished ranking (and export messages); `true` when a ranking arrived.
    pub fn poll(&mut self) -> bool {
        while let Ok(m) = self.export_rx.try_recv() {
            self.export_message = Some(m);
        }
        match self.worker.as_mut().and_then(LatestWorker::poll) {
            Some(Ok(r)) => {
                self.ranking = Some(Arc::new(r));
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

    /// The batch as the `label-next --out` manifest: `file_name,predicted,score` in batch order.
    pub fn batch_csv(&self, dataset: &Dataset) -> String {
        let mut out = String::from("file_name,predicted,score\n");
        if let Some(r) = &self.ranking {
            for c in &r.samples {
                let class = dataset
                    .classes()
                    .get(c.predicted as usize)
                    .map_or("", String::as_str);
                out.push_str(&format!(
                    "{},{},{}\n",
                    quote_field(dataset.file(c.sample as usize), false),
                    quote_field(class, false),
                    c.score
                ));
            }
        }
        out
    }

    /// Asks where to save the batch and writes it there, on an `export` thread.
    pub fn export(&self, dataset: &Dataset, ctx: &egui::Context) {
        let text = self.batch_csv(dataset);
        let name = format!("label-next-{}.csv", self.strategy.name());
        let tx = self.export_tx.clone();
        let spawned = spawn_save(&name, "CSV", "csv", ctx, move |path| {
            let message = match std::fs::write(path, text) {
                Ok(()) => format!("Saved {}", path.display()),
                Err(e) => format!("Could not save {}: {e}", path.display()),
            };
            tx.send(message).ok();
        });
        if let Err(e) = spawned {
            self.export_tx
                .send(format!("Could not start the export: {e}"))
                .ok();
        }
    }
}
