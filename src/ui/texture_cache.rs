//! Decoded thumbnails as GPU textures, keyed by sample and size, bounded in bytes: when over budget,
//! the entries used longest ago go first (never one used this frame). Failures are cached too, so
//! an unreadable file is decoded once and its tile keeps saying why.

use std::collections::HashMap;

use eframe::egui;

use crate::ui::workers::decode_pool::{
    DecodePool, DecodeRequest, DecodeResult, Picture, Thumbnail,
};

/// Which picture of a sample: its index, the decode size, and which picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextureKey {
    /// Sample index.
    pub sample: u32,
    /// Longest side requested.
    pub size: u32,
    /// EXIF orientation applied; for an audio tile, the waveform rather than the spectrogram.
    pub picture: Picture,
}

/// A cached picture.
pub enum TextureEntry {
    /// Requested from the decoder pool, not back yet.
    Pending,
    /// On the GPU.
    Ready {
        /// The texture (dropping it frees the GPU memory).
        texture: egui::TextureHandle,
        /// What the decoder said about the file.
        info: ThumbnailInfo,
    },
    /// The file could not be decoded; why, for the tile.
    Failed(String),
}

/// What a tile or the inspector shows about a decoded file, besides its pixels.
#[derive(Debug, Clone)]
pub struct ThumbnailInfo {
    /// Size of the texture in pixels.
    pub size: [u32; 2],
    /// Full stored size of the file.
    pub stored_size: (u32, u32),
    /// EXIF Orientation 1–8, if valid.
    pub orientation: Option<u8>,
    /// Why the orientation was ignored, when it was.
    pub orientation_note: Option<String>,
    /// Format by content.
    pub format: &'static str,
    /// File size in bytes.
    pub file_bytes: u64,
    /// Duration, rate and channels of an audio clip.
    pub audio: Option<crate::ui::workers::decode_pool::AudioFacts>,
}

struct Slot {
    entry: TextureEntry,
    bytes: usize,
    last_used_frame: u64,
}

/// The cache.
pub struct TextureCache {
    slots: HashMap<TextureKey, Slot>,
    bytes: usize,
    budget_bytes: usize,
    frame: u64,
}

impl TextureCache {
    /// A cache that keeps at most about `budget_bytes` of texture memory.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            slots: HashMap::new(),
            bytes: 0,
            budget_bytes,
            frame: 0,
        }
    }

    /// Texture memory in use.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The entry for `key`, marked as used this frame.
    pub fn get(&mut self, key: TextureKey) -> Option<&TextureEntry> {
        let frame = self.frame;
        self.slots.get_mut(&key).map(|s| {
            s.last_used_frame = frame;
            &s.entry
        })
    }

    /// Asks `pool` for `key` unless it is cached or already asked for; `path` is only called then.
    pub fn request(
        &mut self,
        pool: &DecodePool,
        key: TextureKey,
        media: impl FnOnce() -> crate::core::data::sample_media::SampleMedia,
    ) {
        if self.get(key).is_some() {
            return;
        }
        let asked = pool.request(DecodeRequest {
            sample: key.sample,
            media: media(),
            size: key.size,
            picture: key.picture,
            epoch: pool.epoch(),
        });
        if asked {
            self.mark_pending(key);
        }
    }

    /// Records that `key` was requested.
    fn mark_pending(&mut self, key: TextureKey) {
        self.slots.insert(
            key,
            Slot {
                entry: TextureEntry::Pending,
                bytes: 0,
                last_used_frame: self.frame,
            },
        );
    }

    /// Forgets pending requests (their epoch was dropped), so they are asked for again.
    pub fn forget_pending(&mut self) {
        self.slots
            .retain(|_, s| !matches!(s.entry, TextureEntry::Pending));
    }

    /// Stores a decoder result: uploads the pixels, or keeps the failure.
    pub fn insert(&mut self, ctx: &egui::Context, result: DecodeResult) {
        let key = TextureKey {
            sample: result.request.sample,
            size: result.request.size,
            picture: result.request.picture,
        };
        let (entry, bytes) = match result.result {
            Ok(thumb) => {
                let bytes = thumb.rgba.len();
                (upload(ctx, key, &thumb), bytes)
            }
            Err(e) => (TextureEntry::Failed(e.detail), 0),
        };
        if let Some(old) = self.slots.insert(
            key,
            Slot {
                entry,
                bytes,
                last_used_frame: self.frame,
            },
        ) {
            self.bytes -= old.bytes;
        }
        self.bytes += bytes;
    }

    /// Ends a frame: evicts the least recently used textures while over budget.
    pub fn end_frame(&mut self) {
        if self.bytes > self.budget_bytes {
            // Iteration order does not matter here: the candidates are sorted by age.
            #[allow(clippy::iter_over_hash_type)]
            let mut candidates: Vec<(u64, TextureKey, usize)> = self
                .slots
                .iter()
                .filter(|(_, s)| s.bytes > 0 && s.last_used_frame < self.frame)
                .map(|(k, s)| (s.last_used_frame, *k, s.bytes))
                .collect();
            candidates.sort_unstable_by_key(|(used, k, _)| (*used, k.sample, k.size, k.picture));
            for (_, key, bytes) in candidates {
                if self.bytes <= self.budget_bytes {
                    break;
                }
                self.slots.remove(&key);
                self.bytes -= bytes;
            }
        }
        self.frame += 1;
    }

    /// Drops everything (a new dataset).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.bytes = 0;
    }
}

/// Paints the whole of `texture` into `rect`.
// Not inlined: see `paint_fitted` in grid.rs (release builds drew pictures shifted when it was).
#[inline(never)]
pub fn paint_texture(painter: &egui::Painter, texture: &egui::TextureHandle, rect: egui::Rect) {
    painter.image(
        texture.id(),
        rect,
        egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
        egui::Color32::WHITE,
    );
}

fn upload(ctx: &egui::Context, key: TextureKey, thumb: &Thumbnail) -> TextureEntry {
    let image = egui::ColorImage::from_rgba_unmultiplied(
        [thumb.width as usize, thumb.height as usize],
        &thumb.rgba,
    );
    let texture = ctx.load_texture(
        format!("sample-{}-{}-{:?}", key.sample, key.size, key.picture),
        image,
        egui::TextureOptions::LINEAR,
    );
    TextureEntry::Ready {
        texture,
        info: ThumbnailInfo {
            size: [thumb.width, thumb.height],
            stored_size: thumb.stored_size,
            orientation: thumb.orientation,
            orientation_note: thumb.orientation_note.clone(),
            format: thumb.format,
            audio: thumb.audio,
            file_bytes: thumb.file_bytes,
        },
    }
}
