//! Builders for bad and odd media files: JPEG segments, EXIF blocks, PNG chunks, noise.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use spotcheck::core::media::{Pixels, encode_png};

pub fn demo_jpeg() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo/train/landscape/landscape_orientation1.jpg");
    std::fs::read(path).unwrap()
}

/// Offset of the first marker `FF code` after the segments that carry a length.
pub fn marker_offset(jpeg: &[u8], code: u8) -> usize {
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        assert_eq!(jpeg[at], 0xFF);
        if jpeg[at + 1] == code {
            return at;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        at += 2 + len;
    }
    panic!("no marker {code:02x}");
}

/// The JPEG with its own EXIF segments removed and an APP1 carrying `tiff` inserted after SOI.
pub fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&app1);
    let mut at = 2;
    loop {
        let code = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        let segment = &jpeg[at..at + 2 + len];
        if code == 0xDA {
            out.extend_from_slice(&jpeg[at..]);
            return out;
        }
        if !(code == 0xE1 && segment[4..].starts_with(b"Exif")) {
            out.extend_from_slice(segment);
        }
        at += 2 + len;
    }
}

/// A little-endian TIFF block: header pointing at `ifd_offset`, then one IFD at offset 8 holding
/// `entries` (tag, type, count, value) but declaring `declared` entries, then `next` as the offset
/// of the next IFD.
pub fn tiff(
    ifd_offset: u32,
    declared: u16,
    entries: &[(u16, u16, u32, u32)],
    next: u32,
) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&ifd_offset.to_le_bytes());
    t.extend_from_slice(&declared.to_le_bytes());
    for &(tag, ty, count, value) in entries {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&ty.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    }
    t.extend_from_slice(&next.to_le_bytes());
    t
}

pub const ORIENTATION: u16 = 0x0112;
pub const SHORT: u16 = 3;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG whose header says 100000×100000 RGB (30 GB of pixels) over a few bytes of data.
pub fn png_bomb() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    // A zlib stream of a few zero bytes (a real bomb would be megabytes of deflated zeros).
    png_chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    png_chunk(&mut png, b"IEND", &[]);
    png
}

pub fn small_png() -> Vec<u8> {
    let pixels = Pixels::new(4, 3, 3, (0..36).collect()).unwrap();
    encode_png(&pixels).unwrap()
}

/// Deterministic noise.
pub fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
