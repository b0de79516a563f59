//! File dialogs without blocking a frame: rfd's `AsyncFileDialog` runs on a `file-dialog` thread
//! (its future polled there) and the choice comes back over a channel. Where no dialog can open (no
//! xdg-desktop-portal and no zenity: rfd then answers "cancelled" at once), the app says so and the
//! Open buttons fall back to the path field.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use eframe::egui;

use crate::ui::workers::file_dialog::{TOO_FAST, block_on, why_no_dialog};

/// What the dialog asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKind {
    /// A dataset folder.
    Folder,
    /// A CSV or JSONL manifest.
    Manifest,
    /// A predictions file for the open dataset.
    Predictions,
    /// One more predictions file (another model) for the open dataset.
    AddPredictions,
    /// An annotations file (several judgements per sample) for the open dataset.
    Annotations,
    /// A folder of per-sample saliency overlays.
    Overlays,
}

/// The dialog that is open, if any, and whether dialogs work here at all.
#[derive(Default)]
pub struct FileDialogs {
    running: Option<(DialogKind, Instant, Receiver<Option<PathBuf>>)>,
    /// Why no dialog can open here (the Open buttons use the path field then).
    pub unavailable: Option<String>,
}

impl FileDialogs {
    /// Dialogs, with a first guess at whether any can open (zenity on the PATH, or a session bus
    /// for xdg-desktop-portal).
    pub fn detect() -> Self {
        Self {
            running: None,
            unavailable: why_no_dialog(),
        }
    }

    /// Opens a dialog on its own thread (one at a time).
    pub fn open(&mut self, kind: DialogKind, ctx: &egui::Context) {
        if self.running.is_some() {
            return;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let dialog = rfd::AsyncFileDialog::new();
                let picked = match kind {
                    DialogKind::Folder | DialogKind::Overlays => block_on(dialog.pick_folder()),
                    DialogKind::Manifest => block_on(
                        dialog
                            .add_filter("Dataset file", &["csv", "jsonl", "parquet", "arrow"])
                            .pick_file(),
                    ),
                    DialogKind::Annotations => block_on(
                        dialog
                            .add_filter("Annotations", &["csv", "jsonl", "parquet"])
                            .pick_file(),
                    ),
                    DialogKind::Predictions | DialogKind::AddPredictions => block_on(
                        dialog
                            .add_filter("Predictions", &["csv", "jsonl", "parquet"])
                            .pick_file(),
                    ),
                };
                tx.send(picked.map(|h| h.path().to_path_buf())).ok();
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.running = Some((kind, Instant::now(), rx)),
            Err(e) => self.unavailable = Some(format!("No file dialog could start ({e}).")),
        }
    }

    /// The choice, once the dialog has closed with one.
    pub fn poll(&mut self) -> Option<(DialogKind, PathBuf)> {
        let (kind, started, rx) = self.running.as_ref()?;
        let (kind, started) = (*kind, *started);
        let answer = match rx.try_recv() {
            Err(TryRecvError::Empty) => return None,
            Ok(answer) => answer,
            Err(TryRecvError::Disconnected) => None,
        };
        self.running = None;
        match answer {
            Some(path) => Some((kind, path)),
            None => {
                if started.elapsed() < TOO_FAST {
                    self.unavailable = Some(
                        "No file dialog could open here (it needs xdg-desktop-portal or zenity): \
                         type a path instead."
                            .into(),
                    );
                }
                None
            }
        }
    }
}
