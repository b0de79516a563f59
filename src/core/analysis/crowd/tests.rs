//! Unit tests of the crowd-label analyses, compiled only under `#[cfg(test)]` (see `mod tests;` in mod.rs).
//! Their `unwrap()`s are on fixtures the tests write themselves into temporary folders: one
//! failing is the test failing, with the error in the panic message, never a user's input.

use std::path::Path;

use super::*;
use crate::core::data::warnings::Warnings;

/// A dataset of `n` unlabelled samples `s0.jpg`.. and the judgements `(sample, annotator, label)`.
fn crowd(n: usize, rows: &[(usize, &str, &str)]) -> (Dataset, Annotations) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.csv");
    let mut text = String::from("file_name\n");
    for i in 0..n {
        text.push_str(&format!("s{i:02}.jpg\n"));
    }
    std::fs::write(&manifest, text).unwrap();
    let mut ds = crate::core::data::load::open(&manifest, None, None, &mut Warnings::default())
        .unwrap()
        .0;
    let (ann, _) = Annotations::from_rows(&mut ds, Path::new("ann.csv"), rows).unwrap();
    (ds, ann)
}

/// The `krippendorff` package's docstring example: 3 coders, 15 units, values 1-4, missing cells.
fn krippendorff_docstring() -> (Dataset, Annotations) {
    let data: [[Option<u8>; 15]; 3] = {
        const N: Option<u8> = None;
        [
            [
                N,
                N,
                N,
                N,
                N,
                Some(3),
                Some(4),
                Some(1),
                Some(2),
                Some(1),
                Some(1),
                Some(3),
                Some(3),
                N,
                Some(3),
            ],
            [
                Some(1),
                N,
                Some(2),
                Some(1),
                Some(3),
                Some(3),
                Some(4),
                Some(3),
                N,
                N,
                N,
                N,
                N,
                N,
                N,
            ],
            [
                N,
                N,
                Some(2),
                Some(1),
                Some(3),
                Some(4),
                Some(4),
                N,
                Some(2),
                Some(1),
                Some(1),
                Some(3),
                Some(3),
                N,
                Some(4),
            ],
        ]
    };
    let names: Vec<String> = (1..=4).map(|v| v.to_string()).collect();
    let coders = ["A", "B", "C"];
    let mut rows = Vec::new();
    for (c, row) in data.iter().enumerate() {
        for (u, v) in row.iter().enumerate() {
            if let Some(v) = v {
                rows.push((u, coders[c], names[*v as usize - 1].as_str()));
            }
        }
    }
    crowd(15, &rows)
}

#[test]
fn krippendorff_alpha_matches_the_packages_docstring() {
    let (ds, ann) = krippendorff_docstring();
    let samples = annotated_samples(&ds, &ann, None);
    assert_eq!(samples.len(), 13);
    let s = agreement(&ann, &samples, ds.classes().len());
    // krippendorff.alpha(reliability_data, level_of_measurement="nominal") = 0.691358...
    assert!(
        (s.krippendorff_alpha.unwrap() - 0.691_358_024_691_358).abs() < 1e-9,
        "{s:?}"
    );
    // Counts differ between units (1, 2 or 3 judgements): no Fleiss' kappa.
    assert_eq!(s.fleiss_kappa, None);
    // By hand: 12 units have >= 2 values; 9 agree fully, {3,3,4} agrees in 1 pair of 3, and {1,3},
    // {3,4} not at all.
    let observed = s.observed.unwrap();
    assert!(
        (observed - (9.0 + 1.0 / 3.0) / 12.0).abs() < 1e-12,
        "{observed}"
    );
}

#[test]
fn fleiss_kappa_by_hand() {
    // 4 samples x 3 raters, 2 classes: counts (3,0) (2,1) (1,2) (0,3).
    // P_u = 1, 1/3, 1/3, 1 -> mean 2/3; p = (6/12, 6/12) -> P_e = 1/2; kappa = (2/3-1/2)/(1/2) = 1/3.
    let rows = [
        (0, "a", "x"),
        (0, "b", "x"),
        (0, "c", "x"),
        (1, "a", "x"),
        (1, "b", "x"),
        (1, "c", "y"),
        (2, "a", "x"),
        (2, "b", "y"),
        (2, "c", "y"),
        (3, "a", "y"),
        (3, "b", "y"),
        (3, "c", "y"),
    ];
    let (ds, ann) = crowd(4, &rows);
    let samples = annotated_samples(&ds, &ann, None);
    let s = agreement(&ann, &samples, 2);
    assert!((s.fleiss_kappa.unwrap() - 1.0 / 3.0).abs() < 1e-12, "{s:?}");
    assert!((s.observed.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // Alpha by hand: n = 12, n_x = n_y = 6; D_o sum = 0 + 2 + 2 + 0 (= (9-5)/2 twice) = 4;
    // expected = 144 - 72 = 72 -> alpha = 1 - 11 * 4 / 72 = 7/18.
    assert!((s.krippendorff_alpha.unwrap() - 7.0 / 18.0).abs() < 1e-12);
    // One label only: no expected disagreement, so no alpha and no kappa.
    let (ds, ann) = crowd(
        2,
        &[(0, "a", "x"), (0, "b", "x"), (1, "a", "x"), (1, "b", "x")],
    );
    let s = agreement(&ann, &annotated_samples(&ds, &ann, None), 1);
    assert_eq!((s.krippendorff_alpha, s.fleiss_kappa), (None, None));
    assert_eq!(s.observed, Some(1.0));
}

#[test]
fn vote_breaks_ties_by_the_lowest_class() {
    let (ds, ann) = crowd(1, &[(0, "a", "y"), (0, "b", "x")]);
    let c = vote(&ann, &annotated_samples(&ds, &ann, None), 2);
    assert_eq!(c.label, vec![0]);
    assert_eq!(c.soft(0), &[0.5, 0.5]);
    assert_eq!(c.confidence(0), 0.5);
}

/// Five careful annotators who are always right, and a spammer who always says "a".
fn careful_and_spammer() -> (Dataset, Annotations, Vec<u32>) {
    let classes = ["a", "b", "c"];
    let mut rows = Vec::new();
    let mut truth = Vec::new();
    for s in 0..60usize {
        let t = (s / 5) % 3;
        truth.push(t as u32);
        // Three of the careful five judge each sample, and the spammer judges every one.
        for k in 0..3 {
            rows.push((s, ["p", "q", "r", "s", "t"][(s + k) % 5], classes[t]));
        }
        rows.push((s, "spam", "a"));
    }
    let (ds, ann) = crowd(60, &rows);
    (ds, ann, truth)
}

#[test]
fn dawid_skene_finds_the_truth_and_the_spammer() {
    let (ds, ann, truth) = careful_and_spammer();
    let samples = annotated_samples(&ds, &ann, None);
    let c = consensus(&ann, &samples, 3, ConsensusMethod::DawidSkene).unwrap();
    assert_eq!(c.label, truth);
    assert!(c.iterations >= 1 && c.iterations < 100, "{}", c.iterations);
    let acc = c.estimated_accuracy.clone().unwrap();
    let names = ann.annotators();
    let spam = names.iter().position(|n| n == "spam").unwrap();
    for (a, &x) in acc.iter().enumerate() {
        if a != spam {
            assert!((x - 1.0).abs() < 1e-9, "{}: {x}", names[a]);
        }
    }
    // The spammer is right only when the truth is "a": its accuracy is the prior of "a".
    let prior_a = truth.iter().filter(|&&t| t == 0).count() as f64 / 60.0;
    assert!((acc[spam] - prior_a).abs() < 1e-9, "{}", acc[spam]);
    // Posteriors are distributions.
    for r in 0..samples.len() {
        assert!((c.soft(r).iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn dawid_skene_outvotes_a_majority_of_guessers() {
    // Two careful annotators agree; three guessers pick labels at random. Vote is often wrong or
    // tied; Dawid-Skene learns whom to trust.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 33) as usize
    };
    let classes = ["a", "b", "c", "d"];
    let mut rows = Vec::new();
    let mut truth = Vec::new();
    for s in 0..200usize {
        let t = random() % 4;
        truth.push(t as u32);
        rows.push((s, "good1", classes[t]));
        if s % 5 != 0 {
            rows.push((s, "good2", classes[t]));
        } else {
            rows.push((s, "good2", classes[(t + 1) % 4]));
        }
        for name in ["g1", "g2", "g3"] {
            rows.push((s, name, classes[random() % 4]));
        }
    }
    let (ds, ann) = crowd(200, &rows);
    let samples = annotated_samples(&ds, &ann, None);
    let ds_c = consensus(&ann, &samples, 4, ConsensusMethod::DawidSkene).unwrap();
    let vote_c = consensus(&ann, &samples, 4, ConsensusMethod::Vote).unwrap();
    let right = |c: &Consensus| c.label.iter().zip(&truth).filter(|(a, b)| a == b).count();
    assert!(
        right(&ds_c) > right(&vote_c),
        "{} vs {}",
        right(&ds_c),
        right(&vote_c)
    );
    assert!(right(&ds_c) >= 170, "{}", right(&ds_c));
    let acc = ds_c.estimated_accuracy.unwrap();
    let names = ann.annotators();
    let of = |n: &str| acc[names.iter().position(|x| x == n).unwrap()];
    for g in ["g1", "g2", "g3"] {
        assert!(
            of(g) < 0.5 && of("good1") > 0.8 && of("good2") > 0.8,
            "{acc:?}"
        );
    }
}

#[test]
fn a_split_limits_every_number() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.csv");
    std::fs::write(&manifest, "file_name,split\na.jpg,train\nb.jpg,test\n").unwrap();
    let mut ds = crate::core::data::load::open(&manifest, None, None, &mut Warnings::default())
        .unwrap()
        .0;
    let rows = [(0, "u", "x"), (0, "v", "x"), (1, "u", "x"), (1, "v", "y")];
    let (ann, _) = Annotations::from_rows(&mut ds, Path::new("ann.csv"), &rows).unwrap();
    let test = ds.split_id("test");
    let samples = annotated_samples(&ds, &ann, test);
    assert_eq!(samples.len(), 1);
    let s = agreement(&ann, &samples, 2);
    assert_eq!(s.observed, Some(0.0));
}
