#!/usr/bin/env python3
"""The NumPy/scikit-learn/statsmodels peer of `spotcheck compare --json` for scripts/bench-compare.sh:
what a practitioner writes to compare models with bootstrap intervals.

    python3 scripts/peers/compare_numpy.py MANIFEST PRED [PRED ...] [--seed S] [--bins N]

pandas reads the manifest and each predictions file (prob_<class> columns), joins them on file_name,
keeps the labelled samples every model predicts; per model accuracy and macro F1 (scikit-learn), ECE
(N equal-width bins, (i/N, (i+1)/N]) and NLL; 1000 bootstrap resamples (np.random.default_rng(seed),
the same indices for every model) with np.percentile(..., [2.5, 97.5]); per pair the 2x2 table and
statsmodels' mcnemar(exact=True). The resample metrics are vectorised (np.bincount over the confusion
cells and the bins), not scikit-learn calls, which would take minutes per model. Prints the contract's
JSON.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from statsmodels.stats.contingency_tables import mcnemar


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("predictions", nargs="+")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bins", type=int, default=15)
    ap.add_argument("--resamples", type=int, default=1000)
    a = ap.parse_args()

    man = pd.read_csv(a.manifest, usecols=["file_name", "label"]).dropna(subset=["label"])
    classes = sorted(man["label"].astype(str).unique())
    k = len(classes)
    df = man
    cols_of = []
    for i, path in enumerate(a.predictions):
        p = pd.read_csv(path)
        cols = [f"prob_{c}" for c in classes]
        p = p[["file_name"] + cols].rename(columns={c: f"m{i}_{c}" for c in cols})
        df = df.merge(p, on="file_name", how="inner")
        cols_of.append([f"m{i}_{c}" for c in cols])
    y = pd.Categorical(df["label"].astype(str), categories=classes).codes.astype(np.int64)
    n = len(y)
    names = [Path(p).stem for p in a.predictions]
    edges = np.arange(a.bins + 1) / a.bins

    per = []
    models = []
    for i, cols in enumerate(cols_of):
        prob = df[cols].to_numpy(dtype=np.float64, copy=True)
        prob /= prob.sum(axis=1, keepdims=True)
        pred = prob.argmax(axis=1)
        conf = prob.max(axis=1)
        b = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, a.bins - 1)
        correct = pred == y
        nll = float(np.mean(-np.log(np.maximum(prob[np.arange(n), y], 1e-12))))
        per.append((pred, conf, b, correct))
        acc = float(accuracy_score(y, pred))
        f1 = float(f1_score(y, pred, labels=list(range(k)), average="macro", zero_division=0))
        models.append({"name": names[i], "accuracy": acc, "macro_f1": f1,
                       "ece": ece_of(b, conf, correct, a.bins, n), "nll": nll})

    rng = np.random.default_rng(a.seed)
    stats = np.zeros((len(per), a.resamples, 3))
    cells = [y * k + pred for pred, _, _, _ in per]
    for r in range(a.resamples):
        idx = rng.integers(0, n, n)
        yy = y[idx]
        support = np.bincount(yy, minlength=k)
        for m, (pred, conf, b, correct) in enumerate(per):
            cm = np.bincount(cells[m][idx], minlength=k * k).reshape(k, k)
            tp = np.diag(cm)
            den = cm.sum(axis=0) + support
            f1 = np.divide(2 * tp, den, out=np.zeros(k), where=den > 0)
            bi, ci = b[idx], correct[idx]
            stats[m, r] = (tp.sum() / n, f1.mean(), ece_of(bi, conf[idx], ci, a.bins, n))
    for m, model in enumerate(models):
        for j, key in enumerate(["accuracy_ci", "macro_f1_ci", "ece_ci"]):
            model[key] = [float(v) for v in np.percentile(stats[m, :, j], [2.5, 97.5])]

    pairs = []
    for i in range(len(per)):
        for j in range(i + 1, len(per)):
            ra, rb = per[i][3], per[j][3]
            t = np.array([[np.sum(ra & rb), np.sum(ra & ~rb)], [np.sum(~ra & rb), np.sum(~ra & ~rb)]])
            pairs.append({"a": names[i], "b": names[j], "both_right": int(t[0, 0]),
                          "a_only_right": int(t[0, 1]), "b_only_right": int(t[1, 0]),
                          "both_wrong": int(t[1, 1]), "mcnemar_p": float(mcnemar(t, exact=True).pvalue)})
    print(json.dumps({"num_samples": n, "models": models, "pairs": pairs}))


def ece_of(b, conf, correct, bins, n):
    count = np.bincount(b, minlength=bins)
    right = np.bincount(b, weights=correct, minlength=bins)
    s = np.bincount(b, weights=conf, minlength=bins)
    return float(np.abs(right - s).sum() / n) if count.sum() else 0.0


if __name__ == "__main__":
    main()
