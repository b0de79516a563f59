#!/usr/bin/env python3
"""What a practitioner writes today for a Hugging Face image dataset's numbers: `datasets` + pandas +
scikit-learn + numpy.

    python3 scripts/peers/hf_stats_peer.py DATA_DIR PREDICTIONS_CSV [--cache-dir DIR] [--bins 15]

DATA_DIR: a folder of Parquet shards (the Hub's data/train-NNNNN-of-NNNNN.parquet), loaded with
datasets.load_dataset("parquet", data_dir=DATA_DIR, split="train") into an empty cache (a fresh temporary
folder, removed afterwards, unless --cache-dir names one), so every run is a first load as on a new machine
or a new dataset version. The images are never decoded: only the label column is read from the loaded
dataset. PREDICTIONS_CSV: file_name (train/ROW, ROW = the row number) + prob_<class> columns.

Prints a subset of `spotcheck stats --json` (same keys, classes in byte order): dataset, class_counts (all),
predictions, metrics (accuracy, macro/weighted F1, per-class precision/recall/F1/support, confusion
matrix) and calibration (num_bins, ece, mce). It does not fit a temperature, an NLL or a Brier score,
which spotcheck also computes.
"""

import argparse
import json
import shutil
import sys
import tempfile

import numpy as np
import pandas as pd
from datasets import load_dataset
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def ece_15(conf, correct, n_bins):
    """Expected calibration error over equal-width bins (i/N, (i+1)/N]; 0 goes to bin 0."""
    edges = np.arange(n_bins + 1) / n_bins
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    mean_conf = np.bincount(idx, weights=conf, minlength=n_bins) / np.maximum(count, 1)
    mean_acc = np.bincount(idx, weights=correct, minlength=n_bins) / np.maximum(count, 1)
    gap = np.abs(mean_acc - mean_conf)
    return float(np.sum(count / len(conf) * gap)), float(gap[count > 0].max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("predictions")
    ap.add_argument("--cache-dir")
    ap.add_argument("--bins", type=int, default=15)
    a = ap.parse_args()

    cache = a.cache_dir or tempfile.mkdtemp(prefix="hf_peer_cache_")
    try:
        ds = load_dataset("parquet", data_dir=a.data_dir, split="train", cache_dir=cache)
        names = ds.features["label"].names
        labels = np.asarray(ds["label"])

        df = pd.DataFrame({"file_name": [f"train/{i}" for i in range(len(ds))],
                           "label": np.array(names, dtype=object)[labels]})
        df = df[labels >= 0]  # -1 = unlabelled
        classes = sorted(names)
        counts = df["label"].value_counts()

        probs = pd.read_csv(a.predictions)
        merged = df.merge(probs, on="file_name", how="inner")
        matched = int(probs["file_name"].isin(df["file_name"]).sum())

        y = merged["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
        p = merged[[f"prob_{c}" for c in classes]].to_numpy(dtype=np.float64)
        p = p / p.sum(axis=1, keepdims=True)
        pred = p.argmax(axis=1)
        conf = p.max(axis=1)
        labels_idx = list(range(len(classes)))
        prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=labels_idx, zero_division=0)
        ece, mce = ece_15(conf, (pred == y).astype(np.float64), a.bins)

        out = {
            "dataset": {"num_samples": len(ds), "classes": classes, "splits": ["train"]},
            "class_counts": {"all": {c: int(counts.get(c, 0)) for c in classes}},
            "predictions": {"matched": matched, "unmatched": int(len(probs) - matched)},
            "metrics": {
                "num_samples": int(len(y)),
                "accuracy": float(accuracy_score(y, pred)),
                "macro_f1": float(f1_score(y, pred, labels=labels_idx, average="macro", zero_division=0)),
                "weighted_f1": float(f1_score(y, pred, labels=labels_idx, average="weighted", zero_division=0)),
                "per_class": [{"class": c, "precision": float(prec[i]), "recall": float(rec[i]),
                               "f1": float(f1[i]), "support": int(sup[i])} for i, c in enumerate(classes)],
                "confusion_matrix": confusion_matrix(y, pred, labels=labels_idx).tolist(),
            },
            "calibration": {"num_bins": a.bins, "ece": ece, "mce": mce},
        }
        json.dump(out, sys.stdout)
        print()
    finally:
        if not a.cache_dir:
            shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
