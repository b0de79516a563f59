//! "Export balanced manifest…" under the class-balance chart: under- or oversampling with a seed, over
//! the view's split or all splits, written by `core::analysis::balance::write_balanced_manifest` (the
//! function `spotcheck balance --resample` runs) on an `export` thread after the save dialog, so the
//! file is byte for byte the command line's on the same labels.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use eframe::egui;

use crate::core::analysis::balance::{Resample, write_balanced_manifest};
use crate::core::data::dataset::Dataset;
use crate::core::util::thousands;
use crate::ui::workers::file_dialog::SaveTo;

/// The export's settings, the write in flight and what the last one said.
pub struct BalanceExport {
    /// Cut every class to the smallest, or fill every class to the largest.
    pub how: Resample,
    /// The resampling seed (the CLI's `--seed`).
    pub seed: u64,
    /// Only the split the view follows (when it follows one), else every split as one pool.
    pub split_only: bool,
    /// A path chosen beforehand: the button writes there without a dialog (tests and scripts, where no
    /// dialog can open).
    pub preset_path: Option<PathBuf>,
    /// What the last export said: `Ok` the rows written, `Err` why not (naming the file).
    pub message: Option<Result<String, String>>,
    /// Open while a dialog or a write is under way (its sender lives in the export thread's closure,
    /// so the channel disconnects when the dialog is cancelled or the write is done).
    busy: Option<Receiver<()>>,
    done_tx: Sender<Result<String, String>>,
    done_rx: Receiver<Result<String, String>>,
    /// The dialog, or the path field where none can open.
    save_to: SaveTo,
}

impl Default for BalanceExport {
    fn default() -> Self {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        Self {
            how: Resample::Undersample,
            seed: 0,
            split_only: true,
            preset_path: None,
            message: None,
            busy: None,
            done_tx,
            done_rx,
            save_to: SaveTo::default(),
        }
    }
}

impl BalanceExport {
    /// The settings and the button, for `dataset` (its current labels) and the view's `split`.
    pub fn ui(&mut self, ui: &mut egui::Ui, dataset: &Arc<Dataset>, split: Option<u32>) {
        while let Ok(m) = self.done_rx.try_recv() {
            self.message = Some(m);
        }
        if self.busy.as_ref().is_some_and(|b| {
            matches!(
                b.try_recv(),
                Err(std::sync::mpsc::TryRecvError::Disconnected)
            )
        }) {
            self.busy = None;
        }
        let busy = self.busy.is_some();
        ui.separator();
        ui.strong("Balanced manifest");
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.how, Resample::Undersample, "Undersample")
                .on_hover_text("Every class cut to the smallest class's count (seeded, no repeats)");
            ui.radio_value(&mut self.how, Resample::Oversample, "Oversample")
                .on_hover_text(
                    "Every class filled to the largest class's count (every sample, then seeded repeats)",
                );
            ui.separator();
            let label = ui.label("Seed");
            ui.add(egui::DragValue::new(&mut self.seed).speed(1.0))
                .labelled_by(label.id)
                .on_hover_text("The same seed writes the same manifest, as `spotcheck balance --seed`");
        });
        let split_name = split.and_then(|s| dataset.splits().get(s as usize).cloned());
        if let Some(name) = &split_name {
            ui.horizontal(|ui| {
                ui.label("Samples:");
                ui.radio_value(&mut self.split_only, true, format!("split {name}"));
                ui.radio_value(&mut self.split_only, false, "all splits");
            });
        }
        let split = split.filter(|_| self.split_only && split_name.is_some());
        ui.horizontal(|ui| {
            let clicked = ui
                .add_enabled(
                    !busy,
                    egui::Button::new("Export balanced manifest…"),
                )
                .on_hover_text(
                    "file_name,label[,split] rows, paths relative to the file: it opens as a dataset",
                )
                .clicked();
            // While the path field below waits, nothing is being written yet.
            if busy && !self.save_to.is_asking() {
                ui.spinner();
                ui.label("Choosing a file and writing…");
            }
            if clicked {
                self.start(ui.ctx(), dataset, split);
            }
        });
        self.save_to.ui(ui);
        match &self.message {
            Some(Ok(m)) => {
                ui.label(m);
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            None => {}
        }
    }

    /// The save dialog (or the preset path), then the write, both off the UI thread.
    fn start(&mut self, ctx: &egui::Context, dataset: &Arc<Dataset>, split: Option<u32>) {
        let dataset = Arc::clone(dataset);
        let (how, seed) = (self.how, self.seed);
        let tx = self.done_tx.clone();
        let (alive, busy) = std::sync::mpsc::channel::<()>();
        let write = move |path: &Path| {
            let message = write(&dataset, split, how, seed, path);
            // Not busy before the message arrives: whoever sees the message can export again.
            drop(alive);
            tx.send(message).ok();
        };
        let started = match self.preset_path.clone() {
            Some(path) => {
                let ctx = ctx.clone();
                std::thread::Builder::new()
                    .name("export".into())
                    .spawn(move || {
                        write(&path);
                        ctx.request_repaint();
                    })
                    .map(drop)
            }
            None => {
                let name = format!(
                    "balanced-{}-seed{seed}.csv",
                    match how {
                        Resample::Undersample => "undersample",
                        Resample::Oversample => "oversample",
                    }
                );
                self.save_to.ask(&name, "CSV", "csv", ctx, write)
            }
        };
        match started {
            Ok(()) => self.busy = Some(busy),
            Err(e) => self.message = Some(Err(format!("Could not start the export: {e}"))),
        }
    }
}

/// Writes the manifest; the message for the view.
fn write(
    dataset: &Dataset,
    split: Option<u32>,
    how: Resample,
    seed: u64,
    path: &Path,
) -> Result<String, String> {
    let split = split.map(|s| s as usize);
    match write_balanced_manifest(dataset, dataset.labels(), split, how, seed, path) {
        Ok(summary) => Ok(format!(
            "Wrote {} rows to {} ({} classes x {})",
            thousands(summary.rows as u64),
            path.display(),
            summary.classes,
            thousands(summary.per_class() as u64)
        )),
        Err(e) => Err(format!("Could not write the manifest: {e}")),
    }
}
