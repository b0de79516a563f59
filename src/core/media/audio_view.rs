//! What a person looks at before (and while) listening: a clip decoded to mono samples, its waveform
//! as min/max peaks per column, and a mel spectrogram (STFT with a Hann window, triangular mel filters
//! on the HTK mel scale, power in dB), rendered to RGBA for the grid and the inspector. Decoding
//! streams packet by packet, so a long file costs its samples, never its compressed bytes twice.

use std::path::Path;

use symphonia::core::audio::{AudioBuffer, AudioBufferRef, SampleBuffer, Signal as _};
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as SymError;

use super::audio::{OpenTrack, describe, open_track};
use super::fft::PowerSpectrum;
use super::file::MediaError;

/// Longest clip decoded for a view (at 48 kHz mono, 4 bytes a sample: about 350 MB).
pub const MAX_VIEW_SECONDS: f64 = 30.0 * 60.0;

/// A clip as mono `f32` samples (channels averaged).
#[derive(Debug, Clone, PartialEq)]
pub struct MonoClip {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels in the file.
    pub channels: u32,
    /// The samples, in [-1, 1].
    pub samples: Vec<f32>,
    /// The codec's short name ("pcm_s16le", "flac", ...).
    pub codec: String,
}

impl MonoClip {
    /// Length in seconds (from the decoded frames).
    pub fn duration_seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate.max(1))
    }
}

/// Where a clip is: a file (streamed from disk) or bytes in memory (a clip embedded in a shard).
#[derive(Debug, Clone, Copy)]
pub enum AudioInput<'a> {
    /// A file.
    File(&'a Path),
    /// The clip's bytes; the decoder probes the format from them.
    Bytes(&'a [u8]),
}

impl<'a> From<&'a Path> for AudioInput<'a> {
    fn from(p: &'a Path) -> Self {
        Self::File(p)
    }
}

impl<'a> From<&'a std::path::PathBuf> for AudioInput<'a> {
    fn from(p: &'a std::path::PathBuf) -> Self {
        Self::File(p)
    }
}

/// Decodes `path` to mono, at most `max_seconds` of it. An empty, truncated or non-audio file is a
/// [`MediaError`] that says which.
pub fn decode_mono<'a>(
    path: impl Into<AudioInput<'a>>,
    max_seconds: f64,
) -> Result<MonoClip, MediaError> {
    decode_mono_with(
        path,
        max_seconds,
        std::time::Duration::MAX,
        &mut |_, _, _| {},
    )
}

/// Called while a clip decodes: (samples so far, sample rate, frames the header announces).
pub type DecodeProgress<'a> = dyn FnMut(&[f32], u32, Option<u64>) + 'a;

/// [`decode_mono`], calling `progress(samples so far, sample rate, frames the header announces)` at
/// most once per `every` while it decodes, so a long clip's view can fill in as it goes.
pub fn decode_mono_with<'a>(
    path: impl Into<AudioInput<'a>>,
    max_seconds: f64,
    every: std::time::Duration,
    progress: &mut DecodeProgress<'_>,
) -> Result<MonoClip, MediaError> {
    let mut last_progress = std::time::Instant::now();
    let mut samples: Vec<f32> = Vec::new();
    let facts = decode_mono_stream(path, max_seconds, &mut |packet, facts| {
        if samples.is_empty() {
            let limit = facts.limit.min(1 << 26) as u64;
            samples.reserve(facts.header_frames.map_or(0, |n| n.min(limit) as usize));
        }
        if last_progress.elapsed() >= every {
            progress(&samples, facts.sample_rate, facts.header_frames);
            last_progress = std::time::Instant::now();
        }
        samples.extend_from_slice(packet);
    })?;
    Ok(MonoClip {
        sample_rate: facts.sample_rate,
        channels: facts.channels,
        samples,
        codec: facts.codec,
    })
}

/// What [`decode_mono_stream`] knows about a clip.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamFacts {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels in the file.
    pub channels: u32,
    /// The codec's short name.
    pub codec: String,
    /// Frames the header announces, when it does.
    pub header_frames: Option<u64>,
    /// Most samples that will be passed on (`max_seconds` at the sample rate).
    pub limit: usize,
    /// Samples passed on in all.
    pub decoded: usize,
}

/// Decodes `path` to mono packet by packet, passing each packet's samples to `sink` and keeping none:
/// the caller decides what to hold (all samples, or a fold such as [`StreamedPeaks`]). At most
/// `max_seconds` are passed on. Errors as [`decode_mono`].
pub fn decode_mono_stream<'a>(
    path: impl Into<AudioInput<'a>>,
    max_seconds: f64,
    sink: &mut dyn FnMut(&[f32], &StreamFacts),
) -> Result<StreamFacts, MediaError> {
    let (source, ext): (Box<dyn symphonia::core::io::MediaSource>, _) = match path.into() {
        AudioInput::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| MediaError::from_io(&e))?;
            if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
                return Err(MediaError::empty());
            }
            (Box::new(file), path.extension().and_then(|e| e.to_str()))
        }
        AudioInput::Bytes([]) => return Err(MediaError::empty()),
        AudioInput::Bytes(b) => (Box::new(std::io::Cursor::new(b.to_vec())), None),
    };
    let OpenTrack {
        mut format,
        track_id,
        params,
        sample_rate,
        codec,
    } = open_track(source, ext)?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| {
            MediaError::unsupported(format!("no decoder for this audio: {}", describe(&e)))
        })?;
    let mut facts = StreamFacts {
        sample_rate,
        channels: params.channels.map_or(0, |c| c.count() as u32),
        codec,
        header_frames: params.n_frames,
        limit: (max_seconds * f64::from(sample_rate)) as usize,
        decoded: 0,
    };
    let mut scratch: Vec<f32> = Vec::new();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    while facts.decoded < facts.limit {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => {
                return Err(MediaError::unreadable(format!(
                    "the audio stream is corrupt after {:.2} s: {}",
                    facts.decoded as f64 / f64::from(sample_rate),
                    describe(&e)
                )));
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = decoder.decode(&packet).map_err(|e| {
            MediaError::unreadable(format!(
                "the audio cannot be decoded after {:.2} s: {}",
                facts.decoded as f64 / f64::from(sample_rate),
                describe(&e)
            ))
        })?;
        let spec = *decoded.spec();
        let n = spec.channels.count().max(1);
        facts.channels = n as u32;
        let frames = decoded.frames();
        scratch.clear();
        // The common sample formats are read straight from their planes (no interleaved copy).
        if !push_mono(&decoded, n, &mut scratch) {
            let buf = match &mut buffer {
                Some(b) if b.capacity() >= frames * n => b,
                _ => buffer.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
            };
            buf.copy_interleaved_ref(decoded);
            let scale = 1.0 / n as f32;
            for frame in buf.samples().chunks_exact(n) {
                scratch.push(frame.iter().sum::<f32>() * scale);
            }
        }
        let take = scratch.len().min(facts.limit - facts.decoded);
        sink(&scratch[..take], &facts);
        facts.decoded += take;
    }
    // A stream that stops well short of the length its header gives was cut off.
    if let Some(n) = params.n_frames
        && facts.decoded < facts.limit
        && (facts.decoded as u64) + u64::from(sample_rate / 10) < n
    {
        return Err(MediaError::unreadable(format!(
            "the file ends early (truncated): {:.2} s of the {:.2} s its header gives",
            facts.decoded as f64 / f64::from(sample_rate),
            n as f64 / f64::from(sample_rate)
        )));
    }
    if facts.decoded == 0 {
        return Err(MediaError::unreadable("the audio stream holds no samples"));
    }
    Ok(facts)
}

/// A clip's waveform peaks folded while it decodes: memory is O(columns), never the samples, so a
/// grid tile of a 30-minute clip costs a few kilobytes instead of hundreds of megabytes.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamedPeaks {
    /// Min and max per column, as [`waveform_peaks`] computes them from all the samples.
    pub peaks: Vec<(f32, f32)>,
    /// What the decode found (rate, channels, codec, samples decoded).
    pub facts: StreamFacts,
}

impl StreamedPeaks {
    /// Length in seconds (from the decoded samples).
    pub fn duration_seconds(&self) -> f64 {
        self.facts.decoded as f64 / f64::from(self.facts.sample_rate.max(1))
    }
}

/// The peaks of `path` in `columns` columns, folded while decoding (at most `max_seconds`). When
/// the header gives the length (WAV, FLAC, most others) every sample goes straight to its column
/// and the result equals [`waveform_peaks`] of the full decode; otherwise samples are folded into
/// buckets that double in width as the clip grows (at most `4 × columns` of them) and the buckets
/// are merged into columns at the end.
pub fn waveform_peaks_streamed<'a>(
    path: impl Into<AudioInput<'a>>,
    max_seconds: f64,
    columns: usize,
) -> Result<StreamedPeaks, MediaError> {
    let columns = columns.max(1);
    let mut fold: Option<PeakFold> = None;
    let facts = decode_mono_stream(path, max_seconds, &mut |packet, facts| {
        fold.get_or_insert_with(|| PeakFold::new(columns, facts))
            .push_slice(packet);
    })?;
    let peaks = match fold {
        Some(f) => f.finish(facts.decoded),
        None => vec![(0.0, 0.0); columns],
    };
    Ok(StreamedPeaks { peaks, facts })
}

/// The running fold behind [`waveform_peaks_streamed`].
enum PeakFold {
    /// The length is known: `col(i) = ((i + 1) * columns - 1) / len`, as `waveform_peaks` slices.
    Known {
        len: usize,
        seen: usize,
        peaks: Vec<(f32, f32)>,
        /// The first sample of each column (an empty column, when there are more columns than
        /// samples, shows the next column's first sample, as `waveform_peaks` does).
        first: Vec<Option<f32>>,
    },
    /// The length is not known: buckets of `width` samples, doubled (pairs merged) when full.
    Unknown {
        columns: usize,
        width: usize,
        filled: usize,
        buckets: Vec<(f32, f32)>,
    },
}

/// Folds a sample into a (min, max) that starts at (0, 0), as `waveform_peaks` does.
fn widen((lo, hi): (f32, f32), s: f32) -> (f32, f32) {
    (lo.min(s), hi.max(s))
}

impl PeakFold {
    fn new(columns: usize, facts: &StreamFacts) -> Self {
        match facts.header_frames {
            Some(n) if n > 0 => {
                let len = (n as usize).min(facts.limit).max(1);
                Self::Known {
                    len,
                    seen: 0,
                    peaks: vec![(0.0, 0.0); columns],
                    first: vec![None; columns],
                }
            }
            _ => Self::Unknown {
                columns,
                width: 1,
                filled: 0,
                buckets: Vec::with_capacity(4 * columns),
            },
        }
    }

    /// Folds a decoded packet. With a known length, sample `i` goes to column
    /// `((i + 1) * columns - 1) / len`, so column `c` ends before sample `(c + 1) * len / columns`:
    /// the packet is folded a column's run at a time (one division per column, not per sample; the
    /// per-sample division was half a tile's time), in the same order, so the peaks are the same.
    fn push_slice(&mut self, mut samples: &[f32]) {
        match self {
            Self::Known {
                len,
                seen,
                peaks,
                first,
            } => {
                let columns = peaks.len();
                while let Some(&head) = samples.first() {
                    // Past the announced length (a header a little short): the last column takes it.
                    let c = (((*seen + 1) * columns - 1) / *len).min(columns - 1);
                    let end = if c + 1 >= columns {
                        usize::MAX
                    } else {
                        (c + 1) * *len / columns
                    };
                    let take = end.saturating_sub(*seen).clamp(1, samples.len());
                    let (run, rest) = samples.split_at(take);
                    first[c].get_or_insert(head);
                    peaks[c] = run.iter().fold(peaks[c], |a, &s| widen(a, s));
                    *seen += take;
                    samples = rest;
                }
            }
            Self::Unknown { .. } => {
                for &s in samples {
                    self.push(s);
                }
            }
        }
    }

    fn push(&mut self, s: f32) {
        match self {
            Self::Known { .. } => self.push_slice(&[s]),
            Self::Unknown {
                columns,
                width,
                filled,
                buckets,
            } => {
                if *filled == 0 {
                    if buckets.len() == 4 * *columns {
                        *buckets = buckets
                            .chunks(2)
                            .map(|p| {
                                p.iter()
                                    .fold((0.0, 0.0), |a, &(lo, hi)| widen(widen(a, lo), hi))
                            })
                            .collect();
                        *width *= 2;
                    }
                    buckets.push((0.0, 0.0));
                }
                if let Some(last) = buckets.last_mut() {
                    *last = widen(*last, s);
                }
                *filled = (*filled + 1) % *width;
            }
        }
    }

    fn finish(self, decoded: usize) -> Vec<(f32, f32)> {
        match self {
            Self::Known {
                len,
                mut peaks,
                first,
                ..
            } if decoded == len => {
                // Empty columns show the first sample of the next column that has one.
                let mut next: Option<f32> = None;
                for c in (0..peaks.len()).rev() {
                    match first[c] {
                        Some(f) => next = Some(f),
                        None => {
                            if let Some(f) = next {
                                peaks[c] = widen((0.0, 0.0), f);
                            }
                        }
                    }
                }
                peaks
            }
            // A header that was off (the stream shorter than announced): columns from what came.
            Self::Known { peaks, .. } => peaks,
            Self::Unknown {
                columns, buckets, ..
            } => waveform_from_buckets(&buckets, columns),
        }
    }
}

/// Merges peak buckets into `columns` columns (each column the buckets whose start falls in it).
fn waveform_from_buckets(buckets: &[(f32, f32)], columns: usize) -> Vec<(f32, f32)> {
    (0..columns)
        .map(|c| {
            let a = c * buckets.len() / columns;
            let b = ((c + 1) * buckets.len() / columns)
                .max(a + 1)
                .min(buckets.len());
            buckets
                .get(a..b)
                .unwrap_or(&[])
                .iter()
                .fold((0.0, 0.0), |acc, &(lo, hi)| widen(widen(acc, lo), hi))
        })
        .collect()
}

/// Appends the channel average of each frame of `decoded` for 16-bit, 32-bit and float buffers;
/// `false` for other formats (the caller converts those).
fn push_mono(decoded: &AudioBufferRef<'_>, n: usize, out: &mut Vec<f32>) -> bool {
    fn mix<S: symphonia::core::sample::Sample>(
        buf: &AudioBuffer<S>,
        n: usize,
        out: &mut Vec<f32>,
        to_f32: impl Fn(S) -> f32,
    ) {
        let frames = buf.frames();
        if n == 1 {
            out.extend(buf.chan(0).iter().take(frames).map(|&v| to_f32(v)));
            return;
        }
        let start = out.len();
        out.resize(start + frames, 0.0);
        let scale = 1.0 / n as f32;
        for c in 0..n {
            for (o, &v) in out[start..].iter_mut().zip(buf.chan(c)) {
                *o += to_f32(v) * scale;
            }
        }
    }
    match decoded {
        AudioBufferRef::S16(b) => mix(b, n, out, |v| f32::from(v) / 32768.0),
        AudioBufferRef::S32(b) => mix(b, n, out, |v| v as f32 / 2_147_483_648.0),
        AudioBufferRef::F32(b) => mix(b, n, out, |v| v),
        _ => return false,
    }
    true
}

/// Min and max of each of `columns` equal slices of `samples`: a waveform that keeps every peak.
pub fn waveform_peaks(samples: &[f32], columns: usize) -> Vec<(f32, f32)> {
    let columns = columns.max(1);
    (0..columns)
        .map(|c| {
            let a = c * samples.len() / columns;
            let b = ((c + 1) * samples.len() / columns)
                .max(a + 1)
                .min(samples.len());
            samples
                .get(a..b)
                .unwrap_or(&[])
                .iter()
                .fold((0.0f32, 0.0f32), |(lo, hi), &s| (lo.min(s), hi.max(s)))
        })
        .collect()
}

/// The waveform drawn as RGBA `width` x `height`: a bar from min to max per column on a dark ground.
pub fn render_waveform(peaks: &[(f32, f32)], width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width.max(1) as usize, height.max(2) as usize);
    let mut rgba = vec![0u8; w * h * 4];
    for px in rgba.chunks_exact_mut(4) {
        px.copy_from_slice(&[24, 26, 30, 255]);
    }
    let mid = (h - 1) as f32 / 2.0;
    for x in 0..w {
        let (lo, hi) = peaks
            .get(x * peaks.len() / w)
            .copied()
            .unwrap_or((0.0, 0.0));
        let top = (mid - hi.clamp(-1.0, 1.0) * mid).floor() as usize;
        let bottom = (mid - lo.clamp(-1.0, 1.0) * mid).ceil() as usize;
        for y in top.min(h - 1)..=bottom.min(h - 1) {
            let i = (y * w + x) * 4;
            rgba[i..i + 4].copy_from_slice(&[110, 190, 255, 255]);
        }
    }
    // The zero line, so silence is visible.
    let y = mid.round() as usize;
    for x in 0..w {
        let i = (y * w + x) * 4;
        if rgba[i] == 24 {
            rgba[i..i + 4].copy_from_slice(&[70, 74, 82, 255]);
        }
    }
    rgba
}

/// HTK mel scale.
pub fn hz_to_mel(f: f64) -> f64 {
    2595.0 * (1.0 + f / 700.0).log10()
}

/// Inverse of [`hz_to_mel`].
pub fn mel_to_hz(m: f64) -> f64 {
    700.0 * (10f64.powf(m / 2595.0) - 1.0)
}

/// A mel spectrogram: `frames` columns of `bands` values in dB (band 0 the lowest frequencies).
#[derive(Debug, Clone, PartialEq)]
pub struct MelSpectrogram {
    /// Number of mel bands.
    pub bands: usize,
    /// Number of time frames.
    pub frames: usize,
    /// Power in dB, frame-major: `db[frame * bands + band]`.
    pub db: Vec<f32>,
    /// Edges of each band in Hz: band `b` spans `edges[b]..edges[b + 2]`, peaking at `edges[b + 1]`.
    pub edges_hz: Vec<f64>,
    /// Seconds between frames.
    pub hop_seconds: f64,
}

impl MelSpectrogram {
    /// The band with the most energy over the whole clip.
    pub fn loudest_band(&self) -> usize {
        let mut sums = vec![0f64; self.bands];
        for frame in self.db.chunks_exact(self.bands.max(1)) {
            for (s, &v) in sums.iter_mut().zip(frame) {
                *s += 10f64.powf(f64::from(v) / 10.0);
            }
        }
        sums.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(b, _)| b)
    }
}

/// The mel spectrogram of `samples` at `sample_rate`: `n_fft`-point frames (Hann window; `n_fft` is
/// rounded up to a power of two, at least 16), at most `max_frames` frames (the hop grows for long
/// clips), `bands` triangular filters from 0 Hz to Nyquist.
pub fn mel_spectrogram(
    samples: &[f32],
    sample_rate: u32,
    n_fft: usize,
    bands: usize,
    max_frames: usize,
) -> MelSpectrogram {
    let n_fft = n_fft.max(16).next_power_of_two();
    let bands = bands.max(1);
    let sr = f64::from(sample_rate.max(1));
    let hop = (n_fft / 4).max(samples.len().saturating_sub(n_fft) / max_frames.max(1) + 1);
    let frames = if samples.len() <= n_fft {
        1
    } else {
        (samples.len() - n_fft) / hop + 1
    };
    let bins = n_fft / 2 + 1;
    let top = hz_to_mel(sr / 2.0);
    let edges_hz: Vec<f64> = (0..bands + 2)
        .map(|k| mel_to_hz(top * k as f64 / (bands + 1) as f64))
        .collect();
    // Triangular weights per band over the FFT bins (sparse: first bin and the weights).
    let filters: Vec<(usize, Vec<f32>)> = (0..bands)
        .map(|b| {
            let (lo, mid, hi) = (edges_hz[b], edges_hz[b + 1], edges_hz[b + 2]);
            let first = ((lo / sr * n_fft as f64).floor() as usize).min(bins - 1);
            let last = ((hi / sr * n_fft as f64).ceil() as usize).min(bins - 1);
            let weights = (first..=last)
                .map(|k| {
                    let f = k as f64 * sr / n_fft as f64;
                    let w = if f <= mid {
                        (f - lo) / (mid - lo).max(1e-9)
                    } else {
                        (hi - f) / (hi - mid).max(1e-9)
                    };
                    w.max(0.0) as f32
                })
                .collect();
            (first, weights)
        })
        .collect();
    let window: Vec<f32> = (0..n_fft)
        .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n_fft as f64).cos()) as f32)
        .collect();
    let mut fft = PowerSpectrum::new(n_fft);
    let mut input = vec![0f32; n_fft];
    let mut power = vec![0f32; bins];
    let mut db = Vec::with_capacity(frames * bands);
    for f in 0..frames {
        let start = f * hop;
        for (i, slot) in input.iter_mut().enumerate() {
            *slot = samples.get(start + i).copied().unwrap_or(0.0) * window[i];
        }
        fft.compute(&input, &mut power);
        for (first, weights) in &filters {
            let e: f32 = weights
                .iter()
                .zip(power.get(*first..).unwrap_or(&[]))
                .map(|(w, p)| w * p)
                .sum();
            db.push(10.0 * e.max(1e-10).log10());
        }
    }
    MelSpectrogram {
        bands,
        frames,
        db,
        edges_hz,
        hop_seconds: hop as f64 / sr,
    }
}

/// The spectrogram as RGBA, `frames` x `bands` pixels (low frequencies at the bottom), the top 80 dB
/// mapped through a perceptual dark-to-bright colour ramp.
pub fn render_spectrogram(mel: &MelSpectrogram) -> (u32, u32, Vec<u8>) {
    let (w, h) = (mel.frames.max(1), mel.bands.max(1));
    let max = mel.db.iter().copied().fold(f32::MIN, f32::max);
    let floor = max - 80.0;
    let mut rgba = vec![0u8; w * h * 4];
    for x in 0..mel.frames {
        for b in 0..mel.bands {
            let v = mel.db.get(x * mel.bands + b).copied().unwrap_or(floor);
            let t = ((v - floor) / 80.0).clamp(0.0, 1.0);
            let y = h - 1 - b;
            let i = (y * w + x) * 4;
            rgba[i..i + 4].copy_from_slice(&ramp(t));
        }
    }
    (w as u32, h as u32, rgba)
}

/// A magma-like ramp: black, purple, orange, pale yellow.
fn ramp(t: f32) -> [u8; 4] {
    const STOPS: [[f32; 3]; 5] = [
        [0.0, 0.0, 4.0],
        [80.0, 18.0, 123.0],
        [183.0, 55.0, 121.0],
        [252.0, 137.0, 97.0],
        [252.0, 253.0, 191.0],
    ];
    let x = t * (STOPS.len() - 1) as f32;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f32;
    let c = |k: usize| (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f) as u8;
    [c(0), c(1), c(2), 255]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, sr: u32, seconds: f64) -> Vec<f32> {
        (0..(seconds * f64::from(sr)) as usize)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(sr)).sin()) as f32
            })
            .collect()
    }

    /// Speed probe (release): `cargo test --release --lib -- --ignored spectrogram_speed
    /// --nocapture`. A 30 s clip at 44.1 kHz into 1,000 frames, the inspector's largest request.
    #[test]
    #[ignore = "speed probe, run by hand in release"]
    fn spectrogram_speed() {
        let clip = tone(440.0, 44_100, 30.0);
        let mut times = Vec::new();
        for _ in 0..7 {
            let start = std::time::Instant::now();
            let mel = mel_spectrogram(&clip, 44_100, 1024, 64, 1000);
            times.push(start.elapsed().as_secs_f64() * 1e3);
            assert_eq!(mel.frames, 1000);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "mel_spectrogram 30 s clip, 1,000 frames: median {:.2} ms",
            times[3]
        );
    }

    #[test]
    fn a_440_hz_tone_peaks_in_the_mel_band_around_440_hz() {
        for sr in [16_000, 44_100, 48_000] {
            let mel = mel_spectrogram(&tone(440.0, sr, 1.0), sr, 1024, 64, 512);
            let b = mel.loudest_band();
            let (lo, peak, hi) = (mel.edges_hz[b], mel.edges_hz[b + 1], mel.edges_hz[b + 2]);
            assert!(
                lo < 440.0 && 440.0 < hi,
                "band {b} spans {lo:.0}-{hi:.0} Hz at {sr} Hz"
            );
            // The band whose peak is nearest 440 Hz.
            let nearest = (0..mel.bands)
                .min_by(|&a, &c| {
                    (mel.edges_hz[a + 1] - 440.0)
                        .abs()
                        .total_cmp(&(mel.edges_hz[c + 1] - 440.0).abs())
                })
                .unwrap_or(0);
            assert_eq!(b, nearest, "peak {peak:.0} Hz");
        }
        // And 3 kHz lands higher up.
        let mel = mel_spectrogram(&tone(3000.0, 16_000, 1.0), 16_000, 1024, 64, 512);
        let b = mel.loudest_band();
        assert!(mel.edges_hz[b] < 3000.0 && 3000.0 < mel.edges_hz[b + 2]);
    }

    #[test]
    fn peaks_keep_the_extremes() {
        let mut s = vec![0.0f32; 1000];
        s[10] = 0.9;
        s[990] = -0.7;
        let p = waveform_peaks(&s, 10);
        assert_eq!(p[0], (0.0, 0.9));
        assert_eq!(p[9], (-0.7, 0.0));
        let img = render_waveform(&p, 10, 20);
        assert_eq!(img.len(), 10 * 20 * 4);
    }
}
