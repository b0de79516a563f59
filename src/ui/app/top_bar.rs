//! The bar at the top: Open buttons, and with a dataset open, predictions, tabs and panel toggles.

use eframe::egui;

use super::super::browse::{Browse, Tab};
use super::command::AppCommand;
use super::dialogs::DialogKind;
use super::path_field::PathPurpose;

/// Draws the top bar; what is clicked goes into `commands`.
pub fn top_bar_ui(ui: &mut egui::Ui, browse: Option<&mut Browse>, commands: &mut Vec<AppCommand>) {
    egui::Panel::top("top_bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading("spotcheck");
            ui.separator();
            if ui.button("Open folder…").clicked() {
                commands.push(AppCommand::Pick(DialogKind::Folder));
            }
            if ui.button("Open file…").on_hover_text("A CSV/JSONL manifest, or a .parquet/.arrow file").clicked() {
                commands.push(AppCommand::Pick(DialogKind::Manifest));
            }
            if ui
                .button("Open a path…")
                .on_hover_text("Type a folder or manifest path (Tab completes)")
                .clicked()
            {
                commands.push(AppCommand::TypePath(PathPurpose::Dataset));
            }
            let Some(browse) = browse else {
                return;
            };
            if ui
                .button("Open predictions…")
                .on_hover_text("Reload this dataset with a predictions file (prob_, logit_ or prediction columns)")
                .clicked()
            {
                commands.push(AppCommand::Pick(DialogKind::Predictions));
            }
            if !browse.loaded.models.is_empty()
                && ui
                    .button("Add predictions…")
                    .on_hover_text("Reload this dataset with one more predictions file (another model), to compare models")
                    .clicked()
            {
                commands.push(AppCommand::Pick(DialogKind::AddPredictions));
            }
            if ui
                .button("Open annotations…")
                .on_hover_text("Reload this dataset with several annotators' judgements (file_name, annotator, label)")
                .clicked()
            {
                commands.push(AppCommand::Pick(DialogKind::Annotations));
            }
            ui.separator();
            ui.selectable_value(&mut browse.tab, Tab::Samples, "Samples");
            ui.selectable_value(&mut browse.tab, Tab::Summary, "Summary");
            ui.separator();
            ui.toggle_value(&mut browse.evaluation_open, "Evaluation")
                .on_hover_text("Class balance, confusion matrix and reliability beside the grid");
            if browse.loaded.models.len() >= 2 {
                ui.toggle_value(&mut browse.compare_open, "Compare").on_hover_text(
                    "The models side by side: metrics with 95% intervals, who is right where, confusion and reliability differences",
                );
            }
            ui.toggle_value(&mut browse.health_open, "Health").on_hover_text(
                "Problems, EXIF orientation, duplicates and near-duplicates across splits, image quality",
            );
            if browse.crowd.is_some() {
                ui.toggle_value(&mut browse.crowd_open, "Annotators").on_hover_text(
                    "Agreement, consensus, each annotator's accuracy and the disagreement queue",
                );
            }
            if browse.can_label_next()
                && ui
                    .button("Label next")
                    .on_hover_text("The unlabelled samples the model is least sure about, to label first")
                    .clicked()
            {
                let ctx = ui.ctx().clone();
                browse.open_label_next(&ctx);
            }
            let edits_title = match browse.edits.as_ref().map(|e| e.state().pending.len()) {
                Some(n) if n > 0 => format!("Edits ({n})"),
                _ => "Edits".to_string(),
            };
            ui.toggle_value(&mut browse.edits_open, edits_title)
                .on_hover_text("Label edits, undo/redo, write-back, review progress and likely label errors");
        });
    });
}
