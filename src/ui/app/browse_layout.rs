//! The browsing screen's layout: which panels show around the grid, and the inspector over it.

use std::sync::Arc;
use std::time::Duration;

use eframe::egui;

use crate::core::analysis::view::SampleOrder;
use crate::ui::workers::decode_pool::DecodePool;

use super::super::audio_player::AudioPlayer;
use super::super::browse::{Browse, Tab};
use super::super::crowd::panel::CrowdAction;
use super::super::edits::picker::PickerResult;
use super::super::evaluation::EvaluationPanel;
use super::super::grid::grid_ui;
use super::super::health::HealthPanel;
use super::super::inspector::{InspectorAction, inspector_ui};
use super::super::summary::summary_ui;
use super::super::texture_cache::TextureCache;
use super::hover_audio::hover_audio;
use super::selection_bar::selection_bar_ui;
use super::warnings_panel::warnings_ui;
use crate::ui::overlay::OverlayState;

/// Lays out a loaded dataset: the edits panel, the summary tab, the inspector, or the filters,
/// evaluation and warnings panels around the grid.
pub fn browse_ui(
    ui: &mut egui::Ui,
    browse: &mut Browse,
    cache: &mut TextureCache,
    pool: &DecodePool,
    audio: &mut AudioPlayer,
    overlay: &mut OverlayState,
) {
    audio.tick();
    if audio.active() {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(30));
    }
    let ctx = ui.ctx().clone();
    browse.poll_edits();
    if browse.poll_queue() {
        pool.next_epoch();
        cache.forget_pending();
    }
    if let Some(worker) = &mut browse.report_worker {
        if let Some(report) = worker.poll() {
            browse.loaded.report = Some(report);
        } else if worker.pending() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }
    if browse.poll_label_next() {
        pool.next_epoch();
        cache.forget_pending();
    } else if browse.label_next.as_ref().is_some_and(|s| s.computing()) {
        ctx.request_repaint_after(Duration::from_millis(50));
    }
    if browse.poll_crowd() {
        browse.refresh();
        pool.next_epoch();
        cache.forget_pending();
    } else if browse.crowd.as_ref().is_some_and(|c| c.computing()) {
        ctx.request_repaint_after(Duration::from_millis(100));
    }
    if browse.poll_filter() {
        pool.next_epoch();
        cache.forget_pending();
    } else if browse.filtering() {
        ctx.request_repaint_after(Duration::from_millis(30));
    }
    if let Some(picker) = &mut browse.picker {
        let classes = browse.loaded.dataset.classes().to_vec();
        match picker.ui(&ctx, &classes) {
            Some(PickerResult::Pick(label)) => {
                let targets = std::mem::take(&mut picker.targets);
                browse.picker = None;
                browse.relabel(&targets, &label);
            }
            Some(PickerResult::Cancel) => browse.picker = None,
            None => {}
        }
    }
    if browse.tab == Tab::Samples {
        browse.edit_keys(&ctx);
    }
    if browse.edits_open {
        egui::Panel::right("edits")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("edits_panel")
                    .show(ui, |ui| browse.edits_panel_ui(ui));
            });
    }
    if browse.tab == Tab::Summary {
        egui::CentralPanel::default().show(ui, |ui| summary_ui(ui, &browse.loaded));
        return;
    }
    if browse.inspecting {
        match inspector_ui(ui, browse, cache, pool, audio, overlay) {
            Some(InspectorAction::Close) => {
                audio.stop();
                browse.inspecting = false;
            }
            Some(InspectorAction::Step(d)) => {
                audio.stop();
                if let Some(pos) = browse.selected {
                    let next = pos
                        .saturating_add_signed(d)
                        .min(browse.shown.len().saturating_sub(1));
                    browse.selected = Some(next);
                }
            }
            None => {}
        }
        return;
    }
    egui::Panel::top("filters").show(ui, |ui| {
        if browse.toolbar_ui(ui) {
            pool.next_epoch();
            cache.forget_pending();
        }
        let total = browse.loaded.dataset.len();
        if let Some(q) = &browse.queue {
            let (computing, flagged, candidates) = (
                q.computing(),
                crate::core::util::thousands(q.num_flagged),
                crate::core::util::thousands(q.num_candidates),
            );
            ui.horizontal(|ui| {
                if computing {
                    ui.spinner();
                    ui.strong("Ranking labels by how likely they are wrong…");
                } else {
                    ui.strong(format!(
                        "Likely label errors: about {flagged} likely errors; all {candidates} candidates ranked, most suspicious first"
                    ))
                    .on_hover_text("Confident learning flags about that many (marked ! on the tiles); the ranking goes on past them, for the errors it under-counts");
                    ui.label("A accepts the suggestion, K keeps the label");
                }
                if ui.button("Leave the queue").clicked() {
                    browse.close_queue();
                    pool.next_epoch();
                    cache.forget_pending();
                }
            });
            return;
        }
        if browse.label_next.is_some() {
            if browse.label_next_bar_ui(ui) {
                pool.next_epoch();
                cache.forget_pending();
            }
            return;
        }
        selection_bar_ui(ui, browse);
        let order = match browse.order {
            SampleOrder::Dataset => "dataset order".to_string(),
            SampleOrder::Shuffled { seed } => format!("shuffled, seed {seed}"),
            SampleOrder::Stratified { seed, per_class } => {
                format!("{per_class} per class, seed {seed}")
            }
        };
        ui.horizontal(|ui| {
            if let Some(title) = &browse.pinned {
                ui.strong(format!("Showing {title}: {} of {total}", browse.shown.len()));
                if browse.crowd_queue {
                    ui.label("A takes the consensus as the label, K keeps the label");
                } else {
                    ui.label("1-9 relabel the sample under the pointer");
                }
                if ui.button("Back to the filters").clicked() {
                    browse.refresh();
                    pool.next_epoch();
                    cache.forget_pending();
                }
                return;
            }
            if browse.filtering() {
                ui.spinner();
            }
            ui.strong(format!("{} of {total} shown ({order})", browse.shown.len()));
        });
    });
    if browse.evaluation_open {
        let ctx = ui.ctx().clone();
        let loaded = &browse.loaded;
        if browse.evaluation.is_none() {
            browse.evaluation = Some(EvaluationPanel::new(
                Arc::clone(&loaded.dataset),
                loaded.predictions.clone(),
                &ctx,
            ));
            browse.models_changed();
        }
        let split = browse.filter.split;
        let dataset = Arc::clone(&browse.loaded.dataset);
        let mut clicked = None;
        let mut model_changed = false;
        egui::Panel::right("evaluation")
            .resizable(true)
            .default_size(620.0)
            .show(ui, |ui| {
                model_changed = browse.model_selector_ui(ui);
                if let Some(panel) = &mut browse.evaluation {
                    clicked = panel.ui(ui, &dataset, split);
                }
            });
        if model_changed {
            pool.next_epoch();
            cache.forget_pending();
        }
        if let Some(f) = clicked {
            browse.apply_grid_filter(f);
            pool.next_epoch();
            cache.forget_pending();
        }
    }
    if browse.compare_panel_ui(ui) {
        pool.next_epoch();
        cache.forget_pending();
    }
    if browse.health_open {
        let ctx = ui.ctx().clone();
        let cache_dir = browse.cache_dir.clone();
        let loaded = &browse.loaded;
        let panel = browse.health.get_or_insert_with(|| {
            HealthPanel::new(
                Arc::clone(&loaded.dataset),
                loaded.warnings.unusable().to_vec(),
                cache_dir,
                &ctx,
            )
        });
        let mut picked = None;
        egui::Panel::right("health")
            .resizable(true)
            .default_size(520.0)
            .show(ui, |ui| {
                picked = panel.ui(ui);
            });
        if let Some(action) = picked {
            browse.show_pinned(action);
            pool.next_epoch();
            cache.forget_pending();
        }
    }
    if browse.crowd_open
        && let (Some(state), Some(annotations)) =
            (browse.crowd.as_mut(), browse.loaded.annotations.clone())
    {
        let dataset = Arc::clone(&browse.loaded.dataset);
        let view = &mut browse.crowd_view;
        let mut asked = None;
        egui::Panel::right("annotators")
            .resizable(true)
            .default_size(480.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("annotators_panel")
                    .show(ui, |ui| {
                        asked = view.ui(ui, state, &annotations, &dataset);
                    });
            });
        match asked {
            Some(CrowdAction::MethodChanged) => browse.recompute_crowd(),
            Some(CrowdAction::OpenQueue) => {
                browse.open_crowd_queue();
                pool.next_epoch();
                cache.forget_pending();
            }
            Some(CrowdAction::ShowAnnotator(a)) => {
                if let Some(analysis) = browse.crowd.as_ref().and_then(|c| c.analysis.clone()) {
                    let name = annotations
                        .annotators()
                        .get(a as usize)
                        .cloned()
                        .unwrap_or_default();
                    browse.show_pinned(super::super::health::HealthAction {
                        title: format!("the samples {name} judged"),
                        samples: analysis.judged_by(&annotations, a),
                        as_stored_beside: false,
                    });
                    pool.next_epoch();
                    cache.forget_pending();
                }
            }
            None => {}
        }
    }
    if !browse.loaded.warnings.is_empty() {
        egui::Panel::left("warnings")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                warnings_ui(ui, browse);
            });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        if browse.shown.is_empty() {
            ui.label("No sample passes the filters");
            return;
        }
        let enter = ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Enter));
        let clicked = grid_ui(ui, browse, cache, pool);
        hover_audio(browse, audio);
        if browse.hover_preview && browse.hover_since.is_some() {
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        if let Some((pos, modifiers)) = clicked {
            if (modifiers.command || modifiers.shift) && browse.edits.is_some() {
                browse.select_click(pos, modifiers);
            } else {
                browse.selected = Some(pos);
                browse.inspecting = true;
            }
        } else if enter {
            browse.selected = Some(browse.selected.unwrap_or(0));
            browse.inspecting = true;
        }
    });
}
