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
    // Grey+alpha (rare: a few PNGs) is filtered as RGBA with the grey copied into RGB, so the
    // resizer's two-channel kernels are not compiled into this crate (see `resize_as`).
    let channels = pixels.channels;
    let (pixel_type, source) = match channels {
        1 => (fr::PixelType::U8, pixels.data),
        2 => (fr::PixelType::U8x4, grey_alpha_to_rgba(&pixels.data)),
        3 => (fr::PixelType::U8x3, pixels.data),
        _ => (fr::PixelType::U8x4, pixels.data),
    };
    let src = fr::images::ImageRef::new(w, h, &source, pixel_type)
        .map_err(|e| MediaError::unreadable(format!("cannot resize: {e}")))?;
    let mut dst = fr::images::Image::new(dw, dh, pixel_type);
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom));
    RESIZER
        .with(|r| {
            let r = &mut r.borrow_mut();
            match pixel_type {
                fr::PixelType::U8 => resize_as::<fr::pixels::U8>(r, &src, &mut dst, &options),
                fr::PixelType::U8x3 => resize_as::<fr::pixels::U8x3>(r, &src, &mut dst, &options),
                _ => resize_as::<fr::pixels::U8x4>(r, &src, &mut dst, &options),
            }
        })
        .map_err(|e| MediaError::unreadable(format!("cannot resize: {e}")))?;
    let data = match channels {
        2 => rgba_to_grey_alpha(&dst.into_vec()),
        _ => dst.into_vec(),
    };
    Pixels::new(dw, dh, channels, data)
        .ok_or_else(|| MediaError::unreadable("the resizer returned a buffer of the wrong size"))
}

/// Grey+alpha as RGBA (the grey in each colour channel).
fn grey_alpha_to_rgba(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 2);
    for px in data.chunks_exact(2) {
        out.extend_from_slice(&[px[0], px[0], px[0], px[1]]);
    }
    out
}

/// RGBA whose colour channels are equal back to grey+alpha.
fn rgba_to_grey_alpha(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4).flat_map(|px| [px[0], px[3]]).collect()
}

/// `Resizer::resize` for one 8-bit pixel type. The untyped `resize` matches on all 13 of the crate's
/// pixel types, so calling it compiled every convolution kernel (SSE4.1 and AVX2, 16-bit and float
/// ones included) into this crate: a quarter of its LLVM IR and of its release build time. Called
/// for grey, RGB and RGBA: each pixel type's kernels are about 6% of this crate's IR.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// White where opaque, black where fully transparent, alternating: `channels` 2 or 4.
    fn stripes(channels: u8) -> Pixels {
        let mut data = Vec::new();
        for x in 0..8 {
            let (v, a) = if x % 2 == 0 { (255, 255) } else { (0, 0) };
            for _ in 0..2 {
                match channels {
                    2 => data.extend_from_slice(&[v, a]),
                    _ => data.extend_from_slice(&[v, v, v, a]),
                }
            }
        }
        Pixels::new(8, 2, channels, data).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn grey_with_alpha_keeps_its_channels_and_transparent_pixels_do_not_darken() {
        let small = resize_to_fit(stripes(2), 4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((small.width, small.height, small.channels), (4, 1, 2));
        for px in small.data.chunks_exact(2) {
            // Premultiplied while filtering: the black under alpha 0 adds nothing, so every
            // pixel that is not transparent stays white; alpha is a blend of 255 and 0.
            assert!(px[1] > 0 && px[1] < 255, "{px:?}");
            assert_eq!(px[0], 255, "{px:?}");
        }
        // The same as filtering the RGBA image and keeping its first and last channel.
        let rgba = resize_to_fit(stripes(4), 4).unwrap_or_else(|e| panic!("{e}"));
        let expected: Vec<u8> = rgba
            .data
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[3]])
            .collect();
        assert_eq!(small.data, expected);
    }

    #[test]
    fn each_channel_count_gives_the_size_asked_for() {
        for channels in 1..=4u8 {
            let data = vec![200u8; 300 * 100 * usize::from(channels)];
            let px = Pixels::new(300, 100, channels, data).unwrap_or_else(|| unreachable!());
            let small = resize_to_fit(px, 60).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (small.width, small.height, small.channels),
                (60, 20, channels)
            );
            // A flat image stays flat under any interpolating filter.
            assert!(small.data.iter().all(|&v| v == 200), "{channels} channels");
        }
    }
}
