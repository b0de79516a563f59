//! Hand-checked metric values, computed through the real loaders and the same report `stats` prints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use spotcheck::core::analysis::report::StatsReport;
use spotcheck::core::data::load;
use spotcheck::core::data::warnings::Warnings;

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-12 * b.abs().max(1.0),
        "{what}: {a} != {b}"
    );
}

fn report(manifest: &str, preds: &str, bins: usize) -> StatsReport {
    let dir = tempfile::tempdir().unwrap();
    let m = common::write(dir.path(), "data.csv", manifest);
    let p = common::write(dir.path(), "preds.csv", preds);
    let mut w = Warnings::default();
    let (ds, pr) = load::open(&m, Some(&p), None, &mut w).unwrap();
    StatsReport::build(&ds, pr.as_ref(), None, bins)
}

const MANIFEST: &str =
    "file_name,label\ns1.jpg,a\ns2.jpg,b\ns3.jpg,c\ns4.jpg,b\ns5.jpg,a\ns6.jpg,\n";
// Dyadic probabilities: every row sums to exactly 1, so renormalising cannot move a value off an edge.
const PROBS: &str = "file_name,prob_a,prob_b,prob_c\n\
    s1.jpg,0.75,0.25,0\n\
    s2.jpg,0.375,0.375,0.25\n\
    s3.jpg,0,1,0\n\
    s4.jpg,0.125,0.625,0.25\n\
    s5.jpg,0.5,0.25,0.25\n\
    s6.jpg,0.5,0.5,0\n";

/// s1 a→a (conf .75, on the edge 3/4), s2 b→a (tie .375/.375: lowest index wins), s3 c→b (p_true = 0,
/// class c never predicted), s4 b→b (.625), s5 a→a (.5, on the edge 2/4), s6 unlabelled (not scored).
#[test]
fn hand_checked_classification() {
    let r = report(MANIFEST, PROBS, 4);
    let m = r.metrics.unwrap();
    assert_eq!(m.num_samples, 5);
    close(m.accuracy, 0.6, "accuracy");
    assert_eq!(
        m.confusion_matrix,
        vec![vec![2, 0, 0], vec![1, 1, 0], vec![0, 1, 0]]
    );
    let pc = &m.per_class;
    close(pc[0].precision, 2.0 / 3.0, "precision a");
    close(pc[1].precision, 0.5, "precision b");
    close(pc[2].precision, 0.0, "precision c (never predicted)");
    close(pc[0].recall, 1.0, "recall a");
    close(pc[1].recall, 0.5, "recall b");
    close(pc[2].recall, 0.0, "recall c");
    close(pc[0].f1, 0.8, "f1 a");
    close(pc[1].f1, 0.5, "f1 b");
    close(pc[2].f1, 0.0, "f1 c");
    close(m.macro_f1, 1.3 / 3.0, "macro f1");
    close(m.weighted_f1, 2.6 / 5.0, "weighted f1");
    assert_eq!(
        r.predictions.as_ref().map(|p| (p.matched, p.unmatched)),
        Some((6, 0))
    );
}

#[test]
fn hand_checked_calibration() {
    let c = report(MANIFEST, PROBS, 4).calibration.unwrap();
    let counts: Vec<u64> = c.bins.iter().map(|b| b.count).collect();
    // .375 and .5 (edge 2/4) in (.25, .5]; .625 and .75 (edge 3/4) in (.5, .75]; 1.0 in (.75, 1].
    assert_eq!(counts, [0, 2, 2, 1]);
    close(c.bins[1].confidence, 0.4375, "bin 1 confidence");
    close(c.bins[1].accuracy, 0.5, "bin 1 accuracy");
    close(c.bins[2].confidence, 0.6875, "bin 2 confidence");
    close(c.bins[2].accuracy, 1.0, "bin 2 accuracy");
    close(c.bins[0].confidence, 0.0, "empty bin confidence");
    close(c.ece, (2.0 * 0.0625 + 2.0 * 0.3125 + 1.0) / 5.0, "ece");
    close(c.mce, 1.0, "mce");
    let nll =
        (-(0.75f64).ln() - (0.375f64).ln() - (1e-12f64).ln() - (0.625f64).ln() - (0.5f64).ln())
            / 5.0;
    close(
        c.nll,
        nll,
        "nll with the true-class probability 0 clipped at 1e-12",
    );
    close(c.brier, 3.3125 / 5.0, "brier");
    assert!(c.temperature.is_finite() && c.temperature > 0.0);
}

/// Binary logits (2, 0) with 3 of 4 samples labelled `a`: the NLL-optimal temperature makes
/// sigmoid(2 / T) = 3/4, so T = 2 / ln 3. Probabilities sigmoid(2) give the same T (logits = ln p
/// up to a per-row constant).
#[test]
fn temperature_has_the_closed_form_optimum_for_logits_and_probabilities() {
    let manifest = "file_name,label\n1.png,a\n2.png,a\n3.png,a\n4.png,b\n";
    let logits = "file_name,logit_a,logit_b\n1.png,2,0\n2.png,2,0\n3.png,2,0\n4.png,2,0\n";
    let p = 1.0 / (1.0 + (-2.0f64).exp());
    let probs = format!(
        "file_name,prob_b,prob_a\n1.png,{q},{p}\n2.png,{q},{p}\n3.png,{q},{p}\n4.png,{q},{p}\n",
        q = 1.0 - p
    );
    let expected = 2.0 / 3.0f64.ln();
    let from_logits = report(manifest, logits, 15);
    let from_probs = report(manifest, &probs, 15);
    let (cl, cp) = (
        from_logits.calibration.unwrap(),
        from_probs.calibration.unwrap(),
    );
    assert!(
        (cl.temperature - expected).abs() < 1e-8 * expected,
        "T = {}, expected {expected}",
        cl.temperature
    );
    assert!(
        (cp.temperature - expected).abs() < 1e-8 * expected,
        "T = {}, expected {expected}",
        cp.temperature
    );
    // After scaling, p(a) = 3/4 for every sample: NLL = -(3 ln .75 + ln .25) / 4.
    let nll_after = -(3.0 * 0.75f64.ln() + 0.25f64.ln()) / 4.0;
    assert!((cl.nll_after_temperature - nll_after).abs() < 1e-12);
    // All samples at confidence .75 with accuracy .75: perfectly calibrated after scaling.
    assert!(
        cl.ece_after_temperature < 1e-9,
        "{}",
        cl.ece_after_temperature
    );
    for (a, b) in [
        (cl.nll, cp.nll),
        (cl.brier, cp.brier),
        (cl.ece, cp.ece),
        (cl.mce, cp.mce),
    ] {
        close(a, b, "logits vs probabilities");
    }
    let (ml, mp) = (from_logits.metrics.unwrap(), from_probs.metrics.unwrap());
    assert_eq!(ml.confusion_matrix, mp.confusion_matrix);
    close(ml.accuracy, 0.75, "accuracy");
}

#[test]
fn hard_predictions_have_metrics_but_no_calibration() {
    let r = report(
        "file_name,label\n1.png,a\n2.png,b\n3.png,b\n",
        "file_name,prediction\n1.png,a\n2.png,a\n3.png,b\n",
        15,
    );
    let m = r.metrics.unwrap();
    close(m.accuracy, 2.0 / 3.0, "accuracy");
    assert!(r.calibration.is_none());
}

#[test]
fn split_filter_and_class_counts_include_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let m = common::write(
        dir.path(),
        "m.csv",
        "file_name,label,split\n1.png,a,train\n2.png,b,train\n3.png,a,val\n4.png,,val\n",
    );
    let p = common::write(
        dir.path(),
        "p.csv",
        "file_name,prob_a,prob_b\n1.png,0.9,0.1\n2.png,0.9,0.1\n3.png,0.2,0.8\nzzz.png,1,0\n",
    );
    let mut w = Warnings::default();
    let (ds, pr) = load::open(&m, Some(&p), None, &mut w).unwrap();
    let val = ds.split_id("val");
    let r = StatsReport::build(&ds, pr.as_ref(), val, 15);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["class_counts"]["val"],
        serde_json::json!({"a": 1, "b": 0})
    );
    assert_eq!(
        json["class_counts"]["all"],
        serde_json::json!({"a": 2, "b": 1})
    );
    assert_eq!(
        json["predictions"],
        serde_json::json!({"matched": 3, "unmatched": 1})
    );
    assert_eq!(json["metrics"]["num_samples"], 1);
    assert_eq!(json["metrics"]["accuracy"], 0.0);
    assert_eq!(json["dataset"]["num_samples"], 4);
    // Warnings: one unmatched row, one sample without prediction.
    let kinds: Vec<_> = w.items().iter().map(|w| w.kind).collect();
    use spotcheck::core::data::warnings::WarningKind::*;
    assert!(
        kinds.contains(&UnmatchedPrediction) && kinds.contains(&MissingPrediction),
        "{kinds:?}"
    );
}
