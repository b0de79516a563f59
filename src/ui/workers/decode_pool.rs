//! A bounded pool of named decoder threads for the GUI: requests go in over a bounded channel,
//! upright RGBA thumbnails come back over another, and a waker (the GUI passes
//! `ctx.request_repaint`) is called after each result, outside any lock. Requests carry an epoch:
//! when the view changes, older requests still queued are dropped unread instead of decoded.

use crate::core::data::sample_media::SampleMedia;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use crate::core::media::{
    AudioInput, DEFAULT_MAX_PIXELS, DecodeOptions, MAX_VIEW_SECONDS, MediaError, decode_image,
    decode_mono_with, mel_spectrogram, render_spectrogram, render_waveform, resize_to_fit,
    waveform_peaks, waveform_peaks_streamed,
};
use crate::ui::workers::thumb_store::{StoreKey, StoreReader, ThumbnailStore};

/// What to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeRequest {
    /// The sample index (the caller's key).
    pub sample: u32,
    /// Where the media is: a file, or a row of a Hugging Face shard.
    pub media: SampleMedia,
    /// Longest side wanted, in pixels.
    pub size: u32,
    /// Which picture: an image upright or as stored, a clip's waveform or spectrogram.
    pub picture: Picture,
    /// The epoch the request was made in; see [`DecodePool::next_epoch`].
    pub epoch: u64,
}

pub use super::picture::{AudioFacts, Picture, Thumbnail};

/// A finished request.
#[derive(Debug, Clone)]
pub struct DecodeResult {
    /// The request it answers.
    pub request: DecodeRequest,
    /// The pixels, or why there are none.
    pub result: Result<Thumbnail, MediaError>,
}

/// Decodes one request (also usable without a pool, in tests).
pub fn decode_request(request: &DecodeRequest, max_pixels: u64) -> Result<Thumbnail, MediaError> {
    decode_request_progressive(request, max_pixels, &mut |_| {})
}

/// How often a long clip's inspector picture is sent while it decodes.
pub const PARTIAL_EVERY: std::time::Duration = std::time::Duration::from_millis(300);

/// [`decode_request`]; for a clip's inspector picture, `partial` also gets the waveform decoded so
/// far (placed by the length the header gives) every [`PARTIAL_EVERY`], so a long file fills in.
pub fn decode_request_progressive(
    request: &DecodeRequest,
    max_pixels: u64,
    partial: &mut dyn FnMut(Thumbnail),
) -> Result<Thumbnail, MediaError> {
    if is_audio(request) {
        return audio_picture(request, PARTIAL_EVERY, partial);
    }
    let bytes = request.media.read()?;
    let file_bytes = bytes.len() as u64;
    // Embedded media has no file name: the content decides.
    let ext = request
        .media
        .file()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str());
    let options = DecodeOptions {
        max_pixels,
        target_size: Some(request.size),
        apply_orientation: request.picture.applies_orientation(),
    };
    let decoded = decode_image(&bytes, ext, &options)?;
    drop(bytes);
    let (orientation, orientation_note) = match &decoded.exif {
        crate::core::media::ExifOrientation::Tag(o) => (Some(o.value()), None),
        crate::core::media::ExifOrientation::Absent => (None, None),
        crate::core::media::ExifOrientation::Ignored(why) => (None, Some(why.clone())),
    };
    let pixels = resize_to_fit(decoded.pixels, request.size)?;
    Ok(Thumbnail {
        width: pixels.width,
        height: pixels.height,
        rgba: pixels.to_rgba().into(),
        stored_size: decoded.stored_size,
        orientation,
        orientation_note,
        format: decoded.format,
        file_bytes,
        audio: None,
    })
}

/// Nearest-neighbour stretch of an RGBA `sw` x `sh` picture to `w` x `h`.
fn stretch(src: &[u8], sw: u32, sh: u32, w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        let sy = (y * sh / h.max(1)).min(sh.saturating_sub(1));
        for x in 0..w {
            let sx = (x * sw / w.max(1)).min(sw.saturating_sub(1));
            let i = ((sy * sw + sx) * 4) as usize;
            out.extend_from_slice(src.get(i..i + 4).unwrap_or(&[0, 0, 0, 255]));
        }
    }
    out
}

/// Whether a request is for a clip: its picture says so, or its file's name.
fn is_audio(request: &DecodeRequest) -> bool {
    matches!(request.picture, Picture::Waveform | Picture::Spectrogram)
        || request
            .media
            .file()
            .and_then(|p| p.to_str())
            .and_then(crate::core::media::MediaKind::of)
            .is_some_and(|k| k == crate::core::media::MediaKind::Audio)
}

/// The inspector's clip picture: width, waveform height, spectrogram height.
const INSPECT_WIDTH: u32 = 1600;
const INSPECT_WAVE_HEIGHT: u32 = 300;
const INSPECT_SPEC_HEIGHT: u32 = 400;

fn audio_format(media: &SampleMedia, bytes: Option<&[u8]>) -> &'static str {
    let ext = media
        .file()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let by_magic = bytes.and_then(|b| {
        Some(if b.starts_with(b"RIFF") {
            "wav"
        } else if b.starts_with(b"fLaC") {
            "flac"
        } else if b.starts_with(b"OggS") {
            "ogg"
        } else if b.starts_with(b"ID3") || b.first() == Some(&0xFF) {
            "mp3"
        } else {
            return None;
        })
    });
    match ext.as_deref().or(by_magic) {
        Some("wav") => "WAV",
        Some("flac") => "FLAC",
        Some("ogg") => "Ogg Vorbis",
        Some("mp3") => "MP3",
        _ => "audio",
    }
}

/// Requests up to this size are grid tiles (a waveform); larger ones the inspector's view (the
/// waveform over the mel spectrogram).
const TILE_MAX: u32 = 512;

/// A clip's picture: for a tile its waveform (`size` x `size/2`), for the inspector the waveform
/// above its mel spectrogram.
pub fn audio_picture(
    request: &DecodeRequest,
    every: std::time::Duration,
    partial: &mut dyn FnMut(Thumbnail),
) -> Result<Thumbnail, MediaError> {
    // A file streams from disk; a clip embedded in a shard is read whole first.
    let embedded = match &request.media {
        SampleMedia::File(_) => None,
        other => Some(other.read()?),
    };
    let input = match (&request.media, &embedded) {
        (SampleMedia::File(p), _) => AudioInput::File(p),
        (_, Some(b)) => AudioInput::Bytes(b),
        (_, None) => return Err(MediaError::unsupported("no audio to read")),
    };
    let file_bytes = match (&request.media, &embedded) {
        (SampleMedia::File(p), _) => std::fs::metadata(p).map_or(0, |m| m.len()),
        (_, b) => b.as_ref().map_or(0, |b| b.len() as u64),
    };
    let format = audio_format(&request.media, embedded.as_deref());
    if request.size <= TILE_MAX && request.picture != Picture::Spectrogram {
        // A waveform tile: peaks folded while decoding, never the clip's samples in memory.
        let (w, h) = (request.size.max(16), (request.size / 2).max(8));
        let streamed = waveform_peaks_streamed(input, MAX_VIEW_SECONDS, w as usize)?;
        let facts = AudioFacts {
            duration_seconds: streamed.duration_seconds(),
            sample_rate: streamed.facts.sample_rate,
            channels: streamed.facts.channels,
        };
        let rgba = render_waveform(&streamed.peaks, w, h);
        return Ok(clip_picture(w, h, rgba, format, file_bytes, facts));
    }
    let inspector = request.size > TILE_MAX;
    let mut on_progress = |samples: &[f32], rate: u32, total: Option<u64>| {
        let Some(total) = total.filter(|t| *t > 0 && inspector && !samples.is_empty()) else {
            return;
        };
        let (w, h) = (INSPECT_WIDTH, INSPECT_WAVE_HEIGHT + INSPECT_SPEC_HEIGHT);
        let done = ((samples.len() as u64 * u64::from(w)) / total).clamp(1, u64::from(w)) as u32;
        let peaks = waveform_peaks(samples, done as usize);
        let wave = render_waveform(&peaks, done, INSPECT_WAVE_HEIGHT);
        let mut rgba = vec![0u8; (w * h * 4) as usize];
        for px in rgba.chunks_exact_mut(4) {
            px.copy_from_slice(&[24, 26, 30, 255]);
        }
        for y in 0..INSPECT_WAVE_HEIGHT {
            let src = (y * done * 4) as usize;
            let dst = (y * w * 4) as usize;
            if let (Some(s), Some(d)) = (
                wave.get(src..src + (done * 4) as usize),
                rgba.get_mut(dst..dst + (done * 4) as usize),
            ) {
                d.copy_from_slice(s);
            }
        }
        let facts = AudioFacts {
            duration_seconds: total as f64 / f64::from(rate.max(1)),
            sample_rate: rate,
            channels: 0,
        };
        partial(clip_picture(w, h, rgba, format, file_bytes, facts));
    };
    let clip = decode_mono_with(input, MAX_VIEW_SECONDS, every, &mut on_progress)?;
    let facts = AudioFacts {
        duration_seconds: clip.duration_seconds(),
        sample_rate: clip.sample_rate,
        channels: clip.channels,
    };
    let (width, height, rgba) = if request.size <= TILE_MAX {
        let (w, h) = (request.size.max(16), (request.size / 2).max(8));
        let mel = mel_spectrogram(&clip.samples, clip.sample_rate, 1024, 64, w as usize);
        let (sw, sh, spec) = render_spectrogram(&mel);
        (w, h, stretch(&spec, sw, sh, w, h))
    } else {
        let w = INSPECT_WIDTH;
        let (wave_h, spec_h) = (INSPECT_WAVE_HEIGHT, INSPECT_SPEC_HEIGHT);
        let peaks = waveform_peaks(&clip.samples, w as usize);
        let mut rgba = render_waveform(&peaks, w, wave_h);
        let mel = mel_spectrogram(&clip.samples, clip.sample_rate, 1024, 64, w as usize);
        let (sw, sh, spec) = render_spectrogram(&mel);
        rgba.extend(stretch(&spec, sw, sh, w, spec_h));
        (w, wave_h + spec_h, rgba)
    };
    Ok(clip_picture(width, height, rgba, format, file_bytes, facts))
}

/// A clip's picture as the GUI takes it: no stored size or orientation, its facts attached.
fn clip_picture(
    width: u32,
    height: u32,
    rgba: Vec<u8>,
    format: &'static str,
    file_bytes: u64,
    facts: AudioFacts,
) -> Thumbnail {
    Thumbnail {
        width,
        height,
        rgba: rgba.into(),
        stored_size: (0, 0),
        orientation: None,
        orientation_note: None,
        format,
        file_bytes,
        audio: Some(facts),
    }
}

/// `decode_request` through the on-disk cache: a hit skips the decode; a miss is decoded and kept.
fn cached_decode(
    request: &DecodeRequest,
    store: Option<&ThumbnailStore>,
    reader: Option<&StoreReader>,
) -> Result<Thumbnail, MediaError> {
    let (Some(store), Some(reader)) = (store, reader) else {
        return decode_request(request, DEFAULT_MAX_PIXELS);
    };
    // Clips are drawn from their samples each time (cheap next to a photo decode).
    if is_audio(request) {
        return decode_request(request, DEFAULT_MAX_PIXELS);
    }
    let key = match &request.media {
        SampleMedia::File(path) => {
            match StoreKey::for_file(path, request.size, request.picture.applies_orientation()) {
                Ok(key) => key,
                Err(e) => return Err(MediaError::from_io(&e)),
            }
        }
        // Embedded: keyed by shard, row, and the shard's length and modification time.
        other => match other.cache_key() {
            Some((name, file_len, mtime_ns)) => StoreKey {
                path: std::path::PathBuf::from(name),
                size: request.size,
                upright: request.picture.applies_orientation(),
                file_len,
                mtime_ns,
            },
            None => return decode_request(request, DEFAULT_MAX_PIXELS),
        },
    };
    if let Some(hit) = reader.get(&key) {
        return Ok(hit);
    }
    let thumb = decode_request(request, DEFAULT_MAX_PIXELS)?;
    store.put(&key, &thumb);
    Ok(thumb)
}

/// The pool. Dropping it stops the workers once they finish the file in hand.
pub struct DecodePool {
    requests: Option<SyncSender<DecodeRequest>>,
    results: Receiver<DecodeResult>,
    epoch: Arc<AtomicU64>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl DecodePool {
    /// Starts `workers` threads (at least one) with room for `queue` waiting requests. With a
    /// `store`, tiles are read from it when the file is unchanged, and kept in it after a decode.
    pub fn new(
        workers: usize,
        queue: usize,
        store: Option<Arc<ThumbnailStore>>,
        waker: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        let (req_tx, req_rx) = std::sync::mpsc::sync_channel::<DecodeRequest>(queue.max(1));
        let (res_tx, res_rx) = std::sync::mpsc::channel();
        let req_rx = Arc::new(Mutex::new(req_rx));
        let epoch = Arc::new(AtomicU64::new(0));
        let workers = (0..workers.max(1))
            .filter_map(|k| {
                let req_rx = Arc::clone(&req_rx);
                let res_tx = res_tx.clone();
                let epoch = Arc::clone(&epoch);
                let waker = Arc::clone(&waker);
                let store = store.clone();
                std::thread::Builder::new()
                    .name(format!("thumbnail-decoder-{k}"))
                    .spawn(move || {
                        let reader = store.as_ref().and_then(|s| s.reader().ok());
                        loop {
                            let next = match req_rx.lock() {
                                Ok(rx) => rx.recv(),
                                Err(_) => return,
                            };
                            let Ok(request) = next else { return };
                            if request.epoch < epoch.load(Ordering::Relaxed) {
                                continue;
                            }
                            let result = if is_audio(&request) {
                                // A long clip's picture is sent as it fills in, then whole.
                                let tx = res_tx.clone();
                                let waker = &waker;
                                decode_request_progressive(&request, DEFAULT_MAX_PIXELS, &mut |t| {
                                    tx.send(DecodeResult {
                                        request: request.clone(),
                                        result: Ok(t),
                                    })
                                    .ok();
                                    waker();
                                })
                            } else {
                                cached_decode(&request, store.as_deref(), reader.as_ref())
                            };
                            if res_tx.send(DecodeResult { request, result }).is_err() {
                                return;
                            }
                            waker();
                        }
                    })
                    .ok()
            })
            .collect();
        Self {
            requests: Some(req_tx),
            results: res_rx,
            epoch,
            workers,
        }
    }

    /// The current epoch, to put in new requests.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    /// Starts a new epoch: requests of earlier epochs still in the queue are skipped.
    pub fn next_epoch(&self) -> u64 {
        self.epoch.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Queues a request; `false` when the queue is full (ask again next frame).
    pub fn request(&self, request: DecodeRequest) -> bool {
        match self.requests.as_ref().map(|tx| tx.try_send(request)) {
            Some(Ok(())) => true,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => false,
        }
    }

    /// A finished result, if one is waiting.
    pub fn try_recv(&self) -> Option<DecodeResult> {
        self.results.try_recv().ok()
    }
}

impl Drop for DecodePool {
    fn drop(&mut self) {
        // Closing the request channel ends each worker after its current file.
        self.requests = None;
        self.epoch.store(u64::MAX, Ordering::Relaxed);
        for w in self.workers.drain(..) {
            w.join().ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_and_old_epochs_are_skipped() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats");
        let pool = DecodePool::new(1, 16, None, Arc::new(|| {}));
        let request = |sample: u32, name: &str, epoch: u64| DecodeRequest {
            sample,
            media: SampleMedia::File(dir.join(name)),
            size: 16,
            picture: Picture::Upright,
            epoch,
        };
        assert!(pool.request(request(0, "rgb.png", pool.epoch())));
        assert!(pool.request(request(1, "no-such-file.png", pool.epoch())));
        let mut got = Vec::new();
        let start = std::time::Instant::now();
        while got.len() < 2 && start.elapsed().as_secs() < 10 {
            if let Some(r) = pool.try_recv() {
                got.push(r);
            }
            std::thread::yield_now();
        }
        got.sort_by_key(|r| r.request.sample);
        let thumb = got[0].result.as_ref().unwrap();
        assert_eq!((thumb.width, thumb.height), (16, 11));
        assert_eq!(thumb.rgba.len(), 16 * 11 * 4);
        assert_eq!(
            got[1].result.as_ref().unwrap_err().kind,
            crate::core::media::ProblemKind::Missing
        );
        let old = pool.epoch();
        pool.next_epoch();
        assert!(pool.request(request(2, "rgb.png", old)));
        assert!(pool.request(request(3, "rgb.png", pool.epoch())));
        let start = std::time::Instant::now();
        let mut samples = Vec::new();
        while samples.is_empty() && start.elapsed().as_secs() < 10 {
            if let Some(r) = pool.try_recv() {
                samples.push(r.request.sample);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        while let Some(r) = pool.try_recv() {
            samples.push(r.request.sample);
        }
        assert_eq!(samples, vec![3], "the request of the old epoch was skipped");
    }
}
