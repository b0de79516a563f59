#!/usr/bin/env python3
"""The label-next and balance reference: the contract's definitions computed with NumPy (and
scikit-learn's compute_class_weight) on small fixtures, so `tests/cli/label_next.rs` can check that
`spotcheck label-next` and `spotcheck balance` give the same rankings, ties, round-robin order and
weights.

    python3 tests/reference/make_label_next_reference.py tests/data/label-next

Writes OUT/manifest.csv (file_name,label,split: two splits, unlabelled samples in both, a class with
no sample in "val", samples without a prediction), OUT/predictions.csv (prob_<class>: exact ties in
dataset order, ties across predicted classes, one-hot rows, zeros, a uniform row, an all-zero row
that is not usable), OUT/logits.csv (logit_<class> for some samples) and OUT/reference.json:

- "label_next": one case per combination of strategy, --per-class, --include-labelled, --split and
  --top: the command's arguments and the expected document (samples as [file, predicted, score]);
- "balance": one case per split and beta: counts, sklearn's "balanced" weights and the effective-
  number weights (Cui et al. 2019) scaled to sum to K.

Deterministic: the same files every time. Needs numpy, pandas and scikit-learn.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils.class_weight import compute_class_weight

CLASSES = ["ant", "bee", "cat", "dog"]

# Probability rows by name, dyadic (sums exactly 1, so renormalising changes nothing). Ties come from
# equal top probabilities and from permutations with at most two non-zero values (whose entropy sums are
# exact in any order), so they are ties in floating point too, not only on paper.
ROWS = {
    "uniform": [0.25, 0.25, 0.25, 0.25],
    "ant_bee": [0.5, 0.5, 0.0, 0.0],  # predicted ant (lowest index on the tie)
    "bee_cat": [0.0, 0.5, 0.5, 0.0],  # the same scores as ant_bee, predicted bee
    "cat_hot": [0.0, 0.0, 1.0, 0.0],  # one-hot: every score 0
    "dog_hot": [0.0, 0.0, 0.0, 1.0],
    "ant_64": [0.625, 0.375, 0.0, 0.0],
    "dog_64": [0.0, 0.0, 0.375, 0.625],  # the same scores as ant_64, predicted dog
    "ant_631": [0.625, 0.25, 0.125, 0.0],  # least confidence ties with ant_64
    "ant_6355": [0.625, 0.25, 0.0625, 0.0625],  # least confidence and margin tie with ant_631, entropy not
    "bee_721": [0.125, 0.75, 0.125, 0.0],
    "cat_8": [0.0625, 0.0625, 0.75, 0.125],
    "dog_9": [0.03125, 0.03125, 0.0625, 0.875],
    "bee_45": [0.3125, 0.4375, 0.25, 0.0],
    "zero": [0.0, 0.0, 0.0, 0.0],  # not usable: no prediction
}

# (file, label, split, row name or None for no prediction), in dataset (manifest) order.
SAMPLES = [
    ("train/u01.jpg", "", "train", "ant_631"),
    ("train/ant/a01.jpg", "ant", "train", "ant_631"),
    ("val/u01.jpg", "", "val", "uniform"),
    ("train/u02.jpg", "", "train", "bee_cat"),
    ("train/ant/a02.jpg", "ant", "train", "ant_64"),
    ("train/u03.jpg", "", "train", "ant_bee"),
    ("val/u02.jpg", "", "val", "ant_bee"),
    ("train/bee/b01.jpg", "bee", "train", "bee_721"),
    ("train/u04.jpg", "", "train", "cat_hot"),
    ("train/u05.jpg", "", "train", "dog_64"),
    ("train/ant/a03.jpg", "ant", "train", "uniform"),
    ("val/ant/a01.jpg", "ant", "val", "ant_6355"),
    ("train/u06.jpg", "", "train", "ant_6355"),
    ("train/u07.jpg", "", "train", "uniform"),
    ("val/u03.jpg", "", "val", "dog_hot"),
    ("train/cat/c01.jpg", "cat", "train", "cat_8"),
    ("train/u08.jpg", "", "train", "ant_64"),
    ("val/bee/b01.jpg", "bee", "val", "bee_45"),
    ("train/ant/a04.jpg", "ant", "train", "ant_bee"),
    ("train/dog/d01.jpg", "dog", "train", "dog_9"),
    ("val/u04.jpg", "", "val", "bee_721"),
    ("train/u09.jpg", "", "train", None),
    ("train/bee/b02.jpg", "bee", "train", "bee_cat"),
    ("val/cat/c01.jpg", "cat", "val", "cat_hot"),
    ("train/u10.jpg", "", "train", "zero"),
    ("train/ant/a05.jpg", "ant", "train", "dog_64"),
    ("val/u05.jpg", "", "val", "bee_45"),
    ("train/cat/c02.jpg", "cat", "train", "cat_8"),
    ("train/u11.jpg", "", "train", "dog_9"),
    ("val/ant/a02.jpg", "ant", "val", "ant_631"),
    ("train/bee/b03.jpg", "bee", "train", "bee_721"),
    ("val/u06.jpg", "", "val", "cat_8"),
    ("train/ant/a06.jpg", "ant", "train", "cat_hot"),
    ("train/u12.jpg", "", "train", "uniform"),
]

STRATEGIES = ["least-confidence", "margin", "entropy"]


def write_fixtures(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "manifest.csv", "w") as f:
        f.write("file_name,label,split\n")
        for file, label, split, _ in SAMPLES:
            f.write(f"{file},{label},{split}\n")
    # Predictions in another order than the manifest (reversed): ties must follow dataset order.
    with open(out / "predictions.csv", "w") as f:
        f.write("file_name," + ",".join(f"prob_{c}" for c in CLASSES) + "\n")
        for file, _, _, row in reversed(SAMPLES):
            if row is not None:
                f.write(file + "," + ",".join(repr(v) for v in ROWS[row]) + "\n")
    rng = np.random.default_rng(19)
    with open(out / "logits.csv", "w") as f:
        f.write("file_name," + ",".join(f"logit_{c}" for c in CLASSES) + "\n")
        for file, _, _, _ in SAMPLES[::2]:
            f.write(file + "," + ",".join(repr(float(v)) for v in rng.normal(0, 2, 4).round(6)) + "\n")


def load(out: Path, predictions: str):
    manifest = pd.read_csv(out / "manifest.csv", keep_default_na=False, dtype=str)
    preds = pd.read_csv(out / predictions, dtype={"file_name": str})
    logits = predictions.startswith("logits")
    cols = [f"{'logit' if logits else 'prob'}_{c}" for c in CLASSES]
    p = preds[cols].to_numpy(float)
    if logits:
        p = np.exp(p - p.max(axis=1, keepdims=True))
    s = p.sum(axis=1, keepdims=True)
    usable = s[:, 0] > 0
    p = np.divide(p, s, out=np.zeros_like(p), where=s > 0)
    row_of = {f: i for i, f in enumerate(preds["file_name"]) if usable[i]}
    return manifest, p, row_of


def scores(p: np.ndarray, strategy: str) -> np.ndarray:
    k = p.shape[1]
    top2 = -np.sort(-p, axis=1)[:, :2]
    if strategy == "least-confidence":
        return 1.0 - top2[:, 0]
    if strategy == "margin":
        return 1.0 - (top2[:, 0] - top2[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    return -plogp.sum(axis=1) / math.log(k)


def label_next(out: Path, predictions: str, strategy: str, per_class: bool, include_labelled: bool,
               split, top):
    manifest, p, row_of = load(out, predictions)
    idx = [i for i, r in manifest.iterrows()
           if r["file_name"] in row_of and (include_labelled or r["label"] == "")
           and (split is None or r["split"] == split)]
    idx = np.array(idx, dtype=int)
    rows = np.array([row_of[manifest["file_name"][i]] for i in idx], dtype=int)
    sc = scores(p[rows], strategy) if len(rows) else np.zeros(0)
    pred = p[rows].argmax(axis=1) if len(rows) else np.zeros(0, dtype=int)
    # Distinct scores must be far apart, or float noise could order them either way.
    u = np.unique(sc)
    assert len(u) < 2 or np.diff(u).min() > 1e-9, "fixture has near-ties"
    order = np.lexsort((idx, -sc))  # highest score first, ties in dataset order
    if per_class:
        queues = {c: [j for j in order if pred[j] == c] for c in range(len(CLASSES))}
        merged = []
        while any(queues.values()):
            for c in range(len(CLASSES)):
                if queues[c]:
                    merged.append(queues[c].pop(0))
        order = np.array(merged, dtype=int)
    if top is not None:
        order = order[:top]
    args = ["label-next", "DATASET", "--predictions", predictions, "--strategy", strategy]
    if per_class:
        args.append("--per-class")
    if include_labelled:
        args.append("--include-labelled")
    if split is not None:
        args += ["--split", split]
    if top is not None:
        args += ["--top", str(top)]
    return {
        "args": args,
        "strategy": strategy,
        "num_candidates": int(len(idx)),
        "samples": [[manifest["file_name"][idx[j]], CLASSES[pred[j]], float(sc[j])] for j in order],
    }


def balance(out: Path, split, beta: float):
    manifest = pd.read_csv(out / "manifest.csv", keep_default_na=False, dtype=str)
    m = manifest[manifest["label"] != ""]
    if split is not None:
        m = m[m["split"] == split]
    y = m["label"].to_numpy()
    present = sorted(set(y))
    sk = dict(zip(present, compute_class_weight("balanced", classes=np.array(present), y=y)))
    counts = {c: int((y == c).sum()) for c in CLASSES}
    raw = {c: (1 - beta) / (1 - beta ** n) for c, n in counts.items() if n > 0}
    total = sum(raw.values())
    eff = {c: raw[c] / total * len(present) for c in raw}
    args = ["balance", "DATASET", "--beta", repr(beta)]
    if split is not None:
        args += ["--split", split]
    return {
        "args": args,
        "split": split,
        "counts": counts,
        "balanced": {c: (float(sk[c]) if c in sk else None) for c in CLASSES},
        "effective_number": {c: eff.get(c) for c in CLASSES},
        "beta": beta,
    }


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/label-next")
    write_fixtures(out)
    cases = []
    for strategy in STRATEGIES:
        for per_class in (False, True):
            for include_labelled in (False, True):
                for split in (None, "train", "val"):
                    cases.append(label_next(out, "predictions.csv", strategy, per_class,
                                            include_labelled, split, None))
                cases.append(label_next(out, "predictions.csv", strategy, per_class,
                                        include_labelled, None, 5))
        cases.append(label_next(out, "logits.csv", strategy, False, True, None, None))
    weights = [balance(out, split, beta) for split in (None, "train", "val")
               for beta in (0.999, 0.9, 0.5, 0.0)]
    with open(out / "reference.json", "w") as f:
        json.dump({"label_next": cases, "balance": weights}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} label-next cases and {len(weights)} balance cases to {out}")


if __name__ == "__main__":
    main()
