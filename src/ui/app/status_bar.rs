//! The bar at the bottom: the dataset, its size, predictions matched, and the caches.

use eframe::egui;

use super::super::browse::Browse;
use super::store::StoreState;

/// Draws the status bar.
pub fn status_bar_ui(
    ui: &mut egui::Ui,
    browse: Option<&Browse>,
    texture_bytes: usize,
    store: &StoreState,
) {
    egui::Panel::bottom("status_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            let Some(browse) = browse else {
                ui.label("No dataset open");
                return;
            };
            let ds = &browse.loaded.dataset;
            ui.label(browse.loaded.path.display().to_string());
            ui.separator();
            ui.label(format!(
                "{} samples, {} classes",
                ds.len(),
                ds.classes().len()
            ));
            if let Some(p) = &browse.loaded.predictions {
                ui.separator();
                ui.label(format!("predictions: {} matched", p.matched()));
            }
            ui.separator();
            ui.label(format!(
                "texture cache {:.1} MiB",
                texture_bytes as f64 / 1_048_576.0
            ));
            ui.separator();
            match store {
                StoreState::Ready(store) => ui
                    .label("disk cache on")
                    .on_hover_text(store.path().display().to_string()),
                StoreState::Opening(_) => ui.label("disk cache opening…"),
                StoreState::Off(why) => ui.label(format!("disk cache {why}")),
            };
        });
    });
}
