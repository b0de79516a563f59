//! The inspector for a clip: play/pause (Space), the time, loop and volume, then the waveform over
//! the mel spectrogram with a playhead that follows the sound; a click on the picture seeks there.

use eframe::egui;

use super::audio_player::AudioPlayer;
use super::texture_cache::{TextureEntry, paint_texture};

/// Draws the clip view for `sample` (its file at `path`, its length when known).
pub fn audio_view_ui(
    ui: &mut egui::Ui,
    entry: Option<&TextureEntry>,
    audio: &mut AudioPlayer,
    sample: u32,
    path: &crate::core::data::sample_media::SampleMedia,
    duration: Option<f64>,
) {
    if ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Space)) {
        audio.toggle(sample, path);
    }
    let playing = audio.is_playing(sample);
    ui.horizontal(|ui| {
        let label = if playing { "Pause" } else { "Play" };
        if ui.button(label).on_hover_text("Space").clicked() {
            audio.toggle(sample, path);
        }
        let at = audio.position(sample).unwrap_or(0.0);
        ui.label(match duration {
            Some(d) => format!(
                "{} / {}",
                super::format_duration(at),
                super::format_duration(d)
            ),
            None => super::format_duration(at),
        });
        ui.checkbox(&mut audio.looping, "Loop");
        ui.add(egui::Slider::new(&mut audio.volume, 0.0..=1.0).text("Volume"));
    });
    if let Some(note) = audio.device_note() {
        ui.weak(note);
    }
    if let Some(e) = &audio.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    ui.label(if playing { "Playing" } else { "Stopped" });
    match entry {
        Some(TextureEntry::Ready { texture, .. }) => {
            let [w, h] = texture.size().map(|v| v as f32);
            let avail = ui.available_size();
            let scale = (avail.x / w.max(1.0)).min(avail.y / h.max(1.0)).max(0.01);
            let (rect, response) =
                ui.allocate_exact_size(egui::vec2(w * scale, h * scale), egui::Sense::click());
            paint_texture(ui.painter(), texture, rect);
            let Some(d) = duration.filter(|d| *d > 0.0) else {
                return;
            };
            if let Some(at) = audio.position(sample) {
                let x = rect.left() + rect.width() * (at / d).clamp(0.0, 1.0) as f32;
                ui.painter().line_segment(
                    [egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())],
                    egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 220, 80)),
                );
            }
            if response.clicked()
                && let Some(p) = response.interact_pointer_pos()
            {
                let t = f64::from((p.x - rect.left()) / rect.width().max(1.0)) * d;
                audio.seek(sample, path, t.clamp(0.0, d));
            }
            response.on_hover_text("Waveform (top) and mel spectrogram (bottom); click to seek");
        }
        Some(TextureEntry::Failed(why)) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("Cannot show this file: {why}"),
            );
        }
        Some(TextureEntry::Pending) | None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Decoding…");
            });
        }
    }
}
