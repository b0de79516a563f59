//! The on-disk thumbnail cache as the app holds it: opened on a thread at start (SQLite may wait on
//! a lock or a slow disk), then ready or off with the reason.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use eframe::egui;

use crate::ui::workers::thumb_store::{DEFAULT_BUDGET_BYTES, ThumbnailStore};

/// The thumbnail store: opening, open, or off (and why).
pub enum StoreState {
    /// Being opened on the `thumb-store-open` thread.
    Opening(Receiver<Result<Arc<ThumbnailStore>, String>>),
    /// Open.
    Ready(Arc<ThumbnailStore>),
    /// Not used, with the reason ("off", or the error).
    Off(String),
}

fn open_now(dir: PathBuf) -> Result<Arc<ThumbnailStore>, String> {
    ThumbnailStore::open(&dir, DEFAULT_BUDGET_BYTES).map_err(|e| {
        eprintln!("warning: {e}; thumbnails will be decoded every time");
        format!("off ({e})")
    })
}

impl StoreState {
    /// Opens the store in `dir` on this thread (`None`: no store).
    pub fn open_blocking(dir: Option<PathBuf>) -> Self {
        match dir.map(open_now) {
            None => Self::Off("off".into()),
            Some(Ok(store)) => Self::Ready(store),
            Some(Err(why)) => Self::Off(why),
        }
    }

    /// Starts opening the store in `dir` on a thread; `poll` takes the result.
    pub fn open_in_background(dir: Option<PathBuf>, ctx: egui::Context) -> Self {
        let Some(dir) = dir else {
            return Self::Off("off".into());
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("thumb-store-open".into())
            .spawn(move || {
                tx.send(open_now(dir)).ok();
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => Self::Opening(rx),
            Err(e) => Self::Off(format!("off ({e})")),
        }
    }

    /// Takes the result of a background open when it has arrived.
    pub fn poll(&mut self) {
        if let Self::Opening(rx) = self {
            match rx.try_recv() {
                Ok(Ok(store)) => *self = Self::Ready(store),
                Ok(Err(why)) => *self = Self::Off(why),
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    *self = Self::Off("off (could not be opened)".into())
                }
            }
        }
    }

    /// Whether the open is still running.
    pub fn opening(&self) -> bool {
        matches!(self, Self::Opening(_))
    }

    /// The store, when open.
    pub fn ready(&self) -> Option<Arc<ThumbnailStore>> {
        match self {
            Self::Ready(store) => Some(Arc::clone(store)),
            _ => None,
        }
    }
}
