//! The desktop app (eframe/egui). Only drawing and input live here; every number comes from `core`.

mod app;
mod audio_player;
mod audio_view;
mod browse;
pub mod compare;
pub mod crowd;
mod edits;
pub mod evaluation;
mod grid;
pub mod health;
mod inspector;
mod inspector_state;
pub mod label_next;
mod loaded;
pub mod models;
pub mod overlay;
mod scroll_bench;
mod summary;
mod texture_cache;
pub mod workers;

use std::path::PathBuf;

pub use app::{App, RecentDataset};
pub use browse::{Browse, Tab};
pub use loaded::Loaded;

/// Opens the app window, optionally loading a dataset (and its predictions files, one per model)
/// straight away.
pub fn run(
    dataset: Option<PathBuf>,
    predictions: Vec<PathBuf>,
    annotations: Option<PathBuf>,
    state_dir: Option<PathBuf>,
    overlays: Option<PathBuf>,
) -> Result<(), eframe::Error> {
    crate::core::data::load::hf::quiet_reader_panics();
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
            let mut app = App::new(cc)
                .with_state_dir(state_dir)
                .with_overlays(overlays);
            if let Some(path) = dataset {
                app.open_models(path, predictions, annotations, cc.egui_ctx.clone());
            }
            Ok(Box::new(app))
        }),
    )
}

/// A clip length as `m:ss.s` (`h:mm:ss` from an hour), as players show it.
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s >= 3600.0 {
        let t = s as u64;
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        let m = (s / 60.0).floor();
        format!("{}:{:04.1}", m as u64, s - m * 60.0)
    }
}
