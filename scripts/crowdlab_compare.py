#!/usr/bin/env python3
"""`spotcheck label-issues --annotations` (CROWDLAB) against cleanlab on the same data, and both
rankings against the truth of a simulated crowd. The numbers quoted in the README come from here.

    python3 scripts/crowdlab_compare.py                                   # tests/data/crowd/sim
    python3 scripts/make_crowd_data.py --samples 100000 --seed 1 --out /tmp/crowd-100k
    python3 tests/reference/make_crowdlab_reference.py --data /tmp/crowd-100k   # its predictions.csv
    python3 scripts/crowdlab_compare.py --data /tmp/crowd-100k --runs 3

DIR holds manifest.csv, annotations.csv, predictions.csv (file_name,prob_<class>...) and the truth
(truth.csv, or reference.json's "truth" for the committed fixture). Prints, as JSON:
  - agreement with cleanlab's get_label_quality_multiannotator (defaults): share of equal consensus
    labels, largest |score difference|, Spearman correlation of the scores, overlap of the top K;
  - against the truth, for "is the consensus wrong": average precision, AUROC and precision at K
    (K = the number of wrong consensus labels) and how many wrong ones are left after reviewing the
    top 2.5%, 5%, 10% of CROWDLAB's ranking (1 - consensus quality) and of
    ranking the plain majority vote (lowest class on ties) by its vote share, and each consensus's
    accuracy;
  - wall time, median of --runs: the whole spotcheck process (reading the CSVs included), and cleanlab
    both end to end (pandas.read_csv, the pivot to the wide matrix, the call) and the call alone.
The spotcheck binary: --bin, default target/release/spotcheck.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]


def byte_sorted(names):
    return sorted(set(names), key=lambda s: s.encode())


def cleanlab_end_to_end(d):
    from cleanlab.multiannotator import get_label_quality_multiannotator
    t0 = time.perf_counter()
    man = pd.read_csv(d / "manifest.csv")
    ann = pd.read_csv(d / "annotations.csv")
    pred = pd.read_csv(d / "predictions.csv").set_index("file_name")
    classes = byte_sorted(list(man["label"]) + list(ann["label"]))
    ci = {c: i for i, c in enumerate(classes)}
    wide = ann.assign(label=ann["label"].map(ci).astype(float)).pivot(
        index="file_name", columns="annotator", values="label")
    wide = wide[byte_sorted(wide.columns)]
    files = [f for f in man["file_name"] if f in wide.index]
    wide = wide.loc[files]
    p = pred.loc[files, [f"prob_{c}" for c in classes]].to_numpy(dtype=float)
    p = p / p.sum(axis=1, keepdims=True)
    t1 = time.perf_counter()
    res = get_label_quality_multiannotator(wide, p, verbose=False)
    t2 = time.perf_counter()
    return res["label_quality"], files, classes, wide, t2 - t0, t2 - t1


def run_spotcheck(binary, d):
    args = [binary, "label-issues", str(d / "manifest.csv"), "--predictions", str(d / "predictions.csv"),
            "--annotations", str(d / "annotations.csv"), "--json"]
    t0 = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out), time.perf_counter() - t0


def truth_of(d, files, classes):
    ci = {c: i for i, c in enumerate(classes)}
    if (d / "truth.csv").exists():
        t = pd.read_csv(d / "truth.csv").set_index("file_name")
        return np.array([ci[x] for x in t.loc[files, "true_label"]])
    ref = json.loads((d / "reference.json").read_text())
    man = pd.read_csv(d / "manifest.csv")
    row = {f: i for i, f in enumerate(man["file_name"])}
    return np.array([ref["truth"][row[f]] for f in files])


def ranking_quality(wrong, suspicion):
    """How well `suspicion` (higher = more suspicious) finds the `wrong` samples."""
    k = int(wrong.sum())
    order = np.argsort(-suspicion, kind="stable")
    n = len(wrong)
    left = {f"{q}": int(wrong.sum() - wrong[order[:q]].sum()) for q in (n // 40, n // 20, n // 10)}
    return {"wrong": k, "average_precision": float(average_precision_score(wrong, suspicion)),
            "auroc": float(roc_auc_score(wrong, suspicion)),
            "precision_at_k": float(wrong[order[:k]].mean()) if k else None,
            "wrong_left_after_reviewing_top": left}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / "tests" / "data" / "crowd" / "sim"))
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "spotcheck"))
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    d = Path(args.data)

    spot_times, clean_times, call_times = [], [], []
    for _ in range(args.runs):
        got, t = run_spotcheck(args.bin, d)
        spot_times.append(t)
        lq, files, classes, wide, t_all, t_call = cleanlab_end_to_end(d)
        clean_times.append(t_all)
        call_times.append(t_call)

    row = {f: i for i, f in enumerate(files)}
    ci = {c: i for i, c in enumerate(classes)}
    n = len(files)
    s_label = np.empty(n, dtype=int)
    s_score = np.empty(n)
    for x in got["issues"]:
        i = row[x["file"]]
        s_label[i] = ci[x["label"]]
        s_score[i] = x["score"]
    c_label = lq["consensus_label"].to_numpy()
    c_score = 1 - lq["consensus_quality_score"].to_numpy()
    s_rank = [row[x["file"]] for x in got["issues"]]
    c_rank = list(np.argsort(-c_score, kind="stable"))
    top = {k: len(set(s_rank[:k]) & set(int(i) for i in c_rank[:k])) / k for k in (10, 100, 1000) if k <= n}

    truth = truth_of(d, files, classes)
    # The plain vote (lowest class on ties, spotcheck's `agreement --method vote`) and its vote share.
    counts = np.zeros((n, len(classes)))
    labels = wide.to_numpy()
    for j in range(labels.shape[1]):
        m = ~np.isnan(labels[:, j])
        np.add.at(counts, (np.where(m)[0], labels[m, j].astype(int)), 1)
    vote = counts.argmax(axis=1)
    share = counts.max(axis=1) / counts.sum(axis=1)

    report = {
        "data": str(d), "samples": n, "judgements": int(counts.sum()),
        "vs_cleanlab": {
            "consensus_equal": float(np.mean(s_label == c_label)),
            "max_abs_score_difference": float(np.max(np.abs(s_score - c_score))),
            "spearman": float(spearmanr(s_score, c_score).statistic),
            "ranking_identical": s_rank == [int(i) for i in c_rank],
            "ranking_positions_differing": int(np.sum(np.array(s_rank) != np.array(c_rank))),
            "top_k_overlap": top,
        },
        "vs_truth": {
            "crowdlab": {"consensus_accuracy": float(np.mean(s_label == truth)),
                         **ranking_quality(s_label != truth, s_score)},
            "vote_share": {"consensus_accuracy": float(np.mean(vote == truth)),
                           **ranking_quality(vote != truth, 1 - share)},
        },
        "seconds_median": {"spotcheck_process": float(np.median(spot_times)),
                           "cleanlab_end_to_end": float(np.median(clean_times)),
                           "cleanlab_call_only": float(np.median(call_times))},
    }
    s = report["seconds_median"]
    s["ratio_end_to_end"] = s["cleanlab_end_to_end"] / s["spotcheck_process"]
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
