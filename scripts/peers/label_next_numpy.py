#!/usr/bin/env python3
"""What a practitioner writes without spotcheck to pick the samples to label next.

    python3 label_next_numpy.py MANIFEST PREDICTIONS [--top K] [--strategy least-confidence|margin|entropy]

pandas.read_csv both files, keep the manifest's unlabelled samples (all of them when it has no label
column) that have a prediction, NumPy scores from the prob_<class> columns (renormalised per row), a
stable argsort (highest score first, ties in manifest order), the first K. Prints the same JSON shape as
`spotcheck label-next --json`. Rows whose probabilities are unusable (all zero, negative, NaN) are
dropped, as spotcheck does.
"""

import argparse
import json
import math

import numpy as np
import pandas as pd

ap = argparse.ArgumentParser()
ap.add_argument("manifest")
ap.add_argument("predictions")
ap.add_argument("--top", type=int)
ap.add_argument("--strategy", default="least-confidence", choices=["least-confidence", "margin", "entropy"])
a = ap.parse_args()

manifest = pd.read_csv(a.manifest, dtype=str, keep_default_na=False)
preds = pd.read_csv(a.predictions, dtype={"file_name": str}, engine="c")
if "label" in manifest:
    manifest = manifest[manifest["label"] == ""]
cols = [c for c in preds.columns if c.startswith("prob_")]
classes = [c[len("prob_"):] for c in cols]
p = preds[cols].to_numpy(np.float64)
s = p.sum(axis=1, keepdims=True)
ok = (s[:, 0] > 0) & np.isfinite(p).all(axis=1) & (p >= 0).all(axis=1)
p = p[ok] / s[ok]
rows = pd.Series(np.arange(len(p)), index=preds["file_name"].to_numpy()[ok])
rows = rows[~rows.index.duplicated()]
# Manifest order, the samples that have a prediction.
pos = rows.reindex(manifest["file_name"].to_numpy())
have = pos.notna().to_numpy()
files = manifest["file_name"].to_numpy()[have]
p = p[pos.to_numpy()[have].astype(np.int64)]
if a.strategy == "entropy":
    with np.errstate(divide="ignore", invalid="ignore"):
        score = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1) / math.log(p.shape[1])
else:
    top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
    p1, p2 = top2.max(axis=1), top2.min(axis=1)
    score = 1.0 - p1 if a.strategy == "least-confidence" else 1.0 - (p1 - p2)
order = np.argsort(-score, kind="stable")
if a.top is not None:
    order = order[: a.top]
pred = p[order].argmax(axis=1)
print(json.dumps({
    "strategy": a.strategy,
    "num_candidates": int(len(files)),
    "samples": [{"file": files[i], "predicted": classes[c], "score": float(score[i])} for i, c in zip(order, pred)],
}))
