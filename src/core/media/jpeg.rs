//! JPEG decoding, strict about truncated or corrupt scans (an error, never grey pixels), with the
//! pixel limit checked from the header before anything is decoded. Two decoders, each where it is
//! fastest (measured on the bench JPEGs, 96–512 px): zune-jpeg decodes at full size 1.4× faster
//! than jpeg-decoder and starts no threads; jpeg-decoder has the reduced-size IDCT (1/2, 1/4, 1/8),
//! so it takes every decode that can be smaller (a thumbnail of a large photo, `check`'s 1/8 pass,
//! 2.4× faster than a full decode) and the rare encodings zune-jpeg does not handle.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_jpeg::JpegDecoder;
use zune_jpeg::errors::DecodeErrors;

use super::file::MediaError;
use super::options::DecodeOptions;
use super::pixels::Pixels;

/// Decoded JPEG pixels, the stored (full) size, and the raw EXIF block if there is one.
pub struct JpegImage {
    pub pixels: Pixels,
    pub stored_size: (u32, u32),
    pub exif: Option<Vec<u8>>,
}

/// Decodes a JPEG: at a reduced scale when `options.target_size` allows one, else at full size.
pub fn decode_jpeg(bytes: &[u8], options: &DecodeOptions) -> Result<JpegImage, MediaError> {
    let mut zune =
        JpegDecoder::new_with_options(ZCursor::new(bytes), zune_options(ColorSpace::RGB));
    if zune.decode_headers().is_err() {
        // jpeg-decoder gives the clearer message about what is wrong (or decodes what zune cannot).
        return decode_with_jpeg_decoder(bytes, options);
    }
    let Some((w, h)) = zune.dimensions() else {
        return decode_with_jpeg_decoder(bytes, options);
    };
    let (width, height) = (w as u32, h as u32);
    if u64::from(width) * u64::from(height) > options.max_pixels {
        return Err(over_limit(width, height, options.max_pixels));
    }
    let can_shrink = options
        .target_size
        .is_some_and(|t| width.max(height) >= t.max(1).saturating_mul(2));
    if can_shrink {
        return decode_with_jpeg_decoder(bytes, options);
    }
    let grey = zune.input_colorspace() == Some(ColorSpace::Luma);
    if grey {
        zune.set_options(zune_options(ColorSpace::Luma));
    }
    let data = match zune.decode() {
        Ok(data) => data,
        // An encoding zune-jpeg does not handle (12-bit, say): jpeg-decoder may.
        Err(DecodeErrors::Unsupported(_)) => return decode_with_jpeg_decoder(bytes, options),
        Err(e) => return Err(zune_error(&e)),
    };
    let pixels = Pixels::new(width, height, if grey { 1 } else { 3 }, data).ok_or_else(|| {
        MediaError::unreadable("the JPEG decoder returned a buffer of the wrong size")
    })?;
    Ok(JpegImage {
        pixels,
        stored_size: (width, height),
        exif: zune.exif().cloned(),
    })
}

/// Strict (a truncated or corrupt scan is an error), with size limits left to our pixel limit.
fn zune_options(out: ColorSpace) -> zune_core::options::DecoderOptions {
    zune_core::options::DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .jpeg_set_out_colorspace(out)
}

fn zune_error(e: &DecodeErrors) -> MediaError {
    match e {
        DecodeErrors::ExhaustedData => MediaError::unreadable(
            "the JPEG data ends early in its image data: the file is truncated",
        ),
        DecodeErrors::IoErrors(_) => {
            MediaError::unreadable("the JPEG data ends early: the file is truncated")
        }
        DecodeErrors::Unsupported(what) => MediaError::unsupported(format!(
            "a JPEG encoding the decoder does not handle: {what:?}"
        )),
        other => {
            let text = other.to_string();
            if text.contains("EOF") || text.contains("No more bytes") || text.contains("exhausted")
            {
                MediaError::unreadable(format!(
                    "the JPEG data ends early in its image data: the file is truncated ({text})"
                ))
            } else {
                MediaError::unreadable(format!("corrupt JPEG in its image data: {text}"))
            }
        }
    }
}

fn decode_with_jpeg_decoder(
    bytes: &[u8],
    options: &DecodeOptions,
) -> Result<JpegImage, MediaError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder
        .read_info()
        .map_err(|e| jpeg_error(&e, "in its header"))?;
    let info = decoder
        .info()
        .ok_or_else(|| MediaError::unreadable("the JPEG header has no frame"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let pixels = u64::from(width) * u64::from(height);
    if pixels > options.max_pixels {
        return Err(over_limit(width, height, options.max_pixels));
    }
    // Room for the output at 4 bytes a pixel plus the decoder's own planes.
    let limit = usize::try_from(pixels.saturating_mul(8).max(1 << 20)).unwrap_or(usize::MAX);
    decoder.set_max_decoding_buffer_size(limit);
    if let Some(target) = options.target_size {
        // The smallest of 1/8, 1/4, 1/2 or full scale that still covers the target.
        let t = u16::try_from(target.max(1)).unwrap_or(u16::MAX);
        let (tw, th) = if width >= height {
            (t, ((u32::from(t) * height).div_ceil(width.max(1))) as u16)
        } else {
            (((u32::from(t) * width).div_ceil(height.max(1))) as u16, t)
        };
        decoder
            .scale(tw.max(1), th.max(1))
            .map_err(|e| jpeg_error(&e, ""))?;
    }
    let data = decoder
        .decode()
        .map_err(|e| jpeg_error(&e, "in its image data"))?;
    let info = decoder
        .info()
        .ok_or_else(|| MediaError::unreadable("the JPEG header has no frame"))?;
    let (ow, oh) = (u32::from(info.width), u32::from(info.height));
    let pixels = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Pixels::new(ow, oh, 1, data),
        // 12-bit and 16-bit greyscale: keep the high byte of each (big-endian) sample.
        jpeg_decoder::PixelFormat::L16 => {
            Pixels::new(ow, oh, 1, data.chunks_exact(2).map(|s| s[0]).collect())
        }
        jpeg_decoder::PixelFormat::RGB24 => Pixels::new(ow, oh, 3, data),
        // jpeg-decoder hands over ink amounts (it undoes Adobe's inversion, for CMYK and YCCK
        // alike): R = (255 − C)(255 − K)/255 and so on.
        jpeg_decoder::PixelFormat::CMYK32 => Pixels::new(
            ow,
            oh,
            3,
            data.chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u16::from(p[3]);
                    [0, 1, 2].map(|i| (((255 - u16::from(p[i])) * k + 127) / 255) as u8)
                })
                .collect(),
        ),
    }
    .ok_or_else(|| {
        MediaError::unreadable("the JPEG decoder returned a buffer of the wrong size")
    })?;
    Ok(JpegImage {
        pixels,
        stored_size: (width, height),
        exif: decoder.exif_data().map(<[u8]>::to_vec),
    })
}

/// The error for an image over the pixel limit (a decompression bomb, or just too large).
pub fn over_limit(width: u32, height: u32, max_pixels: u64) -> MediaError {
    let mpx = u64::from(width) * u64::from(height) / 1_000_000;
    MediaError::unsupported(format!(
        "refused: {width}×{height} is {mpx} Mpx, over the {} Mpx limit (a decompression bomb, or raise the limit)",
        max_pixels / 1_000_000
    ))
}

fn jpeg_error(e: &jpeg_decoder::Error, place: &str) -> MediaError {
    let place = if place.is_empty() {
        String::new()
    } else {
        format!(" {place}")
    };
    match e {
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::unreadable(format!(
                "the JPEG data ends early{place}: the file is truncated"
            ))
        }
        jpeg_decoder::Error::Format(msg) => {
            MediaError::unreadable(format!("corrupt JPEG{place}: {msg}"))
        }
        jpeg_decoder::Error::Unsupported(feature) => MediaError::unsupported(format!(
            "a JPEG encoding the decoder does not handle: {feature:?}"
        )),
        other => MediaError::unreadable(format!("cannot decode the JPEG{place}: {other}")),
    }
}
