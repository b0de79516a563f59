//! The virtualized grid: only the rows on screen are laid out, so a million samples scroll like
//! forty. Each tile shows the upright thumbnail, the label, and with predictions the predicted
//! class and confidence, framed in the error colour when the prediction is wrong.

use eframe::egui;

use crate::core::data::columns::NONE;
use crate::ui::workers::decode_pool::{DecodePool, Picture};

use super::browse::Browse;
use super::models::Model;
use super::texture_cache::{TextureCache, TextureEntry, TextureKey, paint_texture};
use crate::core::analysis::crowd::vote_summary;
use crate::core::labels::short_probability;

/// Space under a tile's picture for its two lines of text.
const CAPTION_HEIGHT: f32 = 36.0;
/// Gap between tiles.
const GAP: f32 = 8.0;
/// Rows decoded ahead of the visible ones, above and below.
const PREFETCH_ROWS: usize = 2;

/// Decode size for a tile size: a few fixed steps, so dragging the size slider does not decode
/// every file again at every pixel.
pub fn decode_size(tile_points: f32, pixels_per_point: f32) -> u32 {
    let px = (tile_points * pixels_per_point).ceil() as u32;
    [128, 256, 512]
        .into_iter()
        .find(|&s| s >= px)
        .unwrap_or(512)
}

/// What a tile shows besides its picture: an edit, a review mark, the multi-selection.
#[derive(Default)]
struct TileMarks<'a> {
    /// The label on disk, when an edit is pending.
    edited_from: Option<Option<&'a str>>,
    reviewed: bool,
    /// Flagged by confident learning in the likely-errors queue (which ranks every candidate).
    flagged: bool,
    in_selection: bool,
    /// The sample's split, when the caption should name it (a Health group side by side).
    split: Option<&'a str>,
    /// The stored (EXIF ignored) picture to draw beside the upright one.
    as_stored: Option<TextureKey>,
    /// The crowd's votes ("cat 4/5"), and whether its consensus differs from the label.
    votes: Option<(String, bool)>,
    /// The hand soft label's line ("soft cat 0.6"), and where it goes under the picture.
    soft: Option<(String, f32)>,
    /// Height of the caption under the picture.
    caption: f32,
    /// With two models or more: the Compare view's A and B, whose predictions replace the
    /// prediction line ("A: cat 0.91 · B: dog 0.55").
    pair: Option<(&'a Model, &'a Model)>,
}

/// Draws `texture` as large as fits in `area`, centred, keeping its aspect ratio.
// Not inlined: with this and `paint_texture` inlined into the tile code at opt-level 3, release
// builds drew every picture shifted up and cropped (found 2026-12-03; debug and opt-level 0-2 were
// right, and so is opt-level 3 with this attribute). The cause is not understood yet.
#[inline(never)]
fn paint_fitted(painter: &egui::Painter, texture: &egui::TextureHandle, area: egui::Rect) {
    let [w, h] = texture.size().map(|v| v as f32);
    let scale = ((area.width() - 4.0) / w.max(1.0)).min((area.height() - 4.0) / h.max(1.0));
    let shown = egui::Rect::from_center_size(area.center(), egui::vec2(w * scale, h * scale));
    paint_texture(painter, texture, shown);
}

/// Draws the grid; returns the position (in the shown order) of a tile that was clicked, with the
/// modifier keys held.
pub fn grid_ui(
    ui: &mut egui::Ui,
    browse: &mut Browse,
    cache: &mut TextureCache,
    pool: &DecodePool,
) -> Option<(usize, egui::Modifiers)> {
    let tile = browse.tile_size;
    let cols = (((ui.available_width() + GAP) / (tile + GAP)).floor() as usize).max(1);
    let rows = browse.shown.len().div_ceil(cols);
    // With annotations, a third caption line carries the votes.
    let annotations = browse.loaded.annotations.as_deref();
    let crowd = browse.crowd.as_ref().and_then(|c| c.analysis.as_deref());
    let mut caption = if annotations.is_some() {
        CAPTION_HEIGHT + 16.0
    } else {
        CAPTION_HEIGHT
    };
    // With two models, A and B take a line each where the prediction line was.
    let pair = browse.tile_pair().and_then(|(a, b)| {
        let models = &browse.loaded.models.list;
        Some((models.get(a)?, models.get(b)?))
    });
    if pair.is_some() {
        caption += 16.0;
    }
    // With hand soft labels, another line carries them (under the votes).
    let soft_line = caption - 4.0;
    if browse.edits.as_ref().is_some_and(|e| e.any_soft()) {
        caption += 16.0;
    }
    let size = decode_size(tile, ui.ctx().pixels_per_point());
    let mut clicked = None;
    let mut hovered = None;
    let mut pending = 0;
    let loaded = &browse.loaded;
    let shown = &browse.shown;
    let edits = browse.edits.as_ref();
    let queue = browse.queue.as_ref();
    let selection = &browse.selection;
    // A set the Health view pinned (a near-duplicate group) is about which split each copy is in.
    let show_splits = browse.pinned.is_some();
    let as_stored_beside = browse.pinned_as_stored;
    let spectrogram = browse.spectrogram_tiles;
    // A text dataset's tiles show the text itself: nothing to decode.
    let text_dataset = loaded.dataset.text_column().is_some();
    // Images are always upright; a clip shows its waveform or, with the toggle, its spectrogram.
    let picture = |sample: u32| {
        let audio = loaded.dataset.media_kind(sample as usize)
            == Some(crate::core::media::MediaKind::Audio);
        match (audio, spectrogram) {
            (false, _) => Picture::Upright,
            (true, false) => Picture::Waveform,
            (true, true) => Picture::Spectrogram,
        }
    };
    let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    if let Some(offset) = browse.forced_scroll.take() {
        area = area.vertical_scroll_offset(offset);
    }
    area.show_rows(ui, tile + caption, rows, |ui, row_range| {
        // Ask for the visible rows first, then the prefetch margin.
        let ahead = row_range.end..(row_range.end + PREFETCH_ROWS).min(rows);
        let behind = row_range.start.saturating_sub(PREFETCH_ROWS)..row_range.start;
        for row in row_range.clone().chain(ahead).chain(behind) {
            for pos in row * cols..((row + 1) * cols).min(shown.len()) {
                if let Some(&sample) = shown.get(pos)
                    && !text_dataset
                {
                    cache.request(
                        pool,
                        TextureKey {
                            sample,
                            size,
                            picture: picture(sample),
                        },
                        || loaded.dataset.media(sample as usize),
                    );
                    if as_stored_beside {
                        cache.request(
                            pool,
                            TextureKey {
                                sample,
                                size,
                                picture: Picture::AsStored,
                            },
                            || loaded.dataset.media(sample as usize),
                        );
                    }
                }
            }
        }
        for row in row_range {
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = GAP;
                for pos in row * cols..((row + 1) * cols).min(shown.len()) {
                    let Some(&sample) = shown.get(pos) else {
                        continue;
                    };
                    let selected = browse.selected == Some(pos);
                    let key = TextureKey {
                        sample,
                        size,
                        picture: picture(sample),
                    };
                    if !text_dataset && matches!(cache.get(key), Some(TextureEntry::Pending) | None)
                    {
                        pending += 1;
                    }
                    let i = sample as usize;
                    let marks = TileMarks {
                        edited_from: edits.and_then(|e| e.pending(i)).map(|p| p.from.as_deref()),
                        reviewed: edits.is_some_and(|e| e.is_reviewed(i)),
                        flagged: queue
                            .and_then(|q| q.issue(sample))
                            .is_some_and(|issue| issue.flagged),
                        in_selection: selection.get(i).copied().unwrap_or(false),
                        split: show_splits
                            .then(|| {
                                loaded
                                    .dataset
                                    .split(i)
                                    .and_then(|s| loaded.dataset.splits().get(s))
                            })
                            .flatten()
                            .map(String::as_str),
                        as_stored: as_stored_beside.then_some(TextureKey {
                            sample,
                            size,
                            picture: Picture::AsStored,
                        }),
                        votes: annotations.and_then(|a| {
                            let consensus = crowd.and_then(|c| c.consensus_class(i));
                            let summary = vote_summary(a, i, consensus, loaded.dataset.classes())?;
                            let differs = consensus
                                .is_some_and(|c| loaded.dataset.label(i).is_some_and(|l| l != c));
                            Some((summary, differs))
                        }),
                        soft: edits.and_then(|e| e.soft(i)).map(|soft| {
                            let (class, p) = soft.top();
                            (format!("soft {class} {}", short_probability(p)), soft_line)
                        }),
                        caption,
                        pair,
                    };
                    let response = tile_ui(ui, loaded, cache, key, tile, selected, &marks);
                    if response.clicked() {
                        clicked = Some((pos, ui.input(|i| i.modifiers)));
                    }
                    if response.hovered() {
                        hovered = Some(sample);
                    }
                }
            });
        }
    });
    browse.visible_pending = pending;
    browse.hovered = hovered;
    clicked
}

#[allow(clippy::too_many_arguments)]
fn tile_ui(
    ui: &mut egui::Ui,
    loaded: &super::loaded::Loaded,
    cache: &mut TextureCache,
    key: TextureKey,
    tile: f32,
    selected: bool,
    marks: &TileMarks<'_>,
) -> egui::Response {
    let sample = key.sample;
    let i = sample as usize;
    let dataset = &loaded.dataset;
    let file = dataset.file(i);
    let name = file.rsplit('/').next().unwrap_or(file);
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(tile, tile + marks.caption), egui::Sense::click());
    // The votes travel as the tile's accessible value (screen readers, and the GUI tests).
    let votes_text = marks.votes.as_ref().map(|(v, differs)| {
        if *differs {
            format!("votes {v}, not the label")
        } else {
            format!("votes {v}")
        }
    });
    let soft_text = marks.soft.as_ref().map(|(t, _)| t.as_str());
    let pair_lines = marks.pair.map(|(a, b)| {
        let label = dataset.labels().get(i).copied().unwrap_or(NONE);
        [("A", a), ("B", b)].map(|(tag, m)| model_line(tag, m, i, label, dataset.classes()))
    });
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, name);
        let pair_text = pair_lines
            .as_ref()
            .map(|[a, b]| format!("{} · {}", a.0, b.0));
        info.current_text_value = [votes_text.clone(), soft_text.map(String::from), pair_text]
            .into_iter()
            .flatten()
            .reduce(|a, b| format!("{a}; {b}"));
        info
    });
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let visuals = ui.visuals().clone();
    let painter = ui.painter_at(rect);
    let picture = egui::Rect::from_min_size(rect.min, egui::vec2(tile, tile));
    painter.rect_filled(picture, 4.0, visuals.extreme_bg_color);

    let label = dataset.labels().get(i).copied().unwrap_or(NONE);
    let predicted = loaded.predictions.as_ref().and_then(|p| p.predicted(i));
    let wrong = label != NONE && predicted.is_some_and(|p| p as u32 != label);

    // Stored beside upright: the left half as a loader that ignores EXIF sees it, the right half
    // upright.
    let (picture_area, stored_area) = match marks.as_stored {
        Some(_) => {
            let half = egui::vec2(tile / 2.0, tile);
            (
                egui::Rect::from_min_size(picture.min + egui::vec2(tile / 2.0, 0.0), half),
                Some(egui::Rect::from_min_size(picture.min, half)),
            )
        }
        None => (picture, None),
    };
    if let (Some(key), Some(area)) = (marks.as_stored, stored_area) {
        if let Some(TextureEntry::Ready { texture, .. }) = cache.get(key) {
            paint_fitted(&painter, texture, area);
        }
        let font = egui::FontId::proportional(10.0);
        painter.text(
            area.left_top() + egui::vec2(3.0, 2.0),
            egui::Align2::LEFT_TOP,
            "stored",
            font.clone(),
            visuals.weak_text_color(),
        );
        painter.text(
            picture_area.left_top() + egui::vec2(3.0, 2.0),
            egui::Align2::LEFT_TOP,
            "upright",
            font,
            visuals.weak_text_color(),
        );
    }
    let entry = if dataset.text_column().is_some() {
        paint_text(ui, picture, dataset.text(i), &visuals);
        None
    } else {
        Some(cache.get(key))
    };
    match entry {
        Some(Some(TextureEntry::Ready { texture, info })) => {
            paint_fitted(&painter, texture, picture_area);
            if let Some(audio) = &info.audio {
                painter.text(
                    picture.right_bottom() + egui::vec2(-6.0, -6.0),
                    egui::Align2::RIGHT_BOTTOM,
                    super::format_duration(audio.duration_seconds),
                    egui::FontId::proportional(12.0),
                    visuals.strong_text_color(),
                );
            }
        }
        Some(Some(TextureEntry::Failed(why))) => {
            let text = format!("Cannot show:\n{why}");
            let galley = painter.layout(
                text,
                egui::FontId::proportional(11.0),
                visuals.error_fg_color,
                tile - 12.0,
            );
            painter.galley(
                picture.min + egui::vec2(6.0, 6.0),
                galley,
                visuals.error_fg_color,
            );
        }
        Some(Some(TextureEntry::Pending) | None) => {
            painter.text(
                picture.center(),
                egui::Align2::CENTER_CENTER,
                "…",
                egui::FontId::proportional(18.0),
                visuals.weak_text_color(),
            );
        }
        None => {}
    }
    if wrong {
        painter.rect_stroke(
            picture.shrink(1.0),
            4.0,
            egui::Stroke::new(2.5, visuals.error_fg_color),
            egui::StrokeKind::Inside,
        );
    }
    if selected || response.hovered() {
        painter.rect_stroke(
            picture,
            4.0,
            visuals.selection.stroke,
            egui::StrokeKind::Outside,
        );
    }
    if marks.in_selection {
        painter.rect_filled(picture, 4.0, visuals.selection.bg_fill.gamma_multiply(0.35));
        painter.rect_stroke(
            picture,
            4.0,
            egui::Stroke::new(3.0, visuals.selection.bg_fill),
            egui::StrokeKind::Inside,
        );
    }
    if marks.reviewed {
        // A small green disc in the corner: "someone looked at this one".
        let centre = picture.right_top() + egui::vec2(-10.0, 10.0);
        painter.circle_filled(centre, 6.0, egui::Color32::from_rgb(70, 170, 90));
        painter.circle_stroke(centre, 6.0, egui::Stroke::new(1.0, egui::Color32::WHITE));
    }

    if marks.flagged {
        // A "!" badge in the other corner: confident learning counts this one as a label error.
        let centre = picture.left_top() + egui::vec2(10.0, 10.0);
        painter.circle_filled(centre, 7.0, visuals.warn_fg_color);
        painter.text(
            centre,
            egui::Align2::CENTER_CENTER,
            "!",
            egui::FontId::proportional(11.0),
            egui::Color32::BLACK,
        );
    }

    let class_name = |c: usize| dataset.classes().get(c).map_or("?", String::as_str);
    let mut label_text = if label == NONE {
        "unlabelled".to_string()
    } else {
        class_name(label as usize).to_string()
    };
    let mut label_colour = visuals.strong_text_color();
    if let Some(from) = marks.edited_from {
        label_text = format!("{} -> {label_text}", from.unwrap_or("unlabelled"));
        label_colour = visuals.warn_fg_color;
    }
    if let Some(split) = marks.split {
        label_text = format!("{label_text} · {split}");
    }
    let font = egui::FontId::proportional(12.0);
    let line1 = egui::pos2(rect.min.x + 2.0, picture.max.y + 3.0);
    painter.text(
        line1,
        egui::Align2::LEFT_TOP,
        &label_text,
        font.clone(),
        label_colour,
    );
    if let Some((votes, differs)) = &marks.votes {
        let differs = *differs;
        // The caption is short (the tile is narrow); amber and the corner mark say "not the label".
        painter.text(
            // Under the prediction line(s) when there are any, else right under the label.
            line1
                + egui::vec2(
                    0.0,
                    match (marks.pair.is_some(), predicted.is_some()) {
                        (true, _) => 48.0,
                        (false, true) => 32.0,
                        (false, false) => 16.0,
                    },
                ),
            egui::Align2::LEFT_TOP,
            format!("votes {votes}"),
            font.clone(),
            if differs {
                visuals.warn_fg_color
            } else {
                visuals.weak_text_color()
            },
        );
        if differs {
            // An amber corner mark: the crowd would label this sample differently.
            let centre = picture.left_top() + egui::vec2(10.0, 10.0);
            painter.circle_filled(centre, 6.0, visuals.warn_fg_color);
            painter.circle_stroke(centre, 6.0, egui::Stroke::new(1.0, egui::Color32::WHITE));
        }
    }
    if let Some((text, offset)) = &marks.soft {
        // A hand soft label: the sample is ambiguous, says a person.
        painter.text(
            line1 + egui::vec2(0.0, *offset),
            egui::Align2::LEFT_TOP,
            text,
            font.clone(),
            visuals.hyperlink_color,
        );
    }
    if let Some(lines) = &pair_lines {
        // Both models' predictions, a line each, in the error colour when wrong.
        for (k, (text, wrong)) in lines.iter().enumerate() {
            let color = if *wrong {
                visuals.error_fg_color
            } else {
                visuals.weak_text_color()
            };
            let at = line1 + egui::vec2(0.0, 16.0 * (k as f32 + 1.0));
            painter.text(at, egui::Align2::LEFT_TOP, text, font.clone(), color);
        }
    } else if let (Some(p), Some(conf)) = (
        predicted,
        loaded.predictions.as_ref().and_then(|pr| pr.confidence(i)),
    ) {
        let color = if wrong {
            visuals.error_fg_color
        } else {
            visuals.weak_text_color()
        };
        painter.text(
            line1 + egui::vec2(0.0, 16.0),
            egui::Align2::LEFT_TOP,
            format!("pred {} {conf:.2}", class_name(p)),
            font,
            color,
        );
    } else if let Some(p) = predicted {
        painter.text(
            line1 + egui::vec2(0.0, 16.0),
            egui::Align2::LEFT_TOP,
            format!("pred {}", class_name(p)),
            font,
            visuals.weak_text_color(),
        );
    }
    match &votes_text {
        Some(v) => response.on_hover_text(format!("{file}\n{v}")),
        None => response.on_hover_text(file),
    }
}

/// One model's prediction of sample `i` for a tile ("A: cat 0.91"), and whether it is wrong.
fn model_line(tag: &str, m: &Model, i: usize, label: u32, classes: &[String]) -> (String, bool) {
    let p = &m.predictions;
    let Some(c) = p.predicted(i) else {
        return (format!("{tag}: -"), false);
    };
    let class = classes.get(c).map_or("?", String::as_str);
    let wrong = label != NONE && c as u32 != label;
    let text = match p.confidence(i) {
        Some(conf) => format!("{tag}: {class} {conf:.2}"),
        None => format!("{tag}: {class}"),
    };
    (text, wrong)
}

/// A text sample's tile: its first lines, wrapped to the tile and cut at its edge.
fn paint_text(ui: &egui::Ui, picture: egui::Rect, text: Option<&str>, visuals: &egui::Visuals) {
    let painter = ui.painter_at(picture.shrink(4.0));
    let (body, color) = match text {
        Some("") => ("(empty text)".to_string(), visuals.weak_text_color()),
        Some(t) => (t.chars().take(600).collect(), visuals.text_color()),
        None => ("(no text)".to_string(), visuals.weak_text_color()),
    };
    let galley = painter.layout(
        body,
        egui::FontId::proportional(12.0),
        color,
        picture.width() - 12.0,
    );
    painter.galley(picture.min + egui::vec2(6.0, 6.0), galley, color);
}
