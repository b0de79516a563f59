//! The recent-datasets list of the welcome screen, kept in eframe's storage and saved as soon as a
//! dataset opens (a killed app keeps its list).

use std::path::PathBuf;

use eframe::egui;

/// A dataset opened before, for the welcome screen (persisted with eframe's storage).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecentDataset {
    /// The dataset path as opened.
    pub path: PathBuf,
    /// The (first) model's predictions opened with it. Lists saved before several models and
    /// annotations were remembered have only this field; the two below default to empty.
    pub predictions: Option<PathBuf>,
    /// The other models' predictions, in order (the Compare view's B, C, ...).
    #[serde(default)]
    pub more_predictions: Vec<PathBuf>,
    /// The annotations (crowd labels) opened with it.
    #[serde(default)]
    pub annotations: Option<PathBuf>,
}

impl RecentDataset {
    /// Every model's predictions file, in order.
    pub fn all_predictions(&self) -> Vec<PathBuf> {
        self.predictions
            .iter()
            .chain(&self.more_predictions)
            .cloned()
            .collect()
    }

    /// The welcome screen's link: the path, then what opens with it.
    fn text(&self) -> String {
        let mut with = Vec::new();
        let predictions = self.all_predictions();
        if !predictions.is_empty() {
            let files: Vec<String> = predictions
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            with.push(format!("predictions {}", files.join(", ")));
        }
        if let Some(a) = &self.annotations {
            with.push(format!("annotations {}", a.display()));
        }
        if with.is_empty() {
            self.path.display().to_string()
        } else {
            format!("{}  ({})", self.path.display(), with.join("; "))
        }
    }
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

    /// Puts `opened` first, keeping at most ten. One entry per dataset path: opening it again
    /// (with other models, or after adding one) replaces its files with the latest ones.
    pub fn push(&mut self, opened: RecentDataset) {
        self.items.retain(|r| r.path != opened.path);
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
            if ui.link(r.text()).clicked() {
                clicked = Some(r.clone());
            }
        }
        clicked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recent(path: &str, predictions: &[&str], annotations: Option<&str>) -> RecentDataset {
        RecentDataset {
            path: path.into(),
            predictions: predictions.first().map(PathBuf::from),
            more_predictions: predictions.iter().skip(1).map(PathBuf::from).collect(),
            annotations: annotations.map(PathBuf::from),
        }
    }

    /// eframe's storage in memory.
    #[derive(Default)]
    struct Memory(std::collections::HashMap<String, String>);

    impl eframe::Storage for Memory {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_string(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn a_list_saved_before_several_models_still_reads() {
        let mut storage = Memory::default();
        // As the previous version wrote it: no more_predictions, no annotations.
        eframe::Storage::set_string(
            &mut storage,
            RECENT_KEY,
            r#"[(path: "/data/a", predictions: Some("/data/p.csv")), (path: "/data/b", predictions: None)]"#.into(),
        );
        let list = RecentList::from_storage(Some(&storage));
        assert_eq!(
            list.items(),
            [
                recent("/data/a", &["/data/p.csv"], None),
                recent("/data/b", &[], None)
            ]
        );
        // And what this version writes reads back the same.
        let mut list = list;
        list.push(recent(
            "/data/c",
            &["/data/p.csv", "/data/q.csv"],
            Some("/data/crowd.csv"),
        ));
        list.save(&mut storage);
        assert_eq!(
            RecentList::from_storage(Some(&storage)).items(),
            list.items()
        );
    }

    #[test]
    fn reopening_a_dataset_replaces_its_entry_with_the_latest_files() {
        let mut list = RecentList::default();
        list.push(recent("/data/a", &["/data/p.csv"], None));
        list.push(recent("/data/b", &[], None));
        list.push(recent(
            "/data/a",
            &["/data/p.csv", "/data/q.csv"],
            Some("/data/crowd.csv"),
        ));
        assert_eq!(list.items().len(), 2);
        let first = &list.items()[0];
        assert_eq!(
            first.all_predictions(),
            vec![PathBuf::from("/data/p.csv"), PathBuf::from("/data/q.csv")]
        );
        assert_eq!(
            first.text(),
            "/data/a  (predictions /data/p.csv, /data/q.csv; annotations /data/crowd.csv)"
        );
        assert_eq!(list.items()[1].text(), "/data/b");
    }
}
