//! The model selector above the evaluation views: which loaded model the grid, its filters and the
//! views follow. With one model it says how to get a second one to compare.

use eframe::egui;

use crate::ui::models::Models;

/// What the selector asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelAction {
    /// Follow model `index`.
    Select(usize),
    /// Open one more predictions file.
    AddPredictions,
}

/// Draws the selector (nothing without predictions); returns what was asked.
pub fn model_selector_ui(ui: &mut egui::Ui, models: &Models) -> Option<ModelAction> {
    let mut action = None;
    match models.len() {
        0 => {}
        1 => {
            ui.horizontal_wrapped(|ui| {
                if let Some(m) = models.selected() {
                    ui.label(format!("Model: {}", m.name));
                    ui.separator();
                }
                ui.weak("Add a second predictions file to compare");
                if ui.button("Add predictions…").clicked() {
                    action = Some(ModelAction::AddPredictions);
                }
            });
        }
        _ => {
            ui.horizontal(|ui| {
                let label = ui.label("Model");
                let mut chosen = models.selected;
                egui::ComboBox::from_id_salt("evaluation-model")
                    .selected_text(models.selected().map_or("", |m| m.name.as_str()))
                    .show_ui(ui, |ui| {
                        for (i, m) in models.list.iter().enumerate() {
                            ui.selectable_value(&mut chosen, i, &m.name);
                        }
                    })
                    .response
                    .labelled_by(label.id)
                    .on_hover_text(
                        "The grid's filters and tiles and these views follow this model",
                    );
                if chosen != models.selected {
                    action = Some(ModelAction::Select(chosen));
                }
            });
        }
    }
    action
}
