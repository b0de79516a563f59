//! Decoding any supported image to upright 8-bit pixels, by content (not by extension).

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageFormat};

use super::file::{MediaError, read_media_file};
use super::jpeg::{decode_jpeg, over_limit};
use super::options::DecodeOptions;
use super::orientation::{ExifOrientation, Orientation, apply_orientation, read_orientation};
use super::pixels::Pixels;

/// An image decoded from a file, with what a person checking it wants to know.
#[derive(Debug, Clone)]
pub struct DecodedImage {
    /// The pixels: upright when orientation was applied, possibly at a reduced scale.
    pub pixels: Pixels,
    /// Width and height of the stored pixels at full size (before orientation and scaling).
    pub stored_size: (u32, u32),
    /// The file's format by content ("JPEG", "PNG", ...).
    pub format: &'static str,
    /// What the EXIF says about orientation.
    pub exif: ExifOrientation,
    /// Set when the content is not the format the file name says (a PNG named .jpg).
    pub name_mismatch: Option<String>,
}

impl DecodedImage {
    /// The valid EXIF orientation, if the file has one.
    pub fn orientation(&self) -> Option<Orientation> {
        match self.exif {
            ExifOrientation::Tag(o) => Some(o),
            _ => None,
        }
    }

    /// Width and height as shown upright at full size.
    pub fn upright_size(&self) -> (u32, u32) {
        let (w, h) = self.stored_size;
        match self.orientation() {
            Some(o) if o.swaps_axes() => (h, w),
            _ => (w, h),
        }
    }
}

/// Reads and decodes an image file; `path`'s extension is only used to notice a mismatch.
pub fn read_image_file(path: &Path, options: &DecodeOptions) -> Result<DecodedImage, MediaError> {
    let bytes = read_media_file(path)?;
    let ext = path.extension().and_then(|e| e.to_str());
    decode_image(&bytes, ext, options)
}

/// Decodes image bytes by their content. `ext` (the file name's extension) only feeds
/// [`DecodedImage::name_mismatch`].
pub fn decode_image(
    bytes: &[u8],
    ext: Option<&str>,
    options: &DecodeOptions,
) -> Result<DecodedImage, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::empty());
    }
    let format = image::guess_format(bytes).map_err(|_| not_an_image(bytes, ext))?;
    let name = format_name(format);
    let (pixels, stored_size, exif) = match format {
        ImageFormat::Jpeg => {
            let jpeg = decode_jpeg(bytes, options)?;
            let exif = jpeg
                .exif
                .as_deref()
                .map_or(ExifOrientation::Absent, |raw| read_orientation(raw, true));
            (jpeg.pixels, jpeg.stored_size, exif)
        }
        ImageFormat::Png
        | ImageFormat::Gif
        | ImageFormat::WebP
        | ImageFormat::Bmp
        | ImageFormat::Tiff => {
            let (pixels, size) = decode_other(bytes, format, name, options)?;
            let exif = if matches!(
                format,
                ImageFormat::Png | ImageFormat::WebP | ImageFormat::Tiff
            ) {
                read_orientation(bytes, false)
            } else {
                ExifOrientation::Absent
            };
            (pixels, size, exif)
        }
        other => {
            return Err(MediaError::unsupported(format!(
                "the content is {}, which is not one of the supported image formats",
                format_name(other)
            )));
        }
    };
    let pixels = match (&exif, options.apply_orientation) {
        (ExifOrientation::Tag(o), true) => apply_orientation(pixels, *o),
        _ => pixels,
    };
    Ok(DecodedImage {
        pixels,
        stored_size,
        format: name,
        exif,
        name_mismatch: mismatch(format, ext),
    })
}

fn decode_other(
    bytes: &[u8],
    format: ImageFormat,
    name: &str,
    options: &DecodeOptions,
) -> Result<(Pixels, (u32, u32)), MediaError> {
    let (w, h) = image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| image_error(&e, name))?;
    if u64::from(w) * u64::from(h) > options.max_pixels {
        return Err(over_limit(w, h, options.max_pixels));
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    // The output at up to 16 bytes a pixel (RGBA, 32-bit float) plus room for the decoder.
    limits.max_alloc = Some(
        options
            .max_pixels
            .saturating_mul(16)
            .saturating_add(64 << 20),
    );
    reader.limits(limits);
    let image = reader.decode().map_err(|e| image_error(&e, name))?;
    Ok((to_pixels(image), (w, h)))
}

/// 8-bit pixels at the image's own channel count (16-bit and float images are reduced to 8 bits).
fn to_pixels(image: DynamicImage) -> Pixels {
    let (w, h) = (image.width(), image.height());
    let (channels, data) = match image {
        DynamicImage::ImageLuma8(b) => (1, b.into_raw()),
        DynamicImage::ImageLumaA8(b) => (2, b.into_raw()),
        DynamicImage::ImageRgb8(b) => (3, b.into_raw()),
        DynamicImage::ImageRgba8(b) => (4, b.into_raw()),
        other => {
            let color = other.color();
            match (color.has_color(), color.has_alpha()) {
                (false, false) => (1, other.to_luma8().into_raw()),
                (false, true) => (2, other.to_luma_alpha8().into_raw()),
                (true, false) => (3, other.to_rgb8().into_raw()),
                (true, true) => (4, other.to_rgba8().into_raw()),
            }
        }
    };
    Pixels {
        width: w,
        height: h,
        channels,
        data,
    }
}

fn image_error(e: &image::ImageError, format: &str) -> MediaError {
    use image::ImageError;
    match e {
        ImageError::Limits(_) => MediaError::unsupported(format!(
            "refused: decoding this {format} would need more memory than the limit allows"
        )),
        ImageError::Unsupported(u) => MediaError::unsupported(format!(
            "a {format} variant the decoder does not handle: {u}"
        )),
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::unreadable(format!(
                "the {format} data ends early: the file is truncated"
            ))
        }
        other => MediaError::unreadable(format!("corrupt {format}: {other}")),
    }
}

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::Avif => "AVIF",
        ImageFormat::Ico => "ICO",
        ImageFormat::Qoi => "QOI",
        ImageFormat::OpenExr => "OpenEXR",
        ImageFormat::Hdr => "Radiance HDR",
        _ => "an image format",
    }
}

/// The formats an extension promises.
fn extension_formats(ext: &str) -> &'static [ImageFormat] {
    match ext.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => &[ImageFormat::Jpeg],
        "png" => &[ImageFormat::Png],
        "gif" => &[ImageFormat::Gif],
        "webp" => &[ImageFormat::WebP],
        "bmp" => &[ImageFormat::Bmp],
        "tif" | "tiff" => &[ImageFormat::Tiff],
        _ => &[],
    }
}

fn mismatch(format: ImageFormat, ext: Option<&str>) -> Option<String> {
    let ext = ext?;
    let promised = extension_formats(ext);
    (!promised.is_empty() && !promised.contains(&format)).then(|| {
        format!(
            "the content is {} but the name ends in .{ext}: spotcheck decodes it by content, loaders that go by the extension will fail",
            format_name(format)
        )
    })
}

/// The error for bytes that start like no image format, quoting them when they look like text.
fn not_an_image(bytes: &[u8], ext: Option<&str>) -> MediaError {
    let head = &bytes[..bytes.len().min(16)];
    let shown = if head
        .iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ' || b.is_ascii_whitespace())
    {
        format!("{:?}", String::from_utf8_lossy(head))
    } else {
        head.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let expected = ext
        .and_then(|e| extension_formats(e).first().copied())
        .map_or("an image".to_string(), |f| format!("a {}", format_name(f)));
    MediaError::unreadable(format!(
        "not {expected}: the content does not start like any image format (first bytes: {shown})"
    ))
}
