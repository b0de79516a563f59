#!/usr/bin/env python3
"""The label-issues reference fixture: what cleanlab 2.x finds on a small noisy dataset, so
`tests/cli/label_issues.rs` can check that `spotcheck label-issues` flags and ranks the same samples.

    python3 tests/reference/make_label_issues_reference.py tests/data/label-issues [--digits]

Writes OUT/manifest.csv (file_name,label,split), OUT/predictions.csv (prob_<class>, 17 significant
digits) and OUT/cleanlab.json: cleanlab.filter.find_label_issues(labels, pred_probs,
filter_by="prune_by_noise_rate", return_indices_ranked_by="self_confidence") as file names, over all
samples and over the "val" split alone, and the samples whose label was flipped. OUT/ties/ holds the
same for ten classes where the tie-break of the joint's rounding changes what is flagged. Seeded: the
same files every time. Needs numpy and cleanlab.

OUT/digits-noisy/ is scikit-learn's digits (1,797 samples) with a seeded 8% of the labels (144) flipped,
as scripts/label-issues-digits.py makes it (seed 0), without the images: manifest.csv (file_name,label),
predictions.csv (5-fold out-of-sample SVC probabilities, cross_val_predict), truth.csv (file_name,label,
true_label of the flipped samples) and cleanlab.json (cleanlab's flagged samples in its order). The
CLI test checks that `--top 144` holds as many flipped labels as ranking every candidate by
self-confidence does, more than confident learning's flagged list alone (which is shorter than 144).
Needs scikit-learn too.

numpy's SIMD sorts (x86 AVX2/AVX-512, numpy >= 2) are not stable, and cleanlab's rounding of the
calibrated confident joint breaks ties between equal residuals by np.argsort: with them on, which cell
of a row gets the rounded-off count depends on the CPU. They are switched off here, so cleanlab breaks
ties as numpy's portable sort does (lowest index first among up to 16 classes), which is spotcheck's rule.
"""

import os

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V3 X86_V4 AVX512_ICL AVX512_SPR")

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import cleanlab  # noqa: E402
import numpy as np  # noqa: E402
from cleanlab.filter import find_label_issues  # noqa: E402

CLASSES = ["bird", "cat", "dog", "fish"]
DIGITS = [f"d{i}" for i in range(10)]


def noisy_data(seed: int, n: int, classes: list[str], noise: float, strength: tuple[float, float]):
    rng = np.random.default_rng(seed)
    k = len(classes)
    truth = rng.integers(0, k, n)
    logits = rng.normal(0.0, 1.0, (n, k))
    logits[np.arange(n), truth] += rng.uniform(*strength, n)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = truth.copy()
    flip = rng.random(n) < noise
    labels[flip] = (truth[flip] + rng.integers(1, k, flip.sum())) % k
    split = np.where(rng.random(n) < 0.5, "train", "val")
    return labels, probs, flip, split


def ranked(labels, probs, mask):
    idx = np.flatnonzero(mask)
    found = find_label_issues(labels[idx], probs[idx], filter_by="prune_by_noise_rate",
                              return_indices_ranked_by="self_confidence")
    return [int(idx[i]) for i in found]


def rounding_ties_matter(labels, probs) -> bool:
    """Whether breaking ties in the joint's rounding the other way (highest index first) changes the
    flagged samples: the case the "ties" fixture is for."""
    import cleanlab.internal.util as util

    original = util.round_preserving_sum

    def highest_first(iterable):
        floats = np.asarray(iterable, dtype=float)
        ints = floats.round()
        target = np.sum(floats).round()
        while abs(np.sum(ints).round() - target) > 1e-6:
            diff = np.round(target - np.sum(ints).round())
            step = -1 if diff < 0 else 1
            residual = (floats - ints)[::-1]
            order = len(floats) - 1 - np.argsort(residual, kind="stable")
            ints[order[::-step][: min(int(abs(diff)), len(floats))]] += step
        return ints.astype(int)

    everything = np.ones(len(labels), bool)
    usual = ranked(labels, probs, everything)
    util.round_preserving_sum = highest_first
    try:
        other = ranked(labels, probs, everything)
    finally:
        util.round_preserving_sum = original
    return usual != other


def write(out: Path, classes, labels, probs, flip, split) -> None:
    out.mkdir(parents=True, exist_ok=True)
    n = len(labels)
    files = [f"img/{i:04d}.png" for i in range(n)]
    with open(out / "manifest.csv", "w") as f:
        f.write("file_name,label,split\n")
        for name, lab, s in zip(files, labels, split):
            f.write(f"{name},{classes[lab]},{s}\n")
    with open(out / "predictions.csv", "w") as f:
        f.write("file_name," + ",".join(f"prob_{c}" for c in classes) + "\n")
        for name, row in zip(files, probs):
            f.write(name + "," + ",".join(f"{v:.17g}" for v in row) + "\n")
    doc = {"cleanlab": cleanlab.__version__,
           "all": [files[i] for i in ranked(labels, probs, np.ones(n, bool))],
           "val": [files[i] for i in ranked(labels, probs, split == "val")],
           "flipped": [files[i] for i in np.flatnonzero(flip)]}
    with open(out / "cleanlab.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{out}: {len(doc['all'])} issues ({len(doc['val'])} in val); {flip.sum()} labels flipped")


def digits(out: Path, seed: int = 0, noise: float = 0.08) -> None:
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.svm import SVC

    data = load_digits()
    x, y = data.data, data.target
    n = len(y)
    rng = np.random.default_rng(seed)
    num_flips = round(noise * n)
    flipped = np.sort(rng.choice(n, num_flips, replace=False))
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, 10, num_flips)) % 10
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probs = cross_val_predict(SVC(probability=True, gamma="scale", random_state=seed), x, noisy, cv=cv,
                                  method="predict_proba")
    out.mkdir(parents=True, exist_ok=True)
    files = [f"images/{i:04d}.png" for i in range(n)]
    with open(out / "manifest.csv", "w") as f:
        f.write("file_name,label\n")
        for name, lab in zip(files, noisy):
            f.write(f"{name},{lab}\n")
    with open(out / "truth.csv", "w") as f:
        f.write("file_name,label,true_label\n")
        for i in flipped:
            f.write(f"{files[i]},{noisy[i]},{y[i]}\n")
    with open(out / "predictions.csv", "w") as f:
        f.write("file_name," + ",".join(f"prob_{c}" for c in range(10)) + "\n")
        for name, row in zip(files, probs):
            f.write(name + "," + ",".join(f"{v:.17g}" for v in row) + "\n")
    found = ranked(noisy, probs, np.ones(n, bool))
    doc = {"cleanlab": cleanlab.__version__, "all": [files[i] for i in found]}
    with open(out / "cleanlab.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{out}: {len(found)} flagged by cleanlab; {num_flips} labels flipped")


def main() -> None:
    out = Path(sys.argv[1])
    if sys.argv[2:] == ["--digits"]:
        digits(out / "digits-noisy")
        return
    write(out, CLASSES, *noisy_data(20_210_101, 400, CLASSES, 0.12, (0.5, 4.0)))
    # Ten classes and a good model: small off-diagonal counts, equal ones in a row, so rounding the
    # calibrated joint needs its tie-break; the first seed where that changes what is flagged.
    for seed in range(1000):
        data = noisy_data(seed, 600, DIGITS, 0.06, (3.0, 7.0))
        if rounding_ties_matter(data[0], data[1]):
            print(f"ties: seed {seed}")
            write(out / "ties", DIGITS, *data)
            break
    digits(out / "digits-noisy")


if __name__ == "__main__":
    main()
