#!/usr/bin/env python3
"""CROWDLAB reference numbers for `spotcheck label-issues --annotations` (tests/cli/crowdlab.rs).

    python3 tests/reference/make_crowdlab_reference.py            # rewrites the two files below
    python3 tests/reference/make_crowdlab_reference.py --data DIR # DIR/predictions.csv for DIR/truth.csv

Default mode, on the simulated crowd tests/data/crowd/sim/ (made by make_crowd_reference.py):

  tests/data/crowd/sim/predictions.csv   file_name,prob_<class>...: a deliberately imperfect synthetic
      model, standing in for out-of-sample predictions. Seeded (numpy default_rng(18)): the true
      class gets a probability drawn from N(0.6, 0.25) clipped to [0.02, 0.98], the rest is spread over
      the other classes by a Dirichlet(1) draw, so the model is right about 85% of the time and its
      confidence is noisy. Six decimals; both sides renormalise each row to sum 1.
  tests/data/crowd/sim/crowdlab.json     cleanlab's get_label_quality_multiannotator(wide labels,
      pred_probs, return_weights=True) with its defaults (consensus_method="best_quality",
      quality_method="crowdlab", calibrate_probs=False): per sample (manifest order) the consensus
      label (a class index), consensus_quality_score and annotator_agreement; cleanlab's majority
      vote (get_majority_vote_label, CROWDLAB's starting point); model_weight; per annotator the
      annotator weight, annotator_quality and agreement_with_consensus.

The wide matrix has one column per annotator in byte order of their names (what
`convert_long_to_wide_dataset` gives) and one row per annotated sample; classes are indices into the
byte-sorted class names, like spotcheck's.
"""
import argparse
import json
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SIM = ROOT / "tests" / "data" / "crowd" / "sim"
SEED = 18


def byte_sorted(names):
    return sorted(set(names), key=lambda s: s.encode())


def synthetic_model(truth, k, seed=SEED):
    """n x k probabilities: the true class around 0.6 (sd 0.25), the rest by Dirichlet(1)."""
    rng = np.random.default_rng(seed)
    n = len(truth)
    p_true = np.clip(rng.normal(0.6, 0.25, n), 0.02, 0.98)
    rest = rng.dirichlet(np.ones(k - 1), n) * (1 - p_true)[:, None]
    probs = np.empty((n, k))
    for i, t in enumerate(truth):
        probs[i, t] = p_true[i]
        probs[i, np.arange(k) != t] = rest[i]
    return probs


def write_predictions(path, files, classes, probs):
    frame = pd.DataFrame(probs, columns=[f"prob_{c}" for c in classes])
    frame.insert(0, "file_name", files)
    frame.to_csv(path, index=False, float_format="%.6f")


def read_predictions(path, files, classes):
    """The CSV as written (six decimals), rows renormalised: what spotcheck reads."""
    p = pd.read_csv(path).set_index("file_name").loc[files, [f"prob_{c}" for c in classes]]
    p = p.to_numpy(dtype=float)
    return p / p.sum(axis=1, keepdims=True)


def wide(ann, files, classes):
    ci = {c: i for i, c in enumerate(classes)}
    long = pd.DataFrame({"task": ann["file_name"], "annotator": ann["annotator"],
                         "label": ann["label"].map(ci).astype(float)})
    w = long.pivot(index="task", columns="annotator", values="label")
    w = w[byte_sorted(w.columns)]
    return w.loc[[f for f in files if f in w.index]]


def crowdlab(labels, pred_probs):
    from cleanlab.multiannotator import get_label_quality_multiannotator, get_majority_vote_label
    started = time.perf_counter()
    res = get_label_quality_multiannotator(labels, pred_probs, return_weights=True, verbose=False)
    seconds = time.perf_counter() - started
    mv = get_majority_vote_label(labels, pred_probs, verbose=False)
    return res, mv, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="a make_crowd_data.py folder: write DIR/predictions.csv from DIR/truth.csv")
    ap.add_argument("--time", action="store_true", help="with --data: also time cleanlab on it")
    args = ap.parse_args()
    if args.data:
        d = Path(args.data)
        man = pd.read_csv(d / "manifest.csv")
        ann = pd.read_csv(d / "annotations.csv")
        truth = pd.read_csv(d / "truth.csv").set_index("file_name")
        files = man["file_name"].tolist()
        classes = byte_sorted(list(man["label"]) + list(ann["label"]))
        ci = {c: i for i, c in enumerate(classes)}
        tru = [ci[t] for t in truth.loc[files, "true_label"]]
        write_predictions(d / "predictions.csv", files, classes, synthetic_model(tru, len(classes)))
        if args.time:
            labels = wide(ann, files, classes)
            probs = read_predictions(d / "predictions.csv", list(labels.index), classes)
            _, _, seconds = crowdlab(labels, probs)
            print(json.dumps({"cleanlab_seconds": seconds, "samples": len(labels)}))
        return

    man = pd.read_csv(SIM / "manifest.csv")
    ann = pd.read_csv(SIM / "annotations.csv")
    ref = json.loads((SIM / "reference.json").read_text())
    files = man["file_name"].tolist()
    classes = byte_sorted(list(man["label"]) + list(ann["label"]))
    assert classes == ref["classes"], (classes, ref["classes"])
    tru = ref["truth"]
    write_predictions(SIM / "predictions.csv", files, classes, synthetic_model(tru, len(classes)))

    labels = wide(ann, files, classes)
    probs = read_predictions(SIM / "predictions.csv", list(labels.index), classes)
    res, mv, seconds = crowdlab(labels, probs)
    lq = res["label_quality"]
    stats = res["annotator_stats"]
    annotators = list(labels.columns)
    out = {
        "note": "cleanlab.multiannotator.get_label_quality_multiannotator(labels, pred_probs, "
                "return_weights=True) with its defaults on tests/data/crowd/sim with predictions.csv; "
                "per-sample lists in manifest order (every sample is annotated), classes are indices "
                "into 'classes'",
        "generated_by": {"script": "tests/reference/make_crowdlab_reference.py",
                         "versions": {p: version(p) for p in ("cleanlab", "numpy", "pandas")}},
        "classes": classes,
        "files": list(labels.index),
        "model_accuracy": float(np.mean(np.argmax(probs, axis=1) == np.array(tru)[[files.index(f) for f in labels.index]])),
        "majority_vote_label": [int(x) for x in mv],
        "consensus_label": [int(x) for x in lq["consensus_label"]],
        "consensus_quality_score": [float(x) for x in lq["consensus_quality_score"]],
        "annotator_agreement": [float(x) for x in lq["annotator_agreement"]],
        "model_weight": float(res["model_weight"]),
        "annotators": {
            a: {"weight": float(res["annotator_weight"][j]),
                "annotator_quality": float(stats.loc[a, "annotator_quality"]),
                "agreement_with_consensus": float(stats.loc[a, "agreement_with_consensus"]),
                "num_examples_labeled": int(stats.loc[a, "num_examples_labeled"])}
            for j, a in enumerate(annotators)
        },
    }
    assert out["files"] == files, "every sim sample is annotated, in manifest order"
    (SIM / "crowdlab.json").write_text(json.dumps(out, indent=0) + "\n")
    print(f"cleanlab {version('cleanlab')}: {len(files)} samples in {seconds:.3f} s; model weight "
          f"{out['model_weight']:.6f}; model accuracy {out['model_accuracy']:.3f}; consensus differs from "
          f"majority vote on {int(np.sum(np.array(out['consensus_label']) != np.array(out['majority_vote_label'])))}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
