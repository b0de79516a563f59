//! The Label next ranking of the open dataset, computed on a worker thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{Receiver, Sender};

use eframe::egui;

use crate::core::analysis::label_next::{LabelNext, LabelNextOptions, Strategy, label_next};
use crate::core::data::dataset::Dataset;
use crate::core::data::load::{Predictions, quote_field};
use crate::core::scan::near_batch::label_next_skipping_near_duplicates;
use crate::core::scan::near_duplicates::DEFAULT_NEAR_THRESHOLD;
use crate::core::scan::scan_cache::ScanCache;
use crate::ui::workers::file_dialog::SaveTo;
use crate::ui::workers::latest::{LatestWorker, Staleness};

/// What the worker ranks.
struct Job {
    dataset: Arc<Dataset>,
    predictions: Arc<Predictions>,
    options: LabelNextOptions,
    /// Skip near-duplicates of samples already in the batch (pHashes from the scan cache here).
    skip_near: Option<NearSkip>,
}

/// How the worker finds pHashes, and where it counts them.
struct NearSkip {
    cache_dir: Option<PathBuf>,
    hashed: Arc<AtomicU64>,
    waker: egui::Context,
}

/// A ranking and, when near-duplicates were skipped, how many.
struct Ranked {
    ranking: LabelNext,
    skipped: Option<usize>,
}

/// The batch on screen and the thread that ranks it.
pub struct LabelNextState {
    /// The uncertainty score.
    pub strategy: Strategy,
    /// Round robin over predicted classes (a batch not all of one class).
    pub per_class: bool,
    /// How many samples a batch holds.
    pub batch: usize,
    /// Skip candidates within [`DEFAULT_NEAR_THRESHOLD`] bits (pHash) of a sample already taken.
    pub skip_near_duplicates: bool,
    /// The newest ranking (its `samples` are the batch; its histogram covers every candidate).
    pub ranking: Option<Arc<LabelNext>>,
    /// Near-duplicates the newest batch left out (`None`: not asked to).
    pub skipped: Option<usize>,
    /// Candidates hashed so far by the ranking being computed (progress while hashing).
    pub hashed: Arc<AtomicU64>,
    /// Why the newest ranking failed.
    pub error: Option<String>,
    /// What the last export said.
    pub export_message: Option<String>,
    export_tx: Sender<String>,
    export_rx: Receiver<String>,
    /// The export's dialog, or the path field where none can open.
    pub save_to: SaveTo,
    worker: Option<LatestWorker<Job, Result<Ranked, String>>>,
}

/// Ranks on the worker: the batch straight from the ranking, or walked down it skipping
/// near-duplicates (the whole ranking is made then, since the walk may go past the first K).
fn compute(job: Job, stale: &Staleness) -> Result<Ranked, String> {
    let labels = job.dataset.labels();
    let Some(near) = job.skip_near else {
        return label_next(&job.dataset, labels, &job.predictions, job.options)
            .map(|ranking| Ranked {
                ranking,
                skipped: None,
            })
            .map_err(|e| e.to_string());
    };
    // The cache only saves time: without one every candidate walked is decoded.
    let cache = near.cache_dir.and_then(|dir| ScanCache::open(&dir).ok());
    let waker = near.waker.clone();
    let hashed = Arc::clone(&near.hashed);
    // The waker runs once per hashed chunk, through the stop check (the walk asks before each).
    let stop = || {
        waker.request_repaint();
        stale.is_stale()
    };
    label_next_skipping_near_duplicates(
        &job.dataset,
        labels,
        &job.predictions,
        job.options,
        DEFAULT_NEAR_THRESHOLD,
        cache.as_ref(),
        &hashed,
        stop,
    )
    .map_err(|e| e.to_string())?
    .map(|(ranking, skipped)| Ranked {
        ranking,
        skipped: Some(skipped),
    })
    .ok_or_else(|| "replaced by a newer request".to_string())
}

impl LabelNextState {
    /// A state with the defaults (least confidence, 100 samples) and its worker thread.
    pub fn new(ctx: &egui::Context) -> Self {
        let waker = ctx.clone();
        let worker = LatestWorker::new("label-next", compute, move || waker.request_repaint());
        let (export_tx, export_rx) = std::sync::mpsc::channel();
        Self {
            strategy: Strategy::LeastConfidence,
            per_class: false,
            batch: 100,
            skip_near_duplicates: false,
            ranking: None,
            skipped: None,
            hashed: Arc::new(AtomicU64::new(0)),
            error: worker
                .as_ref()
                .err()
                .map(|e| format!("could not start: {e}")),
            export_message: None,
            export_tx,
            export_rx,
            save_to: SaveTo::default(),
            worker: worker.ok(),
        }
    }

    /// Ranks the unlabelled samples of `split` (all: `None`) with the current settings; pHashes for
    /// skipping near-duplicates are read from and stored in the scan cache in `cache_dir`.
    pub fn request(
        &mut self,
        dataset: Arc<Dataset>,
        predictions: Arc<Predictions>,
        split: Option<usize>,
        cache_dir: Option<PathBuf>,
        ctx: &egui::Context,
    ) {
        let options = LabelNextOptions {
            strategy: self.strategy,
            split,
            include_labelled: false,
            per_class: self.per_class,
            top: Some(self.batch),
        };
        self.hashed = Arc::new(AtomicU64::new(0));
        let skip_near = self.skip_near_duplicates.then(|| NearSkip {
            cache_dir,
            hashed: Arc::clone(&self.hashed),
            waker: ctx.clone(),
        });
        if let Some(w) = &mut self.worker {
            w.request(Job {
                dataset,
                predictions,
                options,
                skip_near,
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
                self.ranking = Some(Arc::new(r.ranking));
                self.skipped = r.skipped;
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
    pub fn export(&mut self, dataset: &Dataset, ctx: &egui::Context) {
        let text = self.batch_csv(dataset);
        let name = format!("label-next-{}.csv", self.strategy.name());
        let tx = self.export_tx.clone();
        let spawned = self.save_to.ask(&name, "CSV", "csv", ctx, move |path| {
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
