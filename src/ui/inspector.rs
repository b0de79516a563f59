//! One sample, large: zoom (fit, 1:1, wheel, +/-) and pan (drag), every metadata column, path,
//! file and pixel size, the EXIF orientation with a toggle that shows the stored pixels as a loader
//! that ignores EXIF sees them, and the per-class probabilities.

use eframe::egui;

use crate::core::data::columns::NONE;
use crate::ui::workers::decode_pool::{DecodePool, Picture};

use super::browse::Browse;
use super::inspector_state::{InspectorState, SoftEditor};
use super::overlay::OverlayState;
use super::texture_cache::{TextureCache, TextureEntry, TextureKey, ThumbnailInfo, paint_texture};
use crate::core::labels::SoftLabel;

/// Longest side the inspector decodes at (zooming past it magnifies pixels).
const INSPECT_SIZE: u32 = 2048;

/// What the user asked for in the inspector.
pub enum InspectorAction {
    /// Back to the grid.
    Close,
    /// Show the sample at this offset in the shown order (-1 previous, +1 next).
    Step(isize),
}

/// Draws the inspector for the selected sample.
pub fn inspector_ui(
    ui: &mut egui::Ui,
    browse: &mut Browse,
    cache: &mut TextureCache,
    pool: &DecodePool,
    audio: &mut super::audio_player::AudioPlayer,
    overlay: &mut OverlayState,
) -> Option<InspectorAction> {
    let pos = browse.selected?;
    let sample = *browse.shown.get(pos)?;
    let i = sample as usize;
    let mut action = None;
    let labelling = Labelling::of(browse, i);
    let state = &mut browse.inspector;
    let key = TextureKey {
        sample,
        size: INSPECT_SIZE,
        picture: if browse.loaded.dataset.media_kind(i)
            == Some(crate::core::media::MediaKind::Audio)
        {
            Picture::Waveform
        } else if state.as_stored {
            Picture::AsStored
        } else {
            Picture::Upright
        },
    };
    cache.request(pool, key, || browse.loaded.dataset.media(i));

    ui.input_mut(|input| {
        if input.consume_key(egui::Modifiers::NONE, egui::Key::Escape) {
            action = Some(InspectorAction::Close);
        }
        if input.consume_key(egui::Modifiers::NONE, egui::Key::ArrowRight) {
            action = Some(InspectorAction::Step(1));
        }
        if input.consume_key(egui::Modifiers::NONE, egui::Key::ArrowLeft) {
            action = Some(InspectorAction::Step(-1));
        }
        overlay.keys(input);
    });

    let mut edit = None;
    let crowd_analysis = browse.crowd.as_ref().and_then(|c| c.analysis.clone());
    let hand_soft = browse.edits.as_ref().is_some_and(|e| e.soft(i).is_some());
    let loaded = &browse.loaded;
    let dataset = &loaded.dataset;
    let file = dataset.file(i);
    let info = match cache.get(key) {
        Some(TextureEntry::Ready { info, .. }) => Some(info.clone()),
        _ => None,
    };

    egui::Panel::right("inspector_details")
        .resizable(true)
        .default_size(340.0)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button("Back to grid").on_hover_text("Esc").clicked() {
                    action = Some(InspectorAction::Close);
                }
                if ui.button("Previous").on_hover_text("Left arrow").clicked() {
                    action = Some(InspectorAction::Step(-1));
                }
                if ui.button("Next").on_hover_text("Right arrow").clicked() {
                    action = Some(InspectorAction::Step(1));
                }
            });
            ui.label(format!("{} of {}", pos + 1, browse.shown.len()));
            ui.separator();
            egui::ScrollArea::vertical().show(ui, |ui| {
                if let Some(l) = &labelling {
                    edit = l.ui(ui, i, &mut state.soft_editor);
                    ui.separator();
                }
                details_ui(ui, loaded, i, file, info.as_ref(), state);
                if let Some(annotations) = &loaded.annotations {
                    super::crowd::inspector::crowd_details_ui(
                        ui,
                        annotations,
                        crowd_analysis.as_deref(),
                        i,
                        dataset.label(i),
                        dataset.classes(),
                        hand_soft,
                    );
                }
            });
        });

    if dataset.text_column().is_some() {
        let search = browse.filter.search.clone();
        egui::CentralPanel::default().show(ui, |ui| {
            text_view_ui(ui, browse.loaded.dataset.text(i), &search);
        });
        return finish(browse, i, edit, action);
    }
    let is_audio = dataset.media_kind(i) == Some(crate::core::media::MediaKind::Audio);
    if is_audio {
        let path = dataset.media(i);
        let duration = info
            .as_ref()
            .and_then(|inf| inf.audio.map(|a| a.duration_seconds));
        egui::CentralPanel::default().show(ui, |ui| {
            super::audio_view::audio_view_ui(ui, cache.get(key), audio, sample, &path, duration);
        });
        return finish(browse, i, edit, action);
    }
    // The overlay fits the upright picture as decoded (the stored pixels get none).
    if let Some(TextureEntry::Ready { texture, .. }) = cache.get(key)
        && !state.as_stored
    {
        overlay.sync(ui.ctx(), sample, file, texture.size());
    }
    egui::CentralPanel::default().show(ui, |ui| {
        ui.horizontal(|ui| {
            if ui.button("Fit").clicked() {
                state.zoom = None;
                state.pan = egui::Vec2::ZERO;
            }
            if ui.button("1:1").clicked() {
                state.zoom = Some(1.0 / ui.ctx().pixels_per_point());
                state.pan = egui::Vec2::ZERO;
            }
            ui.label(match state.zoom {
                None => "fit to window".to_string(),
                Some(z) => format!("{:.0}%", z * ui.ctx().pixels_per_point() * 100.0),
            });
            ui.separator();
            overlay.toolbar_ui(ui);
        });
        let drawn = overlay.texture().filter(|_| !state.as_stored);
        image_view_ui(ui, cache.get(key), state, drawn);
    });
    finish(browse, i, edit, action)
}

/// Applies the label section's request.
fn finish(
    browse: &mut Browse,
    i: usize,
    edit: Option<LabelAction>,
    action: Option<InspectorAction>,
) -> Option<InspectorAction> {
    match edit {
        Some(LabelAction::Relabel(label)) => browse.relabel(&[i], &label),
        Some(LabelAction::Pick) => {
            browse.picker = Some(super::edits::picker::ClassPicker::new(vec![i]));
        }
        Some(LabelAction::ToggleReviewed) => browse.toggle_reviewed(&[i]),
        Some(LabelAction::Soften(label)) => browse.soften(&[i], label),
        Some(LabelAction::Accept) => browse.queue_decide(&[i], true),
        Some(LabelAction::Keep) => browse.queue_decide(&[i], false),
        None => {}
    }
    action
}

/// A request from the inspector's label section.
enum LabelAction {
    Relabel(String),
    Pick,
    ToggleReviewed,
    /// Set (or, `None`, clear) the sample's hand soft label.
    Soften(Option<SoftLabel>),
    Accept,
    Keep,
}

/// What the label section shows for one sample (copied out, so the browse state can change after).
struct Labelling {
    classes: Vec<String>,
    label: Option<String>,
    edited_from: Option<Option<String>>,
    reviewed: bool,
    /// The hand soft label.
    soft: Option<SoftLabel>,
    saving: bool,
    error: Option<String>,
    /// The queue's entry: suggested class, score, flagged by confident learning.
    suggestion: Option<(String, f64, bool)>,
}

impl Labelling {
    fn of(browse: &Browse, i: usize) -> Option<Self> {
        let session = browse.edits.as_ref()?;
        let dataset = &browse.loaded.dataset;
        Some(Self {
            classes: dataset.classes().to_vec(),
            label: dataset
                .label(i)
                .and_then(|c| dataset.classes().get(c))
                .cloned(),
            edited_from: session.pending(i).map(|p| p.from.clone()),
            reviewed: session.is_reviewed(i),
            soft: session.soft(i).cloned(),
            saving: session.saving(),
            error: session.error.clone(),
            suggestion: browse
                .queue
                .as_ref()
                .and_then(|q| q.issue(i as u32))
                .map(|issue| (issue.suggested.to_string(), issue.score, issue.flagged)),
        })
    }

    fn ui(
        &self,
        ui: &mut egui::Ui,
        sample: usize,
        editor: &mut Option<SoftEditor>,
    ) -> Option<LabelAction> {
        let mut action = None;
        let current = self.label.as_deref().unwrap_or("unlabelled");
        match &self.edited_from {
            Some(from) => ui.strong(format!(
                "Label: {current} (edited; on disk: {})",
                from.as_deref().unwrap_or("unlabelled")
            )),
            None => ui.strong(format!("Label: {current}")),
        };
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        } else if self.saving {
            ui.weak("Saving…");
        } else if self.edited_from.is_some() {
            ui.weak("Saved (pending: Apply to dataset writes it into the files)");
        }
        if let Some((suggested, score, flagged)) = &self.suggestion {
            let agrees = self.label.as_deref() == Some(suggested.as_str());
            ui.label(match (flagged, agrees) {
                (true, _) => format!(
                    "Likely error (score {score:.2}, flagged): the predictions favour {suggested}"
                ),
                (false, false) => format!(
                    "Ranked, not flagged (score {score:.2}): the predictions favour {suggested}"
                ),
                (false, true) => format!(
                    "Ranked, not flagged (score {score:.2}): the predictions agree with the label"
                ),
            });
            ui.horizontal(|ui| {
                if !agrees
                    && ui
                        .button(format!("Accept {suggested}"))
                        .on_hover_text("A")
                        .clicked()
                {
                    action = Some(LabelAction::Accept);
                }
                if ui.button("Keep label").on_hover_text("K").clicked() {
                    action = Some(LabelAction::Keep);
                }
            });
        }
        ui.horizontal_wrapped(|ui| {
            for (k, c) in self
                .classes
                .iter()
                .take(super::edits::CLASS_KEYS.len())
                .enumerate()
            {
                let key = super::edits::key_name(k).unwrap_or("");
                let on = self.label.as_deref() == Some(c.as_str());
                if ui
                    .selectable_label(on, format!("{key} {c}"))
                    .on_hover_text(format!("Relabel as {c} (key {key})"))
                    .clicked()
                    && !on
                {
                    action = Some(LabelAction::Relabel(c.clone()));
                }
            }
            if ui.button("Other class…").on_hover_text("L").clicked() {
                action = Some(LabelAction::Pick);
            }
        });
        let mut reviewed = self.reviewed;
        if ui
            .checkbox(&mut reviewed, "Reviewed")
            .on_hover_text("R: a mark that someone looked at this sample")
            .changed()
        {
            action = Some(LabelAction::ToggleReviewed);
        }
        if let Some(soft) = self.soft_ui(ui, sample, editor) {
            action = Some(soft);
        }
        action
    }

    /// The hand soft label as bars, "Soft label…" (opens the editor) and "Clear soft label".
    fn soft_ui(
        &self,
        ui: &mut egui::Ui,
        sample: usize,
        editor: &mut Option<SoftEditor>,
    ) -> Option<LabelAction> {
        let mut action = None;
        if editor.as_ref().is_some_and(|e| e.sample != sample) {
            *editor = None;
        }
        if let Some(soft) = &self.soft {
            ui.label("Soft label (set by hand):");
            soft_bars(ui, soft);
        }
        ui.horizontal(|ui| {
            if ui
                .button("Soft label…")
                .on_hover_text(
                    "Mark the sample ambiguous: a probability per class instead of one label",
                )
                .clicked()
            {
                *editor = match editor {
                    Some(_) => None,
                    None => Some(self.new_editor(sample)),
                };
            }
            if self.soft.is_some() && ui.button("Clear soft label").clicked() {
                action = Some(LabelAction::Soften(None));
                *editor = None;
            }
        });
        let Some(open) = editor.as_mut() else {
            return action;
        };
        ui.small("A weight per class; they are scaled to sum to 1 when saved.");
        let shown: Vec<usize> = if open.weights.len() <= MAX_SLIDERS {
            (0..open.weights.len()).collect()
        } else {
            (0..open.weights.len())
                .filter(|&k| open.weights[k].1 > 0.0)
                .collect()
        };
        for &k in &shown {
            if let Some((class, w)) = open.weights.get_mut(k) {
                ui.add(egui::Slider::new(w, 0.0..=1.0).text(class.as_str()));
            }
        }
        if shown.len() < open.weights.len() {
            egui::ComboBox::from_label("Add a class")
                .selected_text("…")
                .show_ui(ui, |ui| {
                    for (class, w) in open.weights.iter_mut().filter(|(_, w)| *w <= 0.0) {
                        if ui.selectable_label(false, class.as_str()).clicked() {
                            *w = 0.5;
                        }
                    }
                });
        }
        let result = open.label();
        match &result {
            Some(Ok(soft)) => ui.label(format!("Saves: {}", soft.summary())),
            Some(Err(e)) => ui.colored_label(ui.visuals().error_fg_color, e.to_string()),
            None => ui.weak("Give at least one class a weight"),
        };
        ui.horizontal(|ui| {
            let ready = matches!(result, Some(Ok(_)));
            if ui
                .add_enabled(ready, egui::Button::new("Save soft label"))
                .clicked()
                && let Some(Ok(soft)) = result
            {
                action = Some(LabelAction::Soften(Some(soft)));
                *editor = None;
            } else if ui.button("Cancel").clicked() {
                *editor = None;
            }
        });
        action
    }

    /// An editor holding the current soft label, or else the label at full weight: the user then
    /// raises the classes the sample might also be.
    fn new_editor(&self, sample: usize) -> SoftEditor {
        let mut weights: Vec<(String, f64)> = self
            .classes
            .iter()
            .map(|c| {
                let w = match &self.soft {
                    Some(soft) => soft.probability(c),
                    None if self.label.as_deref() == Some(c.as_str()) => 1.0,
                    None => 0.0,
                };
                (c.clone(), w)
            })
            .collect();
        // A class only the soft label names (set on the command line) keeps its weight.
        for (c, p) in self.soft.iter().flat_map(|s| s.probabilities()) {
            if !weights.iter().any(|(w, _)| w == c) {
                weights.push((c.clone(), *p));
            }
        }
        SoftEditor { sample, weights }
    }
}

/// With more classes than this, the editor shows sliders for the weighted ones and a list to add
/// another (ten sliders still fit the panel).
const MAX_SLIDERS: usize = 10;

/// A soft label as one bar per class it gives a probability, most likely first.
pub fn soft_bars(ui: &mut egui::Ui, soft: &SoftLabel) {
    let mut rows: Vec<&(String, f64)> = soft.probabilities().iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (class, p) in rows {
        ui.horizontal(|ui| {
            ui.allocate_ui_with_layout(
                egui::vec2(110.0, 18.0),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| ui.add(egui::Label::new(class.as_str()).truncate()),
            );
            ui.add(
                egui::ProgressBar::new(*p as f32)
                    .text(format!("{class} {p:.2}"))
                    .desired_width(160.0),
            );
        });
    }
}

fn details_ui(
    ui: &mut egui::Ui,
    loaded: &super::loaded::Loaded,
    i: usize,
    file: &str,
    info: Option<&ThumbnailInfo>,
    state: &mut InspectorState,
) {
    let dataset = &loaded.dataset;
    let name = file.rsplit('/').next().unwrap_or(file);
    ui.heading(name);
    ui.label(file);
    egui::Grid::new("inspector_facts")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            };
            let label = dataset.labels().get(i).copied().unwrap_or(NONE);
            row(
                "Label",
                dataset
                    .classes()
                    .get(label as usize)
                    .cloned()
                    .unwrap_or_else(|| "unlabelled".into()),
            );
            if let Some(split) = dataset.split(i).and_then(|s| dataset.splits().get(s)) {
                row("Split", split.clone());
            }
            // A Hugging Face sample lives in a shard, at a row.
            if let Some((shard, at)) = dataset.location(i) {
                row("Shard", shard.to_string());
                row("Row", at.to_string());
            }
            if let Some(info) = info
                && let Some(audio) = &info.audio
            {
                row("File size", human_bytes(info.file_bytes));
                row("Format", info.format.to_string());
                row("Duration", super::format_duration(audio.duration_seconds));
                row("Sample rate", format!("{} Hz", audio.sample_rate));
                row("Channels", audio.channels.to_string());
            } else if let Some(info) = info {
                row("File size", human_bytes(info.file_bytes));
                row("Format", info.format.to_string());
                row(
                    "Stored pixels",
                    format!("{}×{}", info.stored_size.0, info.stored_size.1),
                );
                row(
                    "EXIF orientation",
                    match (info.orientation, &info.orientation_note) {
                        (Some(o), _) => format!("{o} ({})", describe(o)),
                        (None, Some(note)) => format!("ignored: {note}"),
                        (None, None) => "none".into(),
                    },
                );
                row(
                    "Showing",
                    format!(
                        "{}×{} px ({})",
                        info.size[0],
                        info.size[1],
                        if state.as_stored {
                            "as stored"
                        } else {
                            "upright"
                        }
                    ),
                );
            }
            for column in dataset.metadata() {
                row(
                    &column.name,
                    column.values.get(i).unwrap_or_default().to_string(),
                );
            }
        });
    if info.is_none_or(|inf| inf.audio.is_none()) {
        ui.checkbox(
            &mut state.as_stored,
            "Show as stored (as a loader that ignores EXIF sees it)",
        );
    }
    // An embedded or text sample has no file of its own: the shard and row above say where it is.
    if let Some(file) = dataset.media(i).file() {
        ui.small(format!("Full path: {}", file.display()));
    }

    if let Some(predictions) = &loaded.predictions {
        ui.separator();
        ui.strong("Prediction");
        let classes = dataset.classes();
        let label = dataset.labels().get(i).copied().unwrap_or(NONE);
        if let Some(p) = predictions.predicted(i) {
            let name = classes.get(p).map_or("?", String::as_str);
            let conf = predictions
                .confidence(i)
                .map_or_else(String::new, |c| format!(" with confidence {c:.3}"));
            if label != NONE && p as u32 != label {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Predicted {name}{conf}: differs from the label"),
                );
            } else {
                ui.label(format!("Predicted {name}{conf}"));
            }
        }
        match predictions.probabilities(i) {
            Some(probs) => {
                let top = predictions.predicted(i);
                for (k, p) in probs.iter().enumerate() {
                    let name = classes.get(k).map_or("?", String::as_str);
                    ui.horizontal(|ui| {
                        ui.allocate_ui_with_layout(
                            egui::vec2(110.0, 18.0),
                            egui::Layout::left_to_right(egui::Align::Center),
                            |ui| ui.add(egui::Label::new(name).truncate()),
                        );
                        let bar = egui::ProgressBar::new(*p as f32)
                            .text(format!("{p:.3}"))
                            .desired_width(160.0);
                        let bar = if Some(k) == top {
                            bar.fill(ui.visuals().selection.bg_fill)
                        } else {
                            bar
                        };
                        ui.add(bar);
                    });
                }
            }
            None if predictions.predicted(i).is_none() => {
                ui.label("No prediction for this sample");
            }
            None => {}
        }
    }
}

fn image_view_ui(
    ui: &mut egui::Ui,
    entry: Option<&TextureEntry>,
    state: &mut InspectorState,
    overlay: Option<(&egui::TextureHandle, f32)>,
) {
    let (rect, response) =
        ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    match entry {
        Some(TextureEntry::Ready { texture, .. }) => {
            let [w, h] = texture.size().map(|v| v as f32);
            let fit = (rect.width() / w).min(rect.height() / h);
            let mut zoom = state.zoom.unwrap_or(fit);
            // Wheel and +/- zoom about the pointer (the view centre for keys); drag pans.
            let (scroll, plus, minus) = ui.input_mut(|i| {
                (
                    i.smooth_scroll_delta.y,
                    i.consume_key(egui::Modifiers::NONE, egui::Key::Plus)
                        || i.consume_key(egui::Modifiers::NONE, egui::Key::Equals),
                    i.consume_key(egui::Modifiers::NONE, egui::Key::Minus),
                )
            });
            let mut factor = 1.0;
            if response.hovered() && scroll != 0.0 {
                factor *= (scroll / 200.0).exp();
            }
            if plus {
                factor *= 1.25;
            }
            if minus {
                factor /= 1.25;
            }
            if factor != 1.0 {
                let new_zoom = (zoom * factor).clamp(fit.min(0.05), 32.0);
                let anchor = response.hover_pos().unwrap_or(rect.center()) - rect.center();
                state.pan = anchor - (anchor - state.pan) * (new_zoom / zoom);
                zoom = new_zoom;
                state.zoom = Some(zoom);
            }
            if response.dragged() {
                state.pan += response.drag_delta();
                state.zoom = Some(zoom);
            }
            if response.double_clicked() {
                state.zoom = None;
                state.pan = egui::Vec2::ZERO;
                zoom = fit;
            }
            let shown = egui::Rect::from_center_size(
                rect.center() + state.pan,
                egui::vec2(w * zoom, h * zoom),
            );
            paint_texture(&painter, texture, shown);
            if let Some((heat, opacity)) = overlay {
                painter.image(
                    heat.id(),
                    shown,
                    egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                    egui::Color32::from_white_alpha((opacity.clamp(0.0, 1.0) * 255.0) as u8),
                );
            }
        }
        Some(TextureEntry::Failed(why)) => {
            // A real label (not painted text), so it wraps and screen readers and tests see it.
            let text = egui::RichText::new(format!("Cannot show this file: {why}"))
                .size(16.0)
                .color(ui.visuals().error_fg_color);
            let area = egui::Rect::from_center_size(
                rect.center(),
                egui::vec2(rect.width().min(640.0), 80.0),
            );
            ui.put(area, egui::Label::new(text).wrap());
        }
        Some(TextureEntry::Pending) | None => {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Decoding…",
                egui::FontId::proportional(16.0),
                ui.visuals().weak_text_color(),
            );
        }
    }
}

fn describe(o: u8) -> &'static str {
    crate::core::media::Orientation::from_exif(u32::from(o)).map_or("?", |o| o.describe())
}

fn human_bytes(n: u64) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

/// A text sample in full, every match of the search term highlighted (case-insensitive).
fn text_view_ui(ui: &mut egui::Ui, text: Option<&str>, search: &str) {
    let Some(text) = text else {
        ui.weak("(this sample's text is null)");
        return;
    };
    if text.is_empty() {
        ui.weak("(this sample's text is empty)");
        return;
    }
    let font = egui::TextStyle::Body.resolve(ui.style());
    let normal = egui::TextFormat::simple(font.clone(), ui.visuals().text_color());
    let mut marked = egui::TextFormat::simple(font, ui.visuals().strong_text_color());
    marked.background = ui.visuals().selection.bg_fill;
    let mut job = egui::text::LayoutJob::default();
    let needle = search.trim().to_lowercase();
    let mut rest = text;
    if !needle.is_empty() {
        while let Some((at, len)) = find_ignoring_case(rest, &needle) {
            job.append(&rest[..at], 0.0, normal.clone());
            job.append(&rest[at..at + len], 0.0, marked.clone());
            rest = &rest[at + len..];
        }
    }
    job.append(rest, 0.0, normal);
    job.wrap.max_width = ui.available_width();
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.label(job);
    });
}

/// Byte offset and length in `hay` of the first match of lower-cased `needle`, ignoring case; the
/// match always lies on character boundaries of `hay`.
fn find_ignoring_case(hay: &str, needle: &str) -> Option<(usize, usize)> {
    for (start, _) in hay.char_indices() {
        let mut lowered = String::new();
        for (off, c) in hay[start..].char_indices() {
            lowered.extend(c.to_lowercase());
            if lowered.len() >= needle.len() {
                if lowered == needle {
                    return Some((start, off + c.len_utf8()));
                }
                break;
            }
        }
    }
    None
}
