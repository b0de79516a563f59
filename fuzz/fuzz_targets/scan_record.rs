//! The scan record on arbitrary bytes, named as an image, an audio clip and nothing: decode, the
//! quality measures (grey, area resize, pHash, Laplacian) and the thumbnail on whatever size a
//! fuzzer-made header yields (1 x N strips, odd sizes). Any panic is a bug; the record must hold
//! what its kind promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spotcheck::core::media::MediaKind;
use spotcheck::core::scan::record::{ScanOptions, scan_bytes};

fuzz_target!(|data: &[u8]| {
    let options = ScanOptions {
        max_pixels: 4_000_000,
        thumbnail_size: Some(32),
    };
    for name in ["x.jpg", "x.png", "x.wav", "x"] {
        let r = scan_bytes(data, name, None, &options);
        assert_eq!(r.size_bytes, Some(data.len() as u64));
        if let Some(m) = r.measures {
            assert_eq!(r.kind, Some(MediaKind::Image));
            assert!((0.0..=1.0 + 1e-6).contains(&m.brightness), "{m:?}");
            assert!((0.0..=0.5 + 1e-6).contains(&m.contrast), "{m:?}");
            assert!(m.sharpness >= 0.0 && m.sharpness.is_finite(), "{m:?}");
            assert!(r.size.is_some());
        }
        if r.problem.is_none() && r.kind == Some(MediaKind::Image) {
            assert!(r.thumbnail.is_some());
        }
    }
});
