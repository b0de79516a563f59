//! The multi-selection bar above the grid: select all shown, clear, relabel or mark the selection.

use eframe::egui;

use super::super::browse::Browse;
use super::super::edits::picker::ClassPicker;

/// Multi-selection controls: select all shown, clear, relabel the selection.
pub fn selection_bar_ui(ui: &mut egui::Ui, browse: &mut Browse) {
    if browse.edits.is_none() {
        return;
    }
    ui.horizontal(|ui| {
        if ui
            .button("Select all shown")
            .on_hover_text("Ctrl-click a tile to add or remove it, Shift-click for a range")
            .clicked()
        {
            browse.select_all_shown();
        }
        if browse.selection_count > 0 {
            ui.label(format!("{} selected", browse.selection_count));
            if ui.button("Relabel selected…").on_hover_text("L").clicked() {
                let targets = browse.edit_targets();
                browse.picker = Some(ClassPicker::new(targets));
            }
            if ui.button("Mark reviewed").on_hover_text("R").clicked() {
                let targets = browse.edit_targets();
                browse.toggle_reviewed(&targets);
            }
            if ui.button("Clear selection").clicked() {
                browse.clear_selection();
            }
        } else {
            ui.weak("Keys on the tile under the pointer: 1-9, 0 relabel, L other class, R reviewed, Ctrl+Z undo");
        }
    });
}
