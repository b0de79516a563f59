//! Thumbnails: decode near the target size, resize with a proper filter, turn upright, encode PNG fast.

use std::cell::RefCell;

use fast_image_resize as fr;

use super::decode::{DecodedImage, decode_image};
use super::file::MediaError;
use super::options::DecodeOptions;
use super::orientation::{ExifOrientation, apply_orientation};
use super::pixels::Pixels;

thread_local! {
    /// One resizer per thread keeps its scratch buffers between images.
    static RESIZER: RefCell<fr::Resizer> = RefCell::new(fr::Resizer::new());
}

/// The image scaled so its longest side is at most `size` (never enlarged), with a Catmull-Rom
/// (bicubic) filter, as Pillow's thumbnail uses: as sharp as Lanczos-3 to the eye at thumbnail sizes
/// with a third fewer taps and no `sin` per weight. Alpha is premultiplied while filtering, so
/// transparent edges do not darken.
pub fn resize_to_fit(pixels: Pixels, size: u32) -> Result<Pixels, MediaError> {
    let (w, h) = (pixels.width, pixels.height);
    let size = size.max(1);
    if w <= size && h <= size {
        return Ok(pixels);
    }
    let (dw, dh) = if w >= h {
        (
            size,
            ((u64::from(h) * u64::from(size) + u64::from(w) / 2) / u64::from(w)).max(1) as u32,
        )
    } else {
        (
            ((u64::from(w) * u64::from(size) + u64::from(h) / 2) / u64::from(h)).max(1) as u32,
            size,
        )
    };
    let pixel_type = match pixels.channels {
        1 => fr::PixelType::U8,
        2 => fr::PixelType::U8x2,
        3 => fr::PixelType::U8x3,
        _ => fr::PixelType::U8x4,
    };
    let src = fr::images::ImageRef::new(w, h, &pixels.data, pixel_type)
        .map_err(|e| MediaError::unreadable(format!("cannot resize: {e}")))?;
    let mut dst = fr::images::Image::new(dw, dh, pixel_type);
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom));
    RESIZER
        .with(|r| {
            let r = &mut r.borrow_mut();
            match pixel_type {
                fr::PixelType::U8 => resize_as::<fr::pixels::U8>(r, &src, &mut dst, &options),
                fr::PixelType::U8x2 => resize_as::<fr::pixels::U8x2>(r, &src, &mut dst, &options),
                fr::PixelType::U8x3 => resize_as::<fr::pixels::U8x3>(r, &src, &mut dst, &options),
                _ => resize_as::<fr::pixels::U8x4>(r, &src, &mut dst, &options),
            }
        })
        .map_err(|e| MediaError::unreadable(format!("cannot resize: {e}")))?;
    Pixels::new(dw, dh, pixels.channels, dst.into_vec())
        .ok_or_else(|| MediaError::unreadable("the resizer returned a buffer of the wrong size"))
}

/// `Resizer::resize` for one 8-bit pixel type. The untyped `resize` matches on all 13 of the crate's
/// pixel types, so calling it compiled every convolution kernel (SSE4.1 and AVX2, 16-bit and float
/// ones included) into this crate: a quarter of its LLVM IR and of its release build time. Decoded
/// pixels here are only ever 8-bit with 1 to 4 channels.
fn resize_as<P: fr::PixelTrait>(
    resizer: &mut fr::Resizer,
    src: &fr::images::ImageRef<'_>,
    dst: &mut fr::images::Image<'_>,
    options: &fr::ResizeOptions,
) -> Result<(), fr::ResizeError> {
    use fr::{IntoImageView as _, IntoImageViewMut as _};
    match (src.image_view::<P>(), dst.image_view_mut::<P>()) {
        (Some(src), Some(mut dst)) => resizer.resize_typed(&src, &mut dst, options),
        _ => Err(fr::ResizeError::PixelTypesAreDifferent),
    }
}

/// An upright thumbnail whose longest side is at most `size`: decoded near that size (JPEG scaled
/// IDCT), resized, then the EXIF orientation applied (cheaper on the small image). The returned
/// [`DecodedImage`] describes the file; its pixels are the thumbnail.
pub fn make_thumbnail(
    bytes: &[u8],
    ext: Option<&str>,
    size: u32,
    max_pixels: u64,
) -> Result<DecodedImage, MediaError> {
    let options = DecodeOptions {
        max_pixels,
        target_size: Some(size),
        apply_orientation: false,
    };
    let mut decoded = decode_image(bytes, ext, &options)?;
    let pixels = std::mem::replace(&mut decoded.pixels, empty());
    let small = resize_to_fit(pixels, size)?;
    decoded.pixels = match decoded.exif {
        ExifOrientation::Tag(o) => apply_orientation(small, o),
        _ => small,
    };
    Ok(decoded)
}

fn empty() -> Pixels {
    Pixels {
        width: 0,
        height: 0,
        channels: 3,
        data: Vec::new(),
    }
}

/// PNG bytes for `pixels` at the png crate's fast compression (about 30× cheaper than zlib level 6
/// for files a few percent larger). Opaque alpha channels are dropped first.
pub fn encode_png(pixels: &Pixels) -> Result<Vec<u8>, MediaError> {
    let (channels, data): (u8, std::borrow::Cow<'_, [u8]>) =
        if matches!(pixels.channels, 2 | 4) && !pixels.has_transparency() {
            let c = usize::from(pixels.channels);
            (
                pixels.channels - 1,
                pixels
                    .data
                    .chunks_exact(c)
                    .flat_map(|p| p[..c - 1].iter().copied())
                    .collect::<Vec<u8>>()
                    .into(),
            )
        } else {
            (pixels.channels, pixels.data.as_slice().into())
        };
    let color = match channels {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    };
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    let mut encoder = png::Encoder::new(&mut out, pixels.width, pixels.height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Paeth alone makes files as small as the adaptive choice on photos (47 KB a 256 px thumbnail
    // on the bench JPEGs) at 0.36 ms instead of 0.46 ms.
    encoder.set_filter(png::Filter::Paeth);
    let fail =
        |e: png::EncodingError| MediaError::unreadable(format!("cannot encode the PNG: {e}"));
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(&data).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}
