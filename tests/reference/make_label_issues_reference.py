#!/usr/bin/env python3
"""The label-issues reference fixture: what cleanlab 2.x finds on a small noisy dataset, so
`tests/cli_label_issues.rs` can check that `spotcheck label-issues` flags and ranks the same samples.

    python3 tests/reference/make_label_issues_reference.py tests/data/label-issues

Writes OUT/manifest.csv (file_name,label,split), OUT/predictions.csv (prob_<class>, 17 significant
digits) and OUT/cleanlab.json: cleanlab.filter.find_label_issues(labels, pred_probs,
filter_by="prune_by_noise_rate", return_indices_ranked_by="self_confidence") as file names, over all
samples and over the "val" split alone. Seeded: the same files every time. Needs numpy and cleanlab.
"""

import json
import sys
from pathlib import Path

import cleanlab
import numpy as np
from cleanlab.filter import find_label_issues

CLASSES = ["bird", "cat", "dog", "fish"]


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20_210_101)
    n, k = 400, len(CLASSES)
    truth = rng.integers(0, k, n)
    logits = rng.normal(0.0, 1.0, (n, k))
    logits[np.arange(n), truth] += rng.uniform(0.5, 4.0, n)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = truth.copy()
    flip = rng.random(n) < 0.12
    labels[flip] = (truth[flip] + rng.integers(1, k, flip.sum())) % k
    split = np.where(rng.random(n) < 0.5, "train", "val")
    files = [f"img/{i:04d}.png" for i in range(n)]
    with open(out / "manifest.csv", "w") as f:
        f.write("file_name,label,split\n")
        for name, lab, s in zip(files, labels, split):
            f.write(f"{name},{CLASSES[lab]},{s}\n")
    with open(out / "predictions.csv", "w") as f:
        f.write("file_name," + ",".join(f"prob_{c}" for c in CLASSES) + "\n")
        for name, row in zip(files, probs):
            f.write(name + "," + ",".join(f"{v:.17g}" for v in row) + "\n")

    def ranked(mask):
        idx = np.flatnonzero(mask)
        found = find_label_issues(labels[idx], probs[idx], filter_by="prune_by_noise_rate",
                                  return_indices_ranked_by="self_confidence")
        return [files[idx[i]] for i in found]

    doc = {"cleanlab": cleanlab.__version__, "all": ranked(np.ones(n, bool)),
           "val": ranked(split == "val"), "flipped": [files[i] for i in np.flatnonzero(flip)]}
    with open(out / "cleanlab.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{len(doc['all'])} issues ({len(doc['val'])} in val); {flip.sum()} labels flipped")


if __name__ == "__main__":
    main()
