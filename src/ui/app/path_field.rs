//! "Open a path…": a text field for a dataset or predictions path, with Tab completion from the
//! directory listing and the matches listed below it. Always on the welcome screen, and what the
//! Open buttons fall back to where no file dialog can open (no xdg-desktop-portal, no zenity).

use std::path::PathBuf;

use eframe::egui;

use crate::ui::workers::file_dialog::expand_home;

/// Matches listed below the field at most.
const MAX_MATCHES: usize = 12;

/// What the typed path is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPurpose {
    /// A dataset folder or manifest to open.
    Dataset,
    /// A predictions file for the open dataset.
    Predictions,
    /// One more predictions file (another model) for the open dataset.
    AddPredictions,
    /// An annotations file for the open dataset.
    Annotations,
    /// A folder of saliency overlays.
    Overlays,
}

/// The result of completing a partly typed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The text after completion (the common prefix of every match; a folder ends in `/`).
    pub text: String,
    /// Every entry that matches, sorted, folders ending in `/`.
    pub matches: Vec<String>,
}

/// Completes `text` from the listing of the folder it names: entries starting with the last
/// component (hidden ones only when that starts with a dot). `~/` stands for the home folder.
pub fn complete_path(text: &str) -> Completion {
    let expanded = expand_home(text);
    let (dir, prefix) = match expanded.rfind('/') {
        Some(i) => (expanded[..=i].to_string(), expanded[i + 1..].to_string()),
        None => (String::new(), expanded.clone()),
    };
    let listing = if dir.is_empty() { "." } else { dir.as_str() };
    let mut matches: Vec<String> = std::fs::read_dir(listing)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let wanted = name.starts_with(&prefix)
                        && (prefix.starts_with('.') || !name.starts_with('.'));
                    // A symlink to a folder completes as a folder (metadata follows links).
                    let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
                    wanted.then(|| if is_dir { format!("{name}/") } else { name })
                })
                .collect()
        })
        .unwrap_or_default();
    matches.sort();
    let common = match matches.split_first() {
        None => prefix.clone(),
        Some((first, rest)) => rest.iter().fold(first.clone(), |acc, m| {
            let n = acc
                .char_indices()
                .zip(m.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8());
            acc[..n].to_string()
        }),
    };
    let completed = if common.len() >= prefix.len() {
        format!("{dir}{common}")
    } else {
        expanded
    };
    Completion {
        text: completed,
        matches,
    }
}

/// The field, its matches, and what it is for.
pub struct PathField {
    /// The path as typed.
    pub text: String,
    /// What Enter opens it as.
    pub purpose: PathPurpose,
    matches: Vec<String>,
    /// Why the last Open did nothing (no such file).
    error: Option<String>,
    /// Take the keyboard focus on the next frame.
    focus: bool,
}

impl Default for PathField {
    fn default() -> Self {
        Self {
            text: String::new(),
            purpose: PathPurpose::Dataset,
            matches: Vec::new(),
            error: None,
            focus: false,
        }
    }
}

impl PathField {
    /// Gives the field the keyboard on the next frame, for `purpose`.
    pub fn focus_for(&mut self, purpose: PathPurpose) {
        self.purpose = purpose;
        self.focus = true;
    }

    /// Applies Tab completion to the text (also what the Tab key does).
    pub fn complete(&mut self) {
        let c = complete_path(&self.text);
        self.text = c.text;
        self.matches = c.matches;
    }

    /// The field, an Open button and the matches; returns a path to open (one that exists).
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<PathBuf> {
        let id = egui::Id::unique("open_path_field");
        let mut open = false;
        ui.horizontal(|ui| {
            let label = ui.label(match self.purpose {
                PathPurpose::Dataset => "Open a path…",
                PathPurpose::Predictions => "Predictions path",
                PathPurpose::AddPredictions => "Another model's predictions path",
                PathPurpose::Annotations => "Annotations path",
                PathPurpose::Overlays => "Overlays folder path",
            });
            // Tab completes instead of moving the focus (the field keeps it: lock_focus).
            if ui.memory(|m| m.has_focus(id))
                && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Tab))
            {
                self.complete();
            }
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .id(id)
                        .lock_focus(true)
                        .hint_text("/path/to/dataset or manifest.csv (Tab completes)")
                        .desired_width(420.0),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut self.focus) {
                response.request_focus();
            }
            if response.changed() {
                self.matches.clear();
                self.error = None;
            }
            let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            open = ui.button("Open").clicked() || entered;
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let mut picked = None;
        for m in self.matches.iter().take(MAX_MATCHES) {
            if ui.small_button(m).clicked() {
                picked = Some(m.clone());
            }
        }
        if self.matches.len() > MAX_MATCHES {
            ui.weak(format!("… and {} more", self.matches.len() - MAX_MATCHES));
        }
        if let Some(m) = picked {
            let expanded = expand_home(&self.text);
            let dir = expanded.rfind('/').map_or("", |i| &expanded[..=i]);
            self.text = format!("{dir}{m}");
            self.complete();
            self.focus = true;
        }
        if !open || self.text.trim().is_empty() {
            return None;
        }
        let path = PathBuf::from(expand_home(self.text.trim()));
        if path.exists() {
            self.error = None;
            self.matches.clear();
            Some(path)
        } else {
            self.error = Some(format!("No such file or folder: {}", path.display()));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_a_unique_folder_and_lists_several_matches() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("cats")).unwrap();
        std::fs::write(dir.path().join("manifest_a.csv"), "").unwrap();
        std::fs::write(dir.path().join("manifest_b.csv"), "").unwrap();
        std::fs::write(dir.path().join(".hidden"), "").unwrap();
        let root = format!("{}/", dir.path().display());

        let c = complete_path(&format!("{root}ca"));
        assert_eq!(c.text, format!("{root}cats/"));
        assert_eq!(c.matches, ["cats/"]);

        let c = complete_path(&format!("{root}man"));
        assert_eq!(c.text, format!("{root}manifest_"));
        assert_eq!(c.matches, ["manifest_a.csv", "manifest_b.csv"]);

        let c = complete_path(&root);
        assert_eq!(c.matches, ["cats/", "manifest_a.csv", "manifest_b.csv"]);

        let c = complete_path(&format!("{root}zzz"));
        assert_eq!(c.text, format!("{root}zzz"));
        assert!(c.matches.is_empty());
    }
}
