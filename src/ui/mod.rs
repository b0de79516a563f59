//! The desktop app (eframe/egui). Only drawing and input live here; every number comes from `core`.

mod app;
mod browse;
mod edits;
pub mod evaluation;
mod grid;
mod inspector;
mod scroll_bench;
mod summary;
mod texture_cache;

use std::path::PathBuf;

pub use app::{App, Loaded, RecentDataset};
pub use browse::{Browse, Tab};

/// Opens the app window, optionally loading a dataset (and predictions) straight away.
pub fn run(
    dataset: Option<PathBuf>,
    predictions: Option<PathBuf>,
    state_dir: Option<PathBuf>,
) -> Result<(), eframe::Error> {
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("spotcheck")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([640.0, 400.0]),
        ..Default::default()
    };
    eframe::run_native(
        "spotcheck",
        options,
        Box::new(move |cc| {
            let mut app = App::new(cc).with_state_dir(state_dir);
            if let Some(path) = dataset {
                app.open(path, predictions, cc.egui_ctx.clone());
            }
            Ok(Box::new(app))
        }),
    )
}
