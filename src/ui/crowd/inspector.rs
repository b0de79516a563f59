//! The inspector's crowd section: every judgement with its annotator, and the soft label as bars.

use eframe::egui;

use crate::core::analysis::crowd::CrowdAnalysis;
use crate::core::data::load::Annotations;

/// Draws sample `i`'s judgements and soft label.
pub fn crowd_details_ui(
    ui: &mut egui::Ui,
    annotations: &Annotations,
    analysis: Option<&CrowdAnalysis>,
    i: usize,
    label: Option<usize>,
    classes: &[String],
    hand_soft: bool,
) {
    ui.separator();
    let n = annotations.count(i);
    ui.strong(format!(
        "Judgements ({n} annotator{})",
        if n == 1 { "" } else { "s" }
    ));
    if n == 0 {
        ui.label("No annotator judged this sample");
        return;
    }
    let names = annotations.annotators();
    egui::Grid::new("crowd_judgements")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (a, l) in annotations.judgements(i) {
                ui.label(names.get(a as usize).map_or("?", String::as_str));
                ui.label(classes.get(l as usize).map_or("?", String::as_str));
                ui.end_row();
            }
        });
    let Some(analysis) = analysis else {
        ui.spinner();
        return;
    };
    let (Some(soft), Some(top)) = (analysis.soft_label(i), analysis.consensus_class(i)) else {
        return;
    };
    let name = classes.get(top).map_or("?", String::as_str);
    if label.is_some_and(|l| l != top) {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("Consensus: {name}, not the label"),
        );
    } else {
        ui.label(format!("Consensus: {name}"));
    }
    if hand_soft {
        ui.small(
            "The crowd's soft label (the hand soft label above is the one soft-labels writes)",
        );
    } else {
        ui.small("The crowd's soft label (what soft-labels writes)");
    }
    for (k, p) in soft.iter().enumerate() {
        if *p <= 0.0 && k != top {
            continue;
        }
        let class = classes.get(k).map_or("?", String::as_str);
        ui.horizontal(|ui| {
            ui.allocate_ui_with_layout(
                egui::vec2(110.0, 18.0),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| ui.add(egui::Label::new(class).truncate()),
            );
            let bar = egui::ProgressBar::new(*p as f32)
                .text(format!("{p:.2}"))
                .desired_width(160.0);
            let bar = if k == top {
                bar.fill(ui.visuals().selection.bg_fill)
            } else {
                bar
            };
            ui.add(bar);
        });
    }
}
