//! The load's warnings beside the grid; a warning that names a sample opens it on click.

use eframe::egui;

use crate::core::analysis::view::SampleOrder;

use super::super::browse::Browse;

/// The load's warnings; a warning that names a sample opens it on click.
pub fn warnings_ui(ui: &mut egui::Ui, browse: &mut Browse) {
    ui.strong(format!(
        "Warnings ({})",
        browse.loaded.warnings.items().len()
    ));
    egui::ScrollArea::vertical().show(ui, |ui| {
        let mut open = None;
        for w in browse.loaded.warnings.items() {
            let text = w.to_string();
            let sample = w
                .examples
                .iter()
                .find_map(|e| browse.loaded.dataset.find(e));
            match sample {
                Some(s) => {
                    if ui.link(&text).on_hover_text("Show this sample").clicked() {
                        open = Some(s);
                    }
                }
                None => {
                    ui.label(text);
                }
            }
            ui.separator();
        }
        if let Some(s) = open {
            let pos = match browse.shown.iter().position(|&x| x as usize == s) {
                Some(pos) => pos,
                None => {
                    browse.filter = Default::default();
                    browse.confidence_on = false;
                    browse.order = SampleOrder::Dataset;
                    browse.refresh();
                    s
                }
            };
            browse.selected = Some(pos);
            browse.inspecting = true;
        }
    });
}
