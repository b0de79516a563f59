//! Media files: images decoded upright (EXIF orientation applied), thumbnails, and audio probing.
//!
//! Every file here is untrusted input: a decode either gives pixels (or audio facts) or a
//! [`MediaError`] with a [`ProblemKind`] and a sentence saying why, never a panic. Memory per decode
//! is bounded before anything large is allocated (a pixel limit checked from the header).

mod audio;
mod audio_view;
mod decode;
mod fft;
mod file;
mod jpeg;
mod options;
mod orientation;
pub mod overlay;
mod pixels;
mod thumbnail;

pub use audio::{AudioInfo, probe_audio, probe_audio_file};
pub use audio_view::{
    AudioInput, MAX_VIEW_SECONDS, MelSpectrogram, MonoClip, StreamFacts, StreamedPeaks,
    decode_mono, decode_mono_stream, decode_mono_with, hz_to_mel, mel_spectrogram, mel_to_hz,
    render_spectrogram, render_waveform, waveform_peaks, waveform_peaks_streamed,
};
pub use decode::{DecodedImage, decode_image, read_image_file};
pub use file::{
    AUDIO_EXTENSIONS, DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, MAX_IN_MEMORY_BYTES, MediaError,
    MediaKind, ProblemKind, read_media_file,
};
pub use options::DecodeOptions;
pub use orientation::{ExifOrientation, Orientation, apply_orientation, read_orientation};
pub use pixels::Pixels;
pub use thumbnail::{encode_png, make_thumbnail, resize_to_fit};
