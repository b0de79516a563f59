//! What the window shows, and the screens without a dataset: welcome (recent list, path field),
//! loading (progress, Cancel) and failed.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use eframe::egui;

use super::super::browse::Browse;
use super::command::AppCommand;
use super::loader::Loading;
use super::path_field::PathField;
use super::recent::RecentList;

/// What the window shows.
#[derive(Default)]
pub enum Screen {
    /// No dataset yet.
    #[default]
    Welcome,
    /// A dataset loading on its thread.
    Loading(Loading),
    /// A loaded dataset.
    Browsing(Box<Browse>),
    /// A load that failed, and why.
    Failed {
        /// What was being opened.
        path: PathBuf,
        /// Why it failed.
        message: String,
    },
}

/// The welcome screen: what can be opened, the path field, the recent datasets.
pub fn welcome_ui(
    ui: &mut egui::Ui,
    recent: &RecentList,
    path_field: &mut PathField,
    no_dialog: Option<&str>,
    commands: &mut Vec<AppCommand>,
) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.2);
        ui.heading("Open a dataset to spot-check it");
        ui.label("A class-folder tree, a CSV/JSONL manifest, a folder with metadata.csv, or a Hugging Face dataset (a .parquet file, a folder of Parquet shards, a save_to_disk folder)");
        ui.label("Use Open folder… or Open file… above, type a path below, or drop a folder or file on the window");
        if let Some(why) = no_dialog {
            ui.colored_label(ui.visuals().warn_fg_color, why);
        }
        ui.add_space(12.0);
        ui.scope(|ui| {
            ui.set_max_width(640.0);
            if let Some(path) = path_field.ui(ui) {
                commands.push(AppCommand::Open {
                    path,
                    predictions: None,
                });
            }
        });
        ui.add_space(24.0);
        if let Some(r) = recent.ui(ui) {
            commands.push(AppCommand::Reopen {
                predictions: r.all_predictions(),
                path: r.path,
                annotations: r.annotations,
            });
        }
    });
}

/// The loading screen: progress (or a spinner) and Cancel.
pub fn loading_ui(ui: &mut egui::Ui, loading: &Loading) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.3);
        ui.heading(format!("Loading {}…", loading.path.display()));
        let total = loading.control.total.load(Ordering::Relaxed);
        let done = loading.control.progress.load(Ordering::Relaxed);
        if total > 0 {
            let fraction = (done as f32 / total as f32).clamp(0.0, 1.0);
            ui.add(
                egui::ProgressBar::new(fraction)
                    .show_percentage()
                    .desired_width(400.0),
            );
        } else {
            ui.spinner();
        }
        if ui.button("Cancel").clicked() {
            loading.control.cancel();
        }
    });
    // Four updates a second: enough for a progress bar, and rendering takes little from the load.
    ui.request_repaint_after(Duration::from_millis(250));
}

/// The failed screen: what could not be opened and why.
pub fn failed_ui(ui: &mut egui::Ui, path: &std::path::Path, message: &str) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.25);
        ui.heading(format!("Could not open {}", path.display()));
        ui.colored_label(ui.visuals().error_fg_color, message);
        ui.label("Open another folder or manifest with the buttons above");
    });
}
