//! `stats` of a dataset split into parts (as the Beam pipeline's buckets) equals `stats` of the
//! whole: the compare fixture cut into buckets by file, each loaded by the core's loader with the
//! dataset's classes declared, partials merged, three temperature passes, `finish`.

use std::path::Path;

use spotcheck::core::analysis::report::StatsReport;
use spotcheck::core::analysis::stats_partial::{
    REFINEMENT_PASSES, ScoredRows, StatsPartial, TemperaturePartial, finish,
};
use spotcheck::core::data::dataset::Dataset;
use spotcheck::core::data::load::{Predictions, open, open_with};
use spotcheck::core::data::warnings::Warnings;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/compare");

/// Writes the rows of `src` whose line index is `i % parts == part` (header kept).
fn part_of(src: &Path, dst: &Path, part: usize, parts: usize) {
    let text = std::fs::read_to_string(src).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines {
        // Route by file name, as the pipeline does, so both files of a part name the same files.
        let file = line.split(',').next().unwrap();
        let h = file.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        if h as usize % parts == part {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(dst, out).unwrap();
}

fn assert_close(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (k, v) in x {
                assert_close(v, &y[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                assert_close(u, v, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            let tolerance = if path.ends_with("temperature") {
                1e-9
            } else {
                1e-12
            };
            assert!((x - y).abs() <= tolerance, "{path}: {x} vs {y}");
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

fn distributed(parts: usize, model: &str, split: Option<&str>, bins: usize) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut loaded: Vec<(Dataset, Option<_>)> = Vec::new();
    // The dataset's label classes first (the pipeline's first step), then each part with them.
    let mut classes: Vec<String> = Vec::new();
    for part in 0..parts {
        let m = dir.path().join(format!("m{part}.csv"));
        part_of(&Path::new(FIXTURE).join("manifest.csv"), &m, part, parts);
        if std::fs::read_to_string(&m).unwrap().lines().count() < 2 {
            continue; // no manifest row landed here (this model has no stray rows either)
        }
        let (d, _) = open(&m, None, None, &mut Warnings::default()).unwrap();
        classes.extend(d.classes().iter().cloned());
    }
    classes.sort();
    classes.dedup();
    for part in 0..parts {
        let m = dir.path().join(format!("m{part}.csv"));
        let p = dir.path().join(format!("p{part}.csv"));
        part_of(
            &Path::new(FIXTURE).join(format!("{model}.csv")),
            &p,
            part,
            parts,
        );
        if std::fs::read_to_string(&m).unwrap().lines().count() < 2 {
            assert!(std::fs::read_to_string(&p).unwrap().lines().count() < 2);
            continue;
        }
        let (d, preds) = open_with(
            &m,
            Some(&p),
            None,
            &mut Warnings::default(),
            |d: &mut Dataset,
             _: &mut Warnings|
             -> Result<(), spotcheck::core::data::error::LoadError> {
                d.ensure_classes(classes.iter().map(String::as_str));
                Ok(())
            },
        )
        .unwrap();
        loaded.push((d, preds));
    }
    let partial = loaded
        .iter()
        .map(|(d, p)| StatsPartial::of_part(d, p.as_ref(), split, bins))
        .reduce(|a, b| a.merge(&b).unwrap())
        .unwrap();
    // The pipeline keeps each part's scored rows (as bytes) for the refinement passes: a pass over
    // them must give exactly what a pass over the loaded part gives.
    let kept: Vec<ScoredRows> = loaded
        .iter()
        .map(|(d, p)| {
            let bytes = ScoredRows::of_part(d, p.as_ref(), split).to_bytes();
            ScoredRows::from_bytes(&bytes).unwrap()
        })
        .collect();
    let mut b = partial.temperature_start();
    let mut last = None;
    for _ in 0..REFINEMENT_PASSES {
        let passes: Vec<TemperaturePartial> = loaded
            .iter()
            .map(|(d, p)| TemperaturePartial::of_part(d, p.as_ref(), split, bins, b))
            .collect();
        for (rows, pass) in kept.iter().zip(&passes) {
            assert_eq!(&TemperaturePartial::of_rows(rows, bins, b), pass);
        }
        let pass = passes
            .into_iter()
            .reduce(|x, y| x.merge(&y).unwrap())
            .unwrap();
        b = pass.next_b();
        last = Some(pass);
    }
    serde_json::to_value(finish(&partial, last.as_ref()).unwrap()).unwrap()
}

/// The whole fixture with `model`'s predictions.
fn open_model(model: &str) -> (Dataset, Option<Predictions>) {
    open(
        &Path::new(FIXTURE).join("manifest.csv"),
        Some(&Path::new(FIXTURE).join(format!("{model}.csv"))),
        None,
        &mut Warnings::default(),
    )
    .unwrap()
}

fn whole(model: &str, split: Option<&str>, bins: usize) -> serde_json::Value {
    let (d, p) = open_model(model);
    let split = split.map(|s| d.split_id(s).unwrap());
    serde_json::to_value(StatsReport::build(&d, p.as_ref(), split, bins)).unwrap()
}

#[test]
fn parts_merge_into_the_whole_stats_document() {
    for (model, parts, split, bins) in [
        ("model_a", 7, None, 15),
        ("model_a", 13, Some("test"), 8),
        // Parts of ~3 samples: many without a test sample, some without a class.
        ("model_a", 100, Some("test"), 15),
        ("model_b", 3, None, 15),
        ("model_c", 5, None, 10),
    ] {
        let got = distributed(parts, model, split, bins);
        let want = whole(model, split, bins);
        assert_close(&got, &want, &format!("{model}/{parts}"));
    }
}

#[test]
fn merging_refuses_parts_that_do_not_fit() {
    let (d, p) = open_model("model_a");
    let a = StatsPartial::of_part(&d, p.as_ref(), None, 15);
    let b = StatsPartial::of_part(&d, p.as_ref(), None, 10);
    assert!(a.clone().merge(&b).is_err());
    let none = StatsPartial::of_part(&d, None, None, 15);
    assert!(a.merge(&none).is_err());
}

#[test]
fn scored_rows_bytes_that_do_not_fit_are_an_error() {
    let (d, p) = open_model("model_a");
    let rows = ScoredRows::of_part(&d, p.as_ref(), None);
    assert!(rows.len() > 100);
    let bytes = rows.to_bytes();
    assert_eq!(ScoredRows::from_bytes(&bytes).unwrap(), rows);
    for cut in [0, 5, 12, bytes.len() - 1] {
        assert!(ScoredRows::from_bytes(&bytes[..cut]).is_err(), "{cut}");
    }
    let mut wrong = bytes.clone();
    wrong[8] = 0xff; // a row count the bytes do not hold
    assert!(ScoredRows::from_bytes(&wrong).is_err());
    // Hard predictions score no rows for the temperature.
    let (d, hard) = open_model("model_c");
    assert!(ScoredRows::of_part(&d, hard.as_ref(), None).is_empty());
}
