#!/usr/bin/env python3
"""Does `spotcheck label-issues` find real label errors? A known share of scikit-learn's digits is
mislabelled on purpose, and the command's top K (K = the number of flipped labels) is checked against
the truth, next to cleanlab's find_label_issues on the same predictions.

    python3 scripts/label-issues-digits.py [--bin target/release/spotcheck] [--out bench-data/digits-noisy]
                                          [--seeds 0,1,2,3,4] [--noise 0.08] [--model svc]

For each seed it builds OUT/seed-S/, a dataset a user could open:
    images/NNNN.png   the 1797 8x8 digits, upscaled 4x to 32x32 greyscale PNGs
    manifest.csv      file_name,label: a seeded 8% of the labels (144) flipped to another digit
    truth.csv         file_name,label,true_label of the flipped samples
    predictions.csv   file_name,prob_0..prob_9: 5-fold out-of-sample probabilities,
                      cross_val_predict(method="predict_proba") of a classifier trained on the noisy labels
                      (default SVC(probability=True, gamma="scale"); --model logreg or knn for others)
then runs `spotcheck label-issues OUT/seed-S/manifest.csv --predictions OUT/seed-S/predictions.csv
--top K --json` (every candidate ranked by self-confidence, K cuts the list), cleanlab.filter.
find_label_issues(labels, pred_probs, return_indices_ranked_by="self_confidence") (its flagged samples
only) and plain self-confidence ranking of every sample (lowest p(given label) first, in numpy), and
prints per seed and as medians: the share of the flipped labels in each top K (precision at K, which is
also recall at K since K = the number of flips), how many samples spotcheck (`num_flagged`) and cleanlab
flag, the overlap of spotcheck's and cleanlab's top-K lists (shared / in either), and whether
spotcheck's flagged samples, in ranked order, are cleanlab's list when numpy's SIMD sorts are off
(cleanlab breaks ties in rounding its confident joint with np.argsort, which on x86 with numpy >= 2 is
not stable, so the CPU decides; with them off, cleanlab breaks the ties as spotcheck does, lowest class
first).

The bars: spotcheck's top K holds at least as many flipped labels as the self-confidence ranking's on
every seed, and at least 85% of them (median over the seeds); the script exits 1 when either fails. The predictions are out-of-sample on purpose: a model scored on the samples
it was trained on has learnt their wrong labels too, and nothing ranks them then.

The binary is --bin, else $SPOTCHECK_BIN, else target/release/spotcheck (`cargo build --release`).
Needs numpy, pandas, scikit-learn, Pillow and cleanlab (2.x).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def model(name: str, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if name == "svc":
        return SVC(probability=True, gamma="scale", random_state=seed)
    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    if name == "knn":
        return KNeighborsClassifier(10, weights="distance")
    raise SystemExit(f"--model {name}: expected svc, logreg or knn")


def write_images(out: Path, images: np.ndarray) -> list[str]:
    from PIL import Image

    (out / "images").mkdir(parents=True, exist_ok=True)
    names = []
    for i, img in enumerate(images):
        name = f"images/{i:04d}.png"
        pixels = np.clip(img * (255.0 / 16.0), 0, 255).astype(np.uint8)
        Image.fromarray(pixels, mode="L").resize((32, 32), Image.NEAREST).save(out / name)
        names.append(name)
    return names


def build(out: Path, seed: int, noise: float, model_name: str):
    """Writes one seed's dataset; returns (files, noisy labels, flipped indices, pred_probs, clean accuracy)."""
    import pandas as pd
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    digits = load_digits()
    x, y = digits.data, digits.target
    n = len(y)
    rng = np.random.default_rng(seed)
    num_flips = round(noise * n)
    flipped = np.sort(rng.choice(n, num_flips, replace=False))
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, 10, num_flips)) % 10
    files = write_images(out, digits.images)
    pd.DataFrame({"file_name": files, "label": noisy}).to_csv(out / "manifest.csv", index=False)
    pd.DataFrame({"file_name": np.array(files)[flipped], "label": noisy[flipped],
                  "true_label": y[flipped]}).to_csv(out / "truth.csv", index=False)
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probs = cross_val_predict(model(model_name, seed), x, noisy, cv=cv, method="predict_proba")
    table = pd.DataFrame(probs, columns=[f"prob_{c}" for c in range(10)])
    table.insert(0, "file_name", files)
    table.to_csv(out / "predictions.csv", index=False, float_format="%.17g")
    return files, noisy, flipped, probs, float((probs.argmax(axis=1) == y).mean())


def spotcheck(binary: str, out: Path, top: int | None) -> tuple[list[str], list[str], int]:
    """spotcheck's ranked files (at most `top`), the flagged ones among them in order, and num_flagged."""
    cmd = [binary, "label-issues", str(out / "manifest.csv"), "--predictions", str(out / "predictions.csv"), "--json"]
    if top is not None:
        cmd += ["--top", str(top)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr}")
    doc = json.loads(done.stdout)
    issues = doc["issues"]
    return [i["file"] for i in issues], [i["file"] for i in issues if i["flagged"]], doc["num_flagged"]


def self_confidence_top(files: list[str], noisy: np.ndarray, probs: np.ndarray, k: int) -> list[str]:
    """Plain self-confidence ranking of every sample: lowest p(given label) first, ties by row."""
    confidence = probs[np.arange(len(noisy)), noisy] / probs.sum(axis=1)
    order = np.lexsort((np.arange(len(noisy)), confidence))
    return [files[i] for i in order[:k]]


PORTABLE_SORT = {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"}


def cleanlab_ranked(out: Path, portable_sort: bool) -> list[str]:
    """cleanlab's ranked issues on OUT/manifest.csv + OUT/predictions.csv, in a fresh interpreter (numpy
    reads NPY_DISABLE_CPU_FEATURES at import)."""
    env = dict(os.environ, **(PORTABLE_SORT if portable_sort else {}))
    done = subprocess.run([sys.executable, __file__, "--cleanlab-ranked", str(out)], capture_output=True,
                          text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"cleanlab on {out} failed: {done.stderr}")
    return json.loads(done.stdout)


def print_cleanlab_ranked(out: Path) -> None:
    import pandas as pd
    from cleanlab.filter import find_label_issues

    manifest = pd.read_csv(out / "manifest.csv")
    probs = pd.read_csv(out / "predictions.csv")
    assert list(probs.file_name) == list(manifest.file_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = find_label_issues(manifest.label.to_numpy(), probs[[f"prob_{c}" for c in range(10)]].to_numpy(),
                                   return_indices_ranked_by="self_confidence")
    print(json.dumps([manifest.file_name[i] for i in ranked]))


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--cleanlab-ranked":
        print_cleanlab_ranked(Path(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("SPOTCHECK_BIN", str(ROOT / "target" / "release" / "spotcheck")))
    ap.add_argument("--out", type=Path, default=ROOT / "bench-data" / "digits-noisy")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--noise", type=float, default=0.08)
    ap.add_argument("--model", default="svc")
    args = ap.parse_args()
    if not Path(args.bin).is_file():
        raise SystemExit(f"{args.bin}: no such binary (cargo build --release, or pass --bin)")
    rows = []
    print(f"digits (1797 samples, 10 classes), {args.noise:.0%} of labels flipped, model {args.model}, 5-fold out-of-sample")
    print(f"{'seed':>4} {'K':>4} {'model acc':>9} | {'spotcheck':>9} {'flagged':>7} | {'self-conf':>9} | {'cleanlab':>8} {'flagged':>7} | {'overlap':>7} {'same list':>9}")
    print(f"{'':>20} | {'top-K':>9} {'':>7} | {'top-K':>9} | {'top-K':>8} {'':>7} | {'top-K':>7} {'(portable)':>9}")
    for seed in [int(s) for s in args.seeds.split(",")]:
        out = args.out / f"seed-{seed}"
        t0 = time.time()
        files, noisy, flipped, probs, accuracy = build(out, seed, args.noise, args.model)
        k = len(flipped)
        truth = {files[i] for i in flipped}
        ours_top, _, num_flagged = spotcheck(args.bin, out, k)
        ours_all, ours_flagged, _ = spotcheck(args.bin, out, None)
        ranking_top = self_confidence_top(files, noisy, probs, k)
        # cleanlab as a user runs it (numpy's default sorts), and with numpy's portable sort.
        theirs_all = cleanlab_ranked(out, portable_sort=False)
        theirs_top = theirs_all[:k]
        portable = cleanlab_ranked(out, portable_sort=True)
        assert ours_top == ours_all[:k], "--top K is the head of the full list"
        row = {
            "seed": seed, "k": k, "accuracy": accuracy,
            "ours": len(truth.intersection(ours_top)) / k, "ours_flagged": num_flagged,
            "ranking": len(truth.intersection(ranking_top)) / k,
            "theirs": len(truth.intersection(theirs_top)) / k, "theirs_flagged": len(theirs_all),
            "overlap": len(set(ours_top) & set(theirs_top)) / max(1, len(set(ours_top) | set(theirs_top))),
            "same": ours_flagged == portable,
        }
        rows.append(row)
        print(f"{seed:>4} {k:>4} {accuracy:>9.3f} | {row['ours']:>9.3f} {row['ours_flagged']:>7} | "
              f"{row['ranking']:>9.3f} | {row['theirs']:>8.3f} {row['theirs_flagged']:>7} | {row['overlap']:>7.3f} {str(row['same']):>9}"
              f"   ({time.time() - t0:.1f} s)", flush=True)
    med = {key: statistics.median(r[key] for r in rows)
           for key in ("accuracy", "ours", "ranking", "theirs", "overlap")}
    print(f"{'median':>9} {med['accuracy']:>9.3f} | {med['ours']:>9.3f} {'':>7} | {med['ranking']:>9.3f} | "
          f"{med['theirs']:>8.3f} {'':>7} | {med['overlap']:>7.3f}")
    print("spotcheck / self-conf / cleanlab: share of the flipped labels in the top K (K = number of flips) of"
          " spotcheck's ranked list, of plain self-confidence ranking, of cleanlab's flagged list;\n"
          "flagged: how many samples confident learning flags (spotcheck's num_flagged, cleanlab's list);"
          " overlap: samples in both spotcheck's and cleanlab's top K / in either;\n"
          "same list: spotcheck's flagged samples, in order, equal cleanlab's list with numpy's portable sort;"
          " model acc: accuracy of the out-of-sample predictions against the true labels.")
    ranks = all(r["ours"] >= r["ranking"] for r in rows)
    ok = med["ours"] >= 0.85
    print(f"bar (spotcheck top-K recall >= self-confidence ranking's, every seed): {'met' if ranks else 'NOT met'}")
    print(f"bar (median spotcheck top-K recall >= 0.85): {'met' if ok else 'NOT met'}")
    return 0 if ok and ranks else 1


if __name__ == "__main__":
    sys.exit(main())
