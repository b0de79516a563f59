#!/usr/bin/env python3
"""Writes assets/demo/predictions_upright.csv: a second, deliberately different "model" for the demo,
so the app's Compare view has two models to set side by side (run once; the output is committed).

    python3 scripts/make_demo_second_model.py

assets/demo/predictions.csv (scripts/make_demo.py) looks at the aspect ratio of the *stored* pixels and
so fails on every photo stored sideways. This model looks at the *upright* pixels (it honours EXIF), so
it gets those right, but it is overconfident and leans towards "landscape": some upright portraits become
confident mistakes. The two disagree on a handful of photos each way, and its confidences are far from
calibrated, which the Compare view's 2x2 table, McNemar test and reliability overlay show.
Needs Pillow and numpy.
"""

import csv
import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo"


def main():
    rng = np.random.default_rng(7)
    rows = []
    for path in sorted(DEMO.rglob("*.jpg")):
        with Image.open(path) as im:
            w, h = ImageOps.exif_transpose(im).size
        rel = path.relative_to(DEMO).as_posix()
        # Overconfident (slope 6) and biased towards landscape (+2.4), with some noise.
        logit = 6.0 * math.log(w / h) + 2.4 + float(rng.normal(0, 0.8))
        p = 1 / (1 + math.exp(-logit))
        rows.append((rel, p))
    out_path = DEMO / "predictions_upright.csv"
    with open(out_path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["file_name", "prob_landscape", "prob_portrait"])
        for rel, p in rows:
            out.writerow([rel, f"{p:.6f}", f"{1 - p:.6f}"])
    print(f"wrote {len(rows)} rows to {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
