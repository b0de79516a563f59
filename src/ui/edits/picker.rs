//! The class picker: type to filter the classes, Enter takes the first match, or create a class
//! that does not exist yet. Opened with L or the "Other class..." button.

use eframe::egui;

/// What the picker decided.
pub enum PickerResult {
    /// Relabel the targets to this class.
    Pick(String),
    /// Closed without a choice.
    Cancel,
}

/// An open picker and the samples it relabels.
pub struct ClassPicker {
    /// The samples the choice applies to.
    pub targets: Vec<usize>,
    /// The search text (also the name of a new class).
    pub text: String,
    focused: bool,
}

impl ClassPicker {
    /// A picker for `targets`.
    pub fn new(targets: Vec<usize>) -> Self {
        Self {
            targets,
            text: String::new(),
            focused: false,
        }
    }

    /// Draws the picker window; `classes` are the current class names.
    pub fn ui(&mut self, ctx: &egui::Context, classes: &[String]) -> Option<PickerResult> {
        let mut result = None;
        let title = format!("Relabel {} sample(s)", self.targets.len());
        egui::Window::new(title)
            .id(egui::Id::unique("class_picker"))
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ctx, |ui| {
                let name = ui.label("Class name");
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.text)
                            .hint_text("Type to search, or a new name")
                            .desired_width(280.0),
                    )
                    .labelled_by(name.id);
                if !self.focused {
                    field.request_focus();
                    self.focused = true;
                }
                let needle = self.text.trim().to_lowercase();
                let matches: Vec<&String> = classes
                    .iter()
                    .filter(|c| needle.is_empty() || c.to_lowercase().contains(&needle))
                    .collect();
                let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
                let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
                egui::ScrollArea::vertical()
                    .max_height(260.0)
                    .show(ui, |ui| {
                        for (k, c) in matches.iter().enumerate() {
                            let key = classes
                                .iter()
                                .position(|x| x == *c)
                                .and_then(super::key_name)
                                .map(|k| format!("  ({k})"))
                                .unwrap_or_default();
                            if ui.button(format!("{c}{key}")).clicked() || (enter && k == 0) {
                                result = Some(PickerResult::Pick((*c).clone()));
                            }
                        }
                    });
                let typed = self.text.trim();
                let exists = classes.iter().any(|c| c == typed);
                if !typed.is_empty() && !exists {
                    ui.separator();
                    if ui.button(format!("New class \"{typed}\"")).clicked()
                        || (enter && matches.is_empty())
                    {
                        result = Some(PickerResult::Pick(typed.to_string()));
                    }
                }
                ui.separator();
                if ui.button("Cancel").clicked() || escape {
                    result = Some(PickerResult::Cancel);
                }
            });
        result
    }
}
