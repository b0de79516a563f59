#!/usr/bin/env python3
"""Camera-sized photos for the disk-cache benchmark: the 18 EXIF orientation examples upscaled to
4000x3000 (their EXIF kept), copied into two class folders until there are N files.

    python3 scripts/make_photo_bench.py [OUT=bench-data/photos] [N=96]
"""
import sys
from pathlib import Path

from PIL import Image

root = Path(__file__).resolve().parent.parent
src = root / "tests" / "data" / "exif-orientation-examples"
if not src.is_dir():
    src = root / "tests" / "data" / "exif-orientation-examples"
out = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "bench-data" / "photos"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 96
photos = sorted(src.glob("*.jpg"))
made = []
for p in photos:
    im = Image.open(p)
    exif = im.info.get("exif", b"")
    w, h = im.size
    scale = 4000 / max(w, h)
    made.append((p.stem, im.resize((round(w * scale), round(h * scale)), Image.BICUBIC), exif))
for k in range(n):
    stem, im, exif = made[k % len(made)]
    cls = "landscape" if stem.startswith("Landscape") else "portrait"
    dest = out / cls / f"{stem}_{k:04d}.jpg"
    dest.parent.mkdir(parents=True, exist_ok=True)
    im.save(dest, quality=90, exif=exif)
print(f"{n} photos in {out}")
