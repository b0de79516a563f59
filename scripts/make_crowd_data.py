#!/usr/bin/env python3
"""A seeded simulated crowd for `spotcheck agreement` / `spotcheck soft-labels` (tests and benchmarks).

    python3 scripts/make_crowd_data.py --samples 2000 --classes 5 --out DIR            # 3-7 judgements
    python3 scripts/make_crowd_data.py --samples 1000000 --per-sample 5 --out DIR      # exactly 5 each

Writes, all CSV with a header row:

  DIR/manifest.csv     file_name,label,split   label: the "given" label = the true label, replaced by a
                                               random other class for --given-noise of the samples
                                               (default 10%); split: train / test, 80 / 20
  DIR/annotations.csv  file_name,annotator,label   one row per judgement, rows in a shuffled order
  DIR/truth.csv        file_name,true_label
  DIR/annotators.csv   annotator,kind,true_accuracy,observed_accuracy,num_annotations
                       kind: good / ok / spammer / adversarial; true_accuracy = sum_k prior_k C[k][k]
                       of the annotator's generating confusion matrix C; observed_accuracy = the share
                       of their judgements equal to the true label

The crowd (--annotators, default 25, named w00..w24; which names are which kind is shuffled):
  * --spammers (default 3) answer uniformly at random;
  * --adversarial (default 1) annotator answers class k+1 (mod K) for true class k, always;
  * the rest are "good" (accuracy 0.85-0.95) or "ok" (0.70-0.85), about two to one, each with a
    class-dependent confusion matrix: the diagonal of row k is the annotator's accuracy +-0.07
    (clipped to [0.55, 0.99]); most of the remaining mass of row k goes to one "confusable" class
    of k (the same for every annotator: cat<->dog, ...), the rest spread by a Dirichlet draw.
  True labels follow a mildly unbalanced prior (Dirichlet(8)). Each sample gets a number of
  judgements uniform in [--min, --max] (or exactly --per-sample) from distinct annotators drawn with
  per-annotator activity weights (0.5-1.5), so some annotators label more than others.

Class names are strings (cat, dog, bird, ...; class_NN past the list). Everything is numpy vectorised
and written with pyarrow.csv (pandas when pyarrow is missing): 1,000,000 samples x 5 takes ~15 s.
"""
import argparse
import os
import sys

import numpy as np

NAMES = ["cat", "dog", "bird", "fish", "horse", "frog", "deer", "ship", "truck", "plane",
         "car", "bus", "tree", "flower", "apple", "chair", "table", "lamp", "cup", "book"]


def class_names(k):
    return NAMES[:k] if k <= len(NAMES) else [f"class_{i:02d}" for i in range(k)]


def confusion(rng, k, acc, confusable):
    """A K x K row-stochastic matrix: row t = P(answer | true t)."""
    c = np.zeros((k, k))
    for t in range(k):
        d = float(np.clip(acc + rng.uniform(-0.07, 0.07), 0.55, 0.99))
        rest = 1.0 - d
        off = rng.dirichlet(np.ones(k - 1)) if k > 1 else np.zeros(0)
        others = [j for j in range(k) if j != t]
        row = np.zeros(k)
        row[others] = 0.4 * rest * off
        row[confusable[t]] += 0.6 * rest
        row[t] = d
        c[t] = row / row.sum()
    return c


def gather(values, index):
    """values[index], as a pyarrow array when pyarrow is there (numpy's fixed-width strings take 4 bytes a
    character: 5,000,000 file names would be 280 MB)."""
    try:
        import pyarrow as pa
        return pa.array(values).take(pa.array(index))
    except ImportError:
        return values[index]


def write_csv(path, columns):
    """columns: dict name -> numpy array (strings or numbers)."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        table = pa.table({name: values if isinstance(values, pa.Array) else pa.array(values)
                          for name, values in columns.items()})
        with open(path, "wb") as f:  # pyarrow quotes the header whatever the quoting style
            f.write((",".join(columns) + "\n").encode())
            pacsv.write_csv(table, f, write_options=pacsv.WriteOptions(
                include_header=False, quoting_style="none"))
    except ImportError:
        import pandas as pd
        pd.DataFrame(columns).to_csv(path, index=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--annotators", type=int, default=25)
    ap.add_argument("--min", type=int, default=3)
    ap.add_argument("--max", type=int, default=7)
    ap.add_argument("--per-sample", type=int, default=None, help="a fixed number of judgements per sample")
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--spammers", type=int, default=3)
    ap.add_argument("--adversarial", type=int, default=1)
    ap.add_argument("--given-noise", type=float, default=0.10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lo, hi = (a.per_sample, a.per_sample) if a.per_sample else (a.min, a.max)
    if not (1 <= lo <= hi <= a.annotators):
        sys.exit(f"need 1 <= min <= max <= annotators (got {lo}..{hi} of {a.annotators})")
    if a.classes < 2 or a.spammers + a.adversarial > a.annotators:
        sys.exit("need >= 2 classes and more annotators than spammers + adversarial")
    rng = np.random.default_rng(a.seed)
    n, k, na = a.samples, a.classes, a.annotators
    names = np.array(class_names(k))
    os.makedirs(a.out, exist_ok=True)

    # Annotators: kinds shuffled over the names w00..w24.
    kinds = ["spammer"] * a.spammers + ["adversarial"] * a.adversarial
    rest = na - len(kinds)
    kinds += ["good" if i % 3 != 2 else "ok" for i in range(rest)]
    kinds = np.array(kinds)[rng.permutation(na)]
    width = max(2, len(str(na - 1)))
    ann_names = np.array([f"w{i:0{width}d}" for i in range(na)])
    confusable = rng.permutation(k)  # a derangement-ish partner for each class
    confusable = np.where(confusable == np.arange(k), (np.arange(k) + 1) % k, confusable)
    cms = np.zeros((na, k, k))
    for w in range(na):
        if kinds[w] == "spammer":
            cms[w] = 1.0 / k
        elif kinds[w] == "adversarial":
            cms[w][np.arange(k), (np.arange(k) + 1) % k] = 1.0
        else:
            acc = rng.uniform(0.85, 0.95) if kinds[w] == "good" else rng.uniform(0.70, 0.85)
            cms[w] = confusion(rng, k, acc, confusable)
    activity = rng.uniform(0.5, 1.5, na)

    prior = rng.dirichlet(np.full(k, 8.0))
    truth = rng.choice(k, size=n, p=prior)
    flip = rng.random(n) < a.given_noise
    given = truth.copy()
    given[flip] = (truth[flip] + rng.integers(1, k, flip.sum())) % k
    split = np.where(rng.random(n) < 0.8, "train", "test")
    counts = rng.integers(lo, hi + 1, n)

    # Judgements, in chunks: weighted sampling without replacement via exponential keys.
    cum = np.cumsum(cms, axis=2)
    cum[:, :, -1] = 1.0
    samp_parts, ann_parts, lab_parts = [], [], []
    chunk = 200_000
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        m = e - s
        keys = rng.exponential(size=(m, na)).astype(np.float32) / activity.astype(np.float32)
        order = np.argsort(keys, axis=1)[:, :hi]
        take = np.arange(hi)[None, :] < counts[s:e, None]
        rows = np.broadcast_to(np.arange(s, e)[:, None], (m, hi))[take]
        anns = order[take]
        t = truth[rows]
        u = rng.random(rows.size)
        labs = (u[:, None] > cum[anns, t]).sum(axis=1)
        samp_parts.append(rows); ann_parts.append(anns); lab_parts.append(labs)
    rows = np.concatenate(samp_parts); anns = np.concatenate(ann_parts); labs = np.concatenate(lab_parts)
    perm = rng.permutation(rows.size)
    rows, anns, labs = rows[perm], anns[perm], labs[perm]

    digits = max(4, len(str(n - 1)))  # img/0123.jpg below 10,000 samples, img/000123.jpg at 1,000,000
    files = np.char.add(np.char.add("img/", np.char.zfill(np.arange(n).astype(str), digits)), ".jpg")
    write_csv(os.path.join(a.out, "manifest.csv"),
              {"file_name": files, "label": names[given], "split": split})
    write_csv(os.path.join(a.out, "truth.csv"), {"file_name": files, "true_label": names[truth]})
    write_csv(os.path.join(a.out, "annotations.csv"),
              {"file_name": gather(files, rows), "annotator": gather(ann_names, anns), "label": gather(names, labs)})
    num = np.bincount(anns, minlength=na)
    right = np.bincount(anns, weights=(labs == truth[rows]), minlength=na)
    true_acc = np.array([float((prior * np.diag(cms[w])).sum()) for w in range(na)])
    write_csv(os.path.join(a.out, "annotators.csv"),
              {"annotator": ann_names, "kind": kinds, "true_accuracy": np.round(true_acc, 6),
               "observed_accuracy": np.round(right / np.maximum(num, 1), 6), "num_annotations": num})
    print(f"{n} samples, {rows.size} judgements, {na} annotators, {k} classes -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
