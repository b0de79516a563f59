//! EXIF orientation: reading tag 0x0112 without trusting the file, and turning stored pixels upright.
//!
//! The table (EXIF 2.32 / TIFF 6.0): 1 upright, 2 mirrored left-right, 3 rotated 180°, 4 mirrored
//! top-bottom, 5 transposed, 6 stored rotated 90° counter-clockwise (shown by turning it 90°
//! clockwise), 7 transversed, 8 stored rotated 90° clockwise. 5–8 swap width and height.

use super::pixels::Pixels;

/// A valid EXIF Orientation value (1–8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Orientation(u8);

impl Orientation {
    /// Stored pixels are already upright.
    pub const UPRIGHT: Self = Self(1);

    /// The orientation for an EXIF value, `None` outside 1–8.
    pub fn from_exif(value: u32) -> Option<Self> {
        u8::try_from(value)
            .ok()
            .filter(|v| (1..=8).contains(v))
            .map(Self)
    }

    /// The EXIF value, 1–8.
    pub fn value(self) -> u8 {
        self.0
    }

    /// Whether showing it upright swaps width and height (5–8).
    pub fn swaps_axes(self) -> bool {
        self.0 >= 5
    }

    /// A short description for people ("rotated 90° clockwise to show upright").
    pub fn describe(self) -> &'static str {
        match self.0 {
            1 => "upright as stored",
            2 => "mirrored left-right",
            3 => "rotated 180°",
            4 => "mirrored top-bottom",
            5 => "transposed (mirrored and rotated)",
            6 => "turned 90° clockwise to show upright",
            7 => "transversed (mirrored and rotated)",
            _ => "turned 90° counter-clockwise to show upright",
        }
    }
}

/// What a file's EXIF says about orientation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExifOrientation {
    /// No EXIF, EXIF without an Orientation tag, or the tag at 0 ("unknown").
    Absent,
    /// A valid tag.
    Tag(Orientation),
    /// A tag or EXIF block that had to be ignored (pixels are shown as stored); the reason says why.
    Ignored(String),
}

/// Reads the Orientation tag from any container kamadak-exif knows (JPEG, PNG, WebP, TIFF), or from
/// a raw EXIF block (`raw = true`, as a JPEG decoder hands it over). Corrupt EXIF (offsets out of
/// range, IFD loops, absurd counts) is reported as [`ExifOrientation::Ignored`], never an error.
pub fn read_orientation(bytes: &[u8], raw: bool) -> ExifOrientation {
    let reader = exif::Reader::new();
    let parsed = if raw {
        reader.read_raw(bytes.to_vec())
    } else {
        reader.read_from_container(&mut std::io::Cursor::new(bytes))
    };
    let exif = match parsed {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return ExifOrientation::Absent,
        Err(e) => {
            return ExifOrientation::Ignored(format!(
                "the EXIF block is corrupt ({e}); orientation ignored, pixels shown as stored"
            ));
        }
    };
    let Some(field) = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY) else {
        return ExifOrientation::Absent;
    };
    match field.value.get_uint(0) {
        // 0 is not in the table; cameras and editors write it to mean "unknown": shown as stored.
        Some(0) => ExifOrientation::Absent,
        Some(v) => match Orientation::from_exif(v) {
            Some(o) => ExifOrientation::Tag(o),
            None => ExifOrientation::Ignored(format!(
                "EXIF Orientation is {v}, outside 1–8; ignored, pixels shown as stored"
            )),
        },
        None => ExifOrientation::Ignored(
            "the EXIF Orientation tag has no usable value; ignored, pixels shown as stored".into(),
        ),
    }
}

/// The upright image for stored `pixels` with orientation `o`.
pub fn apply_orientation(pixels: Pixels, o: Orientation) -> Pixels {
    if o == Orientation::UPRIGHT {
        return pixels;
    }
    let (w, h) = (i64::from(pixels.width), i64::from(pixels.height));
    let (ow, oh) = if o.swaps_axes() { (h, w) } else { (w, h) };
    // Output pixel (x, y) shows stored pixel number base + x·dx + y·dy (row-major, in pixels).
    let (base, dx, dy) = match o.0 {
        2 => (w - 1, -1, w),
        3 => ((h - 1) * w + w - 1, -1, -w),
        4 => ((h - 1) * w, 1, -w),
        5 => (0, w, 1),
        6 => ((h - 1) * w, -w, 1),
        7 => ((h - 1) * w + w - 1, -w, -1),
        _ => (w - 1, w, -1),
    };
    let map = Remap {
        base,
        dx,
        dy,
        width: ow,
        height: oh,
    };
    let data = match pixels.channels {
        1 => map.run::<1>(&pixels.data),
        2 => map.run::<2>(&pixels.data),
        3 => map.run::<3>(&pixels.data),
        _ => map.run::<4>(&pixels.data),
    };
    Pixels {
        width: ow as u32,
        height: oh as u32,
        channels: pixels.channels,
        data,
    }
}

/// A pixel permutation as arithmetic on pixel numbers (one multiply-add per pixel, no branches).
struct Remap {
    base: i64,
    dx: i64,
    dy: i64,
    width: i64,
    height: i64,
}

impl Remap {
    fn run<const C: usize>(&self, src: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; src.len()];
        let Ok(row_len) = usize::try_from(self.width) else {
            return out;
        };
        for (y, row) in out.chunks_exact_mut(row_len * C).enumerate() {
            let start = self.base + y as i64 * self.dy;
            for (x, px) in row.chunks_exact_mut(C).enumerate() {
                let at = (start + x as i64 * self.dx) as usize * C;
                if let Some(from) = src.get(at..at + C) {
                    px.copy_from_slice(from);
                }
            }
            if y as i64 + 1 >= self.height {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 image whose pixels are their own stored index, one channel.
    fn numbered() -> Pixels {
        Pixels::new(3, 2, 1, (0..6).collect()).unwrap()
    }

    #[test]
    fn every_orientation_maps_pixels_as_the_exif_table_says() {
        // Stored:  0 1 2
        //          3 4 5
        let cases: [(u32, u32, u32, &[u8]); 8] = [
            (1, 3, 2, &[0, 1, 2, 3, 4, 5]),
            (2, 3, 2, &[2, 1, 0, 5, 4, 3]),
            (3, 3, 2, &[5, 4, 3, 2, 1, 0]),
            (4, 3, 2, &[3, 4, 5, 0, 1, 2]),
            (5, 2, 3, &[0, 3, 1, 4, 2, 5]),
            (6, 2, 3, &[3, 0, 4, 1, 5, 2]),
            (7, 2, 3, &[5, 2, 4, 1, 3, 0]),
            (8, 2, 3, &[2, 5, 1, 4, 0, 3]),
        ];
        for (v, w, h, data) in cases {
            let out = apply_orientation(numbered(), Orientation::from_exif(v).unwrap());
            assert_eq!((out.width, out.height), (w, h), "orientation {v}");
            assert_eq!(out.data, data, "orientation {v}");
        }
    }

    #[test]
    fn only_one_to_eight_are_orientations() {
        assert!(Orientation::from_exif(0).is_none());
        assert!(Orientation::from_exif(9).is_none());
        assert!(Orientation::from_exif(65_536 + 1).is_none());
        assert!(Orientation::from_exif(6).unwrap().swaps_axes());
        assert!(!Orientation::from_exif(4).unwrap().swaps_axes());
    }
}
