#!/usr/bin/env python3
"""The label-issues peer: what a practitioner writes with pandas and cleanlab 2.x.

    python3 scripts/label_issues_cleanlab.py MANIFEST PREDICTIONS [--split NAME] [--top K]

MANIFEST: a .csv manifest with file_name and label (optional split). PREDICTIONS: a CSV with file_name
and prob_<class> columns (any order, rows in any order). Joins the two on file_name, keeps the labelled
samples with predictions (in the predictions file's row order), renormalises each row, and runs
cleanlab.filter.find_label_issues(labels, pred_probs, return_indices_ranked_by="self_confidence")
(filter_by="prune_by_noise_rate", cleanlab's default). Prints the same JSON document as
`spotcheck label-issues ... --json`, so `scripts/bench-label-issues.sh` can time the two side by side
and compare what they flag. Needs numpy, pandas and cleanlab.
"""

import argparse
import json
import sys
import warnings

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("predictions")
    ap.add_argument("--split")
    ap.add_argument("--top", type=int)
    args = ap.parse_args()
    from cleanlab.filter import find_label_issues

    manifest = pd.read_csv(args.manifest, dtype=str, keep_default_na=False)
    preds = pd.read_csv(args.predictions, dtype={"file_name": str})
    if args.split is not None:
        manifest = manifest[manifest["split"] == args.split]
    manifest = manifest[manifest["label"] != ""]
    classes = sorted(manifest["label"].unique(), key=lambda c: c.encode())
    prob_cols = [f"prob_{c}" for c in classes]
    joined = preds.drop_duplicates("file_name").merge(manifest[["file_name", "label"]], on="file_name",
                                                       how="inner", sort=False)
    probs = joined[prob_cols].to_numpy(dtype=np.float64)
    probs /= probs.sum(axis=1, keepdims=True)
    index = {c: i for i, c in enumerate(classes)}
    labels = joined["label"].map(index).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence")
    if args.top is not None:
        ranked = ranked[: args.top]
    files = joined["file_name"].to_numpy()
    suggested = probs[ranked].argmax(axis=1)
    scores = 1.0 - probs[ranked, labels[ranked]]
    doc = {
        "method": "confident_learning",
        "num_candidates": int(len(labels)),
        "issues": [{"file": f, "label": classes[l], "suggested": classes[s], "score": float(x)}
                   for f, l, s, x in zip(files[ranked], labels[ranked], suggested, scores)],
    }
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
