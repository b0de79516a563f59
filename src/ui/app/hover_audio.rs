//! "Play on hover": an audio tile under the pointer for 400 ms plays; leaving it stops it.

use std::time::{Duration, Instant};

use crate::core::media::MediaKind;

use super::super::audio_player::AudioPlayer;
use super::super::browse::Browse;

/// How long the pointer rests on an audio tile before it plays.
const HOVER_DELAY: Duration = Duration::from_millis(400);

/// Starts or stops the hovered clip (the player does the work on its own thread).
pub fn hover_audio(browse: &mut Browse, audio: &mut AudioPlayer) {
    if !browse.hover_preview {
        return;
    }
    let hovered = browse
        .hovered
        .filter(|&s| browse.loaded.dataset.media_kind(s as usize) == Some(MediaKind::Audio));
    match (hovered, browse.hover_since) {
        (Some(s), Some((was, since))) if s == was => {
            if since.elapsed() >= HOVER_DELAY && !audio.is_playing(s) {
                audio.play(s, &browse.loaded.dataset.media(s as usize), 0.0);
                // Once per hover: a clip that ends is not started again until the pointer moves.
                browse.hover_since = Some((s, Instant::now() + Duration::from_secs(3600)));
            }
        }
        (Some(s), _) => {
            audio.stop();
            browse.hover_since = Some((s, Instant::now()));
        }
        (None, Some(_)) => {
            audio.stop();
            browse.hover_since = None;
        }
        (None, None) => {}
    }
}
