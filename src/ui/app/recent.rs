//! The recent-datasets list of the welcome screen, kept in eframe's storage and saved as soon as a
//! dataset opens (a killed app keeps its list).

use std::path::PathBuf;

use eframe::egui;

/// A dataset opened before, for the welcome screen (persisted with eframe's storage).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecentDataset {
    /// The dataset path as opened.
    pub path: PathBuf,
    /// The predictions opened with it.
    pub predictions: Option<PathBuf>,
}

/// How many recent datasets the welcome screen lists.
const MAX_RECENT: usize = 10;
/// Storage key of the recent list.
const RECENT_KEY: &str = "recent_datasets";

/// The recent datasets, newest first, and whether the list changed since it was saved.
#[derive(Default)]
pub struct RecentList {
    items: Vec<RecentDataset>,
    unsaved: bool,
}

impl RecentList {
    /// The list as eframe's storage holds it (empty without storage).
    pub fn from_storage(storage: Option<&dyn eframe::Storage>) -> Self {
        Self {
            items: storage
                .and_then(|s| eframe::get_value::<Vec<RecentDataset>>(s, RECENT_KEY))
                .unwrap_or_default(),
            unsaved: false,
        }
    }

    /// Datasets opened before, newest first.
    pub fn items(&self) -> &[RecentDataset] {
        &self.items
    }

    /// Puts `opened` first (once), keeping at most ten.
    pub fn push(&mut self, opened: RecentDataset) {
        self.items.retain(|r| r != &opened);
        self.items.insert(0, opened);
        self.items.truncate(MAX_RECENT);
        self.unsaved = true;
    }

    /// Writes the list (and flushes) when it changed since the last save.
    pub fn save_if_changed(&mut self, storage: Option<&mut (dyn eframe::Storage + '_)>) {
        if self.unsaved
            && let Some(storage) = storage
        {
            self.save(storage);
            storage.flush();
            self.unsaved = false;
        }
    }

    /// Writes the list (eframe's save at exit and every 30 s).
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, RECENT_KEY, &self.items);
    }

    /// The list as links; returns the one clicked.
    pub fn ui(&self, ui: &mut egui::Ui) -> Option<RecentDataset> {
        if self.items.is_empty() {
            return None;
        }
        let mut clicked = None;
        ui.strong("Recent datasets");
        for r in &self.items {
            let text = match &r.predictions {
                Some(p) => format!("{}  (predictions {})", r.path.display(), p.display()),
                None => r.path.display().to_string(),
            };
            if ui.link(text).clicked() {
                clicked = Some(r.clone());
            }
        }
        clicked
    }
}
