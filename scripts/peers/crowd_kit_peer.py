#!/usr/bin/env python3
"""The crowd-labels peer, the way users do it today: pandas + crowd-kit + krippendorff.

    python3 scripts/peers/crowd_kit_peer.py ANNOTATIONS.csv [--truth TRUTH.csv] [--consensus-out FILE.csv]

1. pandas.read_csv(ANNOTATIONS); the columns renamed to crowd-kit's task / worker / label
   (file_name -> task; annotator, or worker / rater / user -> worker);
2. crowdkit.aggregation.DawidSkene(n_iter=100, tol=1e-5).fit_predict(df);
3. Krippendorff's alpha (nominal) with the `krippendorff` package on the reliability matrix
   (workers x tasks, labels factorised to codes, NaN where a worker did not label a task) from a pivot.

Prints JSON: {"num_tasks", "num_annotations", "num_workers", "iterations", "consensus_counts": {label: n},
"krippendorff_alpha", "accuracy" (with --truth: share of tasks whose consensus is truth.csv's true_label),
"seconds": {"read_csv", "dawid_skene", "krippendorff", "total"}}. Every step is timed, read_csv included;
imports are not (the benchmark's wall time of the whole process has them).
--consensus-out writes task,label (crowd-kit's consensus, sorted by task) for comparisons.
"""
import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
import krippendorff
from crowdkit.aggregation import DawidSkene

WORKER_ALIASES = ("annotator", "worker", "rater", "user")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("annotations")
    ap.add_argument("--truth")
    ap.add_argument("--consensus-out")
    ap.add_argument("--no-alpha", action="store_true", help="skip Krippendorff's alpha")
    a = ap.parse_args()

    t0 = time.perf_counter()
    df = pd.read_csv(a.annotations)
    worker = next(c for c in WORKER_ALIASES if c in df.columns)
    df = df.rename(columns={"file_name": "task", worker: "worker"})[["task", "worker", "label"]]
    t1 = time.perf_counter()

    ds = DawidSkene(n_iter=100, tol=1e-5)
    consensus = ds.fit_predict(df)
    t2 = time.perf_counter()

    alpha = None
    if not a.no_alpha:
        codes, _ = pd.factorize(df["label"])
        rel = (df.assign(code=codes.astype(float))
                 .pivot(index="worker", columns="task", values="code"))
        alpha = float(krippendorff.alpha(reliability_data=rel.to_numpy(), level_of_measurement="nominal"))
    t3 = time.perf_counter()

    out = {
        "num_tasks": int(consensus.size),
        "num_annotations": int(len(df)),
        "num_workers": int(df["worker"].nunique()),
        "iterations": len(ds.loss_history_),
        "consensus_counts": {str(k): int(v) for k, v in consensus.value_counts().sort_index().items()},
        "krippendorff_alpha": alpha,
    }
    if a.truth:
        truth = pd.read_csv(a.truth).set_index("file_name")["true_label"]
        out["accuracy"] = float((consensus == truth.reindex(consensus.index)).mean())
    if a.consensus_out:
        consensus.sort_index().rename("label").rename_axis("task").to_csv(a.consensus_out)
    out["seconds"] = {"read_csv": round(t1 - t0, 3), "dawid_skene": round(t2 - t1, 3),
                      "krippendorff": round(t3 - t2, 3), "total": round(t3 - t0, 3)}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
