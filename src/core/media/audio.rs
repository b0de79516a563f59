//! Audio probing with symphonia (the decoders rodio plays with): format facts and a decode check,
//! so noise bytes named `.wav` or a clip cut off mid-stream are found before anyone presses Play.

use std::path::Path;

use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::file::MediaError;

/// What a person wants to know about a clip before listening to it.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    /// Samples per second.
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: u32,
    /// Length in seconds (from the decoded frames when the whole clip was decoded, else the header).
    pub duration_seconds: Option<f64>,
    /// The codec, for display ("pcm_s16le", "flac", "vorbis", "mp3").
    pub codec: String,
}

/// Probes an audio file; with `decode_all`, every packet is decoded too (the check command does, so
/// a corrupt or cut-off stream is caught). Reads the file as a stream: memory stays small.
pub fn probe_audio_file(path: &Path, decode_all: bool) -> Result<AudioInfo, MediaError> {
    let file = std::fs::File::open(path).map_err(|e| MediaError::from_io(&e))?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(MediaError::empty());
    }
    let ext = path.extension().and_then(|e| e.to_str());
    probe_audio(Box::new(file), ext, decode_all)
}

/// [`probe_audio_file`] on any source (bytes in memory: `Box::new(std::io::Cursor::new(vec))`).
pub fn probe_audio(
    source: Box<dyn MediaSource>,
    ext: Option<&str>,
    decode_all: bool,
) -> Result<AudioInfo, MediaError> {
    let OpenTrack {
        mut format,
        track_id,
        params,
        sample_rate,
        codec,
    } = open_track(source, ext)?;
    let mut channels = params.channels.map_or(0, |c| c.count() as u32);
    let header_duration = params.n_frames.map(|n| n as f64 / f64::from(sample_rate));
    if !decode_all {
        return Ok(AudioInfo {
            sample_rate,
            channels,
            duration_seconds: header_duration,
            codec,
        });
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| {
            MediaError::unsupported(format!("no decoder for this audio: {}", describe(&e)))
        })?;
    let mut frames: u64 = 0;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => {
                return Err(MediaError::unreadable(format!(
                    "the audio stream is corrupt after {:.2} s: {}",
                    frames as f64 / f64::from(sample_rate),
                    describe(&e)
                )));
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buffer) => {
                frames += buffer.frames() as u64;
                if channels == 0 {
                    channels = buffer.spec().channels.count() as u32;
                }
            }
            Err(e) => {
                return Err(MediaError::unreadable(format!(
                    "the audio cannot be decoded after {:.2} s: {}",
                    frames as f64 / f64::from(sample_rate),
                    describe(&e)
                )));
            }
        }
    }
    if frames == 0 {
        return Err(MediaError::unreadable("the audio stream holds no samples"));
    }
    Ok(AudioInfo {
        sample_rate,
        channels,
        duration_seconds: Some(frames as f64 / f64::from(sample_rate)),
        codec,
    })
}

/// A probed file's audio track, ready to decode: what [`probe_audio`] and the clip views share.
pub(super) struct OpenTrack {
    pub format: Box<dyn symphonia::core::formats::FormatReader>,
    pub track_id: u32,
    pub params: symphonia::core::codecs::CodecParameters,
    pub sample_rate: u32,
    pub codec: String,
}

/// Probes `source` (by content, `ext` as a hint) and finds its audio track, or says why not.
pub(super) fn open_track(
    source: Box<dyn MediaSource>,
    ext: Option<&str>,
) -> Result<OpenTrack, MediaError> {
    let stream = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = ext {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| {
            MediaError::unreadable(format!(
                "not a readable audio file ({}): {}",
                ext.unwrap_or("no extension"),
                describe(&e)
            ))
        })?;
    let format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| MediaError::unreadable("the file holds no audio track"))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let codec = symphonia::default::get_codecs()
        .get_codec(params.codec)
        .map_or_else(
            || format!("{:?}", params.codec),
            |d| d.short_name.to_string(),
        );
    let sample_rate = params
        .sample_rate
        .filter(|r| *r > 0)
        .ok_or_else(|| MediaError::unreadable("the audio header gives no sample rate"))?;
    Ok(OpenTrack {
        format,
        track_id,
        params,
        sample_rate,
        codec,
    })
}

pub(super) fn describe(e: &SymError) -> String {
    match e {
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the data ends early (truncated)".into()
        }
        SymError::Unsupported(what) => format!("unsupported: {what}"),
        other => other.to_string(),
    }
}
