#!/usr/bin/env python3
"""Builds assets/demo/ from the EXIF orientation photos in tests/data/exif-orientation-examples (run once; the output is committed).

    python3 scripts/make_demo.py [PHOTOS_DIR]

assets/demo/{train,val}/{landscape,portrait}/*.jpg
    The 18 photos (a landscape and a portrait scene, each stored with EXIF Orientation 0-8), scaled to
    480 px with their stored pixels and Orientation tag kept, plus 12 random crops per class (60% stored
    upright, the rest rotated/flipped with a matching Orientation tag). Every one of them is upright in a viewer that
    honours EXIF.
assets/demo/predictions.csv
    prob_landscape / prob_portrait from a deliberately naive "model" that looks only at the aspect
    ratio of the *stored* pixels, as a pipeline that ignores EXIF would see them. Its mistakes are the
    photos stored sideways (Orientation 5-8): the classic failure spotcheck is built to show.
Needs Pillow and numpy.
"""

import csv
import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "exif-orientation-examples"
OUT = ROOT / "assets" / "demo"
STORE = {1: [], 2: ["FLIP_LEFT_RIGHT"], 3: ["ROTATE_180"], 4: ["FLIP_TOP_BOTTOM"], 5: ["TRANSPOSE"],
         6: ["ROTATE_90"], 7: ["TRANSVERSE"], 8: ["ROTATE_270"]}


def save(img, path, orientation):
    path.parent.mkdir(parents=True, exist_ok=True)
    kw = {}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw["exif"] = exif.tobytes()
    img.save(path, "JPEG", quality=85, **kw)


def main():
    rng = np.random.default_rng(42)
    rows = []
    for cls, stem in (("landscape", "Landscape"), ("portrait", "Portrait")):
        upright = None
        for k in range(9):
            src = PHOTOS / f"{stem}_{k}.jpg"
            with Image.open(src) as im:
                orientation = im.getexif().get(0x0112)
                if k == 0:
                    upright = ImageOps.exif_transpose(im).convert("RGB")
                scale = 480 / max(im.size)
                small = im.convert("RGB").resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
            split = "train" if k < 6 else "val"
            rel = f"{split}/{cls}/{stem.lower()}_orientation{k}.jpg"
            save(small, OUT / rel, orientation)
            rows.append((rel, small.size))
        for i in range(12):
            w, h = upright.size
            f = rng.uniform(0.45, 0.9)  # keep the scene's aspect ratio, roughly
            cw, ch = int(w * f * rng.uniform(0.92, 1.0)), int(h * f * rng.uniform(0.92, 1.0))
            x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
            s = int(rng.integers(256, 385)) / max(cw, ch)
            img = upright.crop((x, y, x + cw, y + ch)).resize((round(cw * s), round(ch * s)), Image.LANCZOS)
            k = 1 if rng.random() < 0.6 else int(rng.integers(2, 9))  # most photos are stored upright
            for t in STORE[k]:
                img = img.transpose(getattr(Image.Transpose, t))
            split = "train" if i < 8 else "val"
            rel = f"{split}/{cls}/{cls}_crop{i:02d}_orientation{k}.jpg"
            save(img, OUT / rel, k)
            rows.append((rel, img.size))
    with open(OUT / "predictions.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["file_name", "prob_landscape", "prob_portrait"])
        for rel, (w, h) in sorted(rows):
            logit = 2.5 * math.log(w / h) + float(rng.normal(0, 0.35))
            p = 1 / (1 + math.exp(-logit))
            out.writerow([rel, f"{p:.6f}", f"{1 - p:.6f}"])
    (OUT / "LICENSE-photos").write_text((PHOTOS / "LICENSE").read_text())
    print(f"wrote {len(rows)} images and predictions.csv under {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
