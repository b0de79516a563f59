//! The upright-image bar: every photo of the EXIF orientation examples (orientations 0–8, stored
//! rotated or flipped) decodes to the same upright picture as the untagged reference, and 5–8 swap
//! width and height. The photos are the exif-orientation-examples set (MIT, see its LICENSE).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use spotcheck::core::media::{DecodeOptions, Pixels, read_image_file, resize_to_fit};

fn photos() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/exif-orientation-examples")
}

/// A small greyscale version for comparing pictures, not bytes.
fn small_grey(p: Pixels) -> Vec<f64> {
    let p = resize_to_fit(p, 24).unwrap();
    let c = usize::from(p.channels);
    p.data
        .chunks_exact(c)
        .map(|px| px.iter().take(3).map(|&v| f64::from(v)).sum::<f64>() / c.min(3) as f64)
        .collect()
}

fn mean_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

#[test]
fn all_orientations_decode_upright() {
    for kind in ["Landscape", "Portrait"] {
        let reference = read_image_file(
            &photos().join(format!("{kind}_0.jpg")),
            &DecodeOptions::default(),
        )
        .unwrap();
        let (ref_w, ref_h) = (reference.pixels.width, reference.pixels.height);
        let ref_small = small_grey(reference.pixels);
        for n in 1..=8u8 {
            let path = photos().join(format!("{kind}_{n}.jpg"));
            let upright = read_image_file(&path, &DecodeOptions::default()).unwrap();
            assert_eq!(
                upright.orientation().map(|o| o.value()),
                Some(n),
                "{kind}_{n}"
            );
            let (sw, sh) = upright.stored_size;
            if n >= 5 {
                assert_eq!(
                    (sw, sh),
                    (ref_h, ref_w),
                    "{kind}_{n} is stored with axes swapped"
                );
            } else {
                assert_eq!((sw, sh), (ref_w, ref_h), "{kind}_{n}");
            }
            assert_eq!(
                (upright.pixels.width, upright.pixels.height),
                (ref_w, ref_h),
                "{kind}_{n} upright has the reference's size"
            );
            assert_eq!(upright.upright_size(), (ref_w, ref_h));
            let diff = mean_abs_diff(&small_grey(upright.pixels), &ref_small);
            assert!(
                diff < 6.0,
                "{kind}_{n}: upright differs from the reference by {diff:.1}/255"
            );

            // As stored (a loader that ignores EXIF): only orientation 1 matches the reference.
            let stored = read_image_file(
                &path,
                &DecodeOptions {
                    apply_orientation: false,
                    ..DecodeOptions::default()
                },
            )
            .unwrap();
            assert_eq!((stored.pixels.width, stored.pixels.height), (sw, sh));
            if (2..=4).contains(&n) {
                let diff = mean_abs_diff(&small_grey(stored.pixels), &ref_small);
                assert!(
                    diff > 20.0,
                    "{kind}_{n} as stored should look different ({diff:.1})"
                );
            }
        }
    }
}

#[test]
fn orientation_zero_means_unknown_and_shows_as_stored() {
    let image =
        read_image_file(&photos().join("Landscape_0.jpg"), &DecodeOptions::default()).unwrap();
    assert_eq!(image.orientation(), None);
    assert_eq!(image.exif, spotcheck::core::media::ExifOrientation::Absent);
}
