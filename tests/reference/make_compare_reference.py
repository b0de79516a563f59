#!/usr/bin/env python3
"""The `spotcheck compare` reference fixture: three models' predictions on a small labelled manifest,
and what NumPy, scikit-learn and statsmodels say about them, so `tests/cli/compare.rs` can check the
command's JSON.

    python3 tests/reference/make_compare_reference.py [tests/data/compare]

Writes OUT/manifest.csv (file_name,label,split; 320 samples, 4 classes, train/test, 6 unlabelled),
OUT/model_a.csv (prob_<class>, every probability a multiple of 1/16: exact in binary, rows summing to
exactly 1, and many tied scores), OUT/model_b.csv (logit_<class>, 3 decimals; 12 samples missing, one
row naming a file not in the dataset), OUT/model_c.csv (a hard `prediction` column) and
OUT/reference.json:

    {"generated_by": {"script", "versions"},
     "cases": {NAME: {"args": [str],                  # after DATASET and the --predictions options
                      "expected": {...},              # the contract's document: counts, point metrics,
                                                      # mcnemar_p (statsmodels mcnemar(exact=True))
                      "numpy_bootstrap": {model: {"accuracy_ci", "macro_f1_ci", "ece_ci"}},
                      "numpy_pair_bootstrap": {"a|b": {"accuracy_diff_ci", "macro_f1_diff_ci", "ece_diff_ci"}},
                      "average_precision": {model: {class: f | null}}}}}

Metrics as `stats` defines them: accuracy and macro F1 by scikit-learn (labels = all classes,
zero_division=0), ECE over N equal-width bins (i/N, (i+1)/N] (0 in bin 0), NLL = mean -ln(max(p, 1e-12)).
The bootstrap: np.random.default_rng(seed).integers(0, n, (1000, n)), the same indices for every model,
np.percentile(values, [2.5, 97.5]) (linear). Average precision: sklearn average_precision_score per class,
one against the rest (null for a class with no sample, where scikit-learn warns and answers 0).
Deterministic. Needs numpy, scikit-learn, statsmodels.
"""

import json
import sys
from pathlib import Path

import numpy as np
import sklearn
import statsmodels
from sklearn.metrics import accuracy_score, average_precision_score, f1_score
from statsmodels.stats.contingency_tables import mcnemar

CLASSES = ["ant", "bee", "cat", "dog"]
N = 320
RESAMPLES = 1000


def make(out: Path):
    rng = np.random.default_rng(20)
    k = len(CLASSES)
    truth = rng.integers(0, k, N)
    files = [f"img/{i:04d}.jpg" for i in range(N)]
    split = np.where(rng.random(N) < 0.4, "test", "train")
    unlabelled = set(rng.choice(N, 6, replace=False).tolist())
    with open(out / "manifest.csv", "w") as f:
        f.write("file_name,label,split\n")
        for i in range(N):
            label = "" if i in unlabelled else CLASSES[truth[i]]
            f.write(f"{files[i]},{label},{split[i]}\n")

    # Model A: sixteenths (>= 1 each), the true class favoured 70% of the time.
    a = np.ones((N, k), dtype=int)
    for i in range(N):
        favoured = truth[i] if rng.random() < 0.7 else rng.integers(0, k)
        for _ in range(12):
            c = favoured if rng.random() < 0.55 else rng.integers(0, k)
            a[i, c] += 1
    with open(out / "model_a.csv", "w") as f:
        f.write("file_name," + ",".join(f"prob_{c}" for c in CLASSES) + "\n")
        for i in rng.permutation(N):
            f.write(files[i] + "," + ",".join(str(v / 16) for v in a[i]) + "\n")

    # Model B: logits, a bit better; 12 samples missing, one stray row.
    z = rng.normal(0.0, 1.0, (N, k))
    z[np.arange(N), truth] += rng.uniform(0.5, 2.5, N)
    z = np.round(z, 3)
    missing_b = set(rng.choice(N, 12, replace=False).tolist())
    with open(out / "model_b.csv", "w") as f:
        f.write("file_name," + ",".join(f"logit_{c}" for c in CLASSES) + "\n")
        for i in range(N):
            if i not in missing_b:
                f.write(files[i] + "," + ",".join(f"{v:.3f}" for v in z[i]) + "\n")
        f.write("img/not-in-dataset.jpg,0,0,0,0\n")

    # Model C: hard predictions, right 72% of the time.
    c_pred = np.where(rng.random(N) < 0.72, truth, rng.integers(0, k, N))
    with open(out / "model_c.csv", "w") as f:
        f.write("file_name,prediction\n")
        for i in range(N):
            f.write(f"{files[i]},{CLASSES[c_pred[i]]}\n")

    labels = np.array([-1 if i in unlabelled else truth[i] for i in range(N)])
    pa = a / a.sum(axis=1, keepdims=True)
    eb = np.exp(z - z.max(axis=1, keepdims=True))
    pb = eb / eb.sum(axis=1, keepdims=True)
    has = {"model_a": np.ones(N, bool), "model_b": np.array([i not in missing_b for i in range(N)]),
           "model_c": np.ones(N, bool)}
    probs = {"model_a": pa, "model_b": pb, "model_c": None}
    preds = {"model_a": pa.argmax(axis=1), "model_b": pb.argmax(axis=1), "model_c": c_pred}
    return labels, split, has, probs, preds


def bins_of(conf, num_bins):
    edges = np.arange(num_bins + 1) / num_bins
    return np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, num_bins - 1)


def ece(conf, correct, num_bins):
    b = bins_of(conf, num_bins)
    total = len(conf)
    out = 0.0
    for i in range(num_bins):
        m = b == i
        if m.any():
            out += m.sum() / total * abs(correct[m].mean() - conf[m].mean())
    return float(out)


def metrics(y, pred, prob, num_bins):
    k = len(CLASSES)
    acc = float(accuracy_score(y, pred))
    f1 = float(f1_score(y, pred, labels=list(range(k)), average="macro", zero_division=0))
    if prob is None:
        return acc, f1, None, None
    conf = prob.max(axis=1)
    e = ece(conf, pred == y, num_bins)
    nll = float(np.mean(-np.log(np.maximum(prob[np.arange(len(y)), y], 1e-12))))
    return acc, f1, e, nll


def case(labels, split, has, probs, preds, only_split, num_bins, seed):
    keep = labels >= 0
    for h in has.values():
        keep &= h
    if only_split is not None:
        keep &= split == only_split
    idx = np.flatnonzero(keep)
    y = labels[idx]
    n = len(idx)
    names = list(preds)
    models, point = [], {}
    for name in names:
        pr = None if probs[name] is None else probs[name][idx]
        acc, f1, e, nll = metrics(y, preds[name][idx], pr, num_bins)
        point[name] = (acc, f1, e)
        models.append({"name": name, "accuracy": acc, "macro_f1": f1, "ece": e, "nll": nll})
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            ra = preds[names[i]][idx] == y
            rb = preds[names[j]][idx] == y
            table = [[int(np.sum(ra & rb)), int(np.sum(ra & ~rb))],
                     [int(np.sum(~ra & rb)), int(np.sum(~ra & ~rb))]]
            p = float(mcnemar(np.array(table), exact=True).pvalue)
            pairs.append({"a": names[i], "b": names[j], "both_right": table[0][0],
                          "a_only_right": table[0][1], "b_only_right": table[1][0],
                          "both_wrong": table[1][1], "mcnemar_p": p})

    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, (RESAMPLES, n))
    per = {name: [] for name in names}
    for d in draws:
        for name in names:
            pr = None if probs[name] is None else probs[name][idx][d]
            acc, f1, e, _ = metrics(y[d], preds[name][idx][d], pr, num_bins)
            per[name].append((acc, f1, e))

    def pct(values):
        return [float(v) for v in np.percentile(np.array(values), [2.5, 97.5])]

    boot = {}
    for name in names:
        v = per[name]
        boot[name] = {"accuracy_ci": pct([x[0] for x in v]), "macro_f1_ci": pct([x[1] for x in v]),
                      "ece_ci": None if probs[name] is None else pct([x[2] for x in v])}
    pair_boot = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = per[names[i]], per[names[j]]
            soft = probs[names[i]] is not None and probs[names[j]] is not None
            pair_boot[f"{names[i]}|{names[j]}"] = {
                "accuracy_diff_ci": pct([x[0] - w[0] for x, w in zip(a, b)]),
                "macro_f1_diff_ci": pct([x[1] - w[1] for x, w in zip(a, b)]),
                "ece_diff_ci": pct([x[2] - w[2] for x, w in zip(a, b)]) if soft else None,
            }
    ap = {}
    for name in names:
        if probs[name] is None:
            ap[name] = None
            continue
        ap[name] = {}
        for c, cls in enumerate(CLASSES):
            positive = y == c
            ap[name][cls] = (float(average_precision_score(positive, probs[name][idx][:, c]))
                             if positive.any() else None)
    return {"expected": {"num_samples": int(n), "models": models, "pairs": pairs},
            "numpy_bootstrap": boot, "numpy_pair_bootstrap": pair_boot, "average_precision": ap}


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/compare")
    out.mkdir(parents=True, exist_ok=True)
    labels, split, has, probs, preds = make(out)
    cases = {}
    for name, only_split, num_bins, seed, args in [
        ("all", None, 15, 0, []),
        ("test_bins8_seed7", "test", 8, 7, ["--split", "test", "--bins", "8", "--seed", "7"]),
    ]:
        c = case(labels, split, has, probs, preds, only_split, num_bins, seed)
        c["args"] = args
        cases[name] = c
    ref = {"generated_by": {"script": "tests/reference/make_compare_reference.py",
                            "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__,
                                         "statsmodels": statsmodels.__version__}},
           "cases": cases}
    with open(out / "reference.json", "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
