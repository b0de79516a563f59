#!/usr/bin/env python3
"""The `spotcheck scan` peer: the same per-image job in Python, one process per core.

    python3 scripts/peers/scan_peer.py DATASET_DIR [--thumbnails 128] --out FILE.parquet [--jobs N]

DATASET_DIR is a class-folder tree ROOT/[SPLIT/]CLASS/FILE (images only). Per image: read the bytes,
xxh3_128 (xxhash), PIL open, EXIF orientation, ImageOps.exif_transpose, imagehash.phash of the upright
image, brightness/contrast = mean/std of the BT.601 grey / 255, sharpness = variance of the Laplacian
(scipy.ndimage.laplace, the [[0,1,0],[1,-4,1],[0,1,0]] kernel, borders mirrored as OpenCV and spotcheck do) of the grey image (0-255) area-resized
(numpy weight matrices, fractional pixels weighted) to at most 256 px on its long side, and with --thumbnails a PNG thumbnail (long side SIZE). multiprocessing.Pool
with a process per core; the rows are written in dataset order to Parquet with pyarrow, with the columns
of docs/contract.md ("Scan").

pip install pillow numpy scipy imagehash xxhash pyarrow
"""
import argparse
import io
import os
import sys
from multiprocessing import Pool

import imagehash
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from PIL import Image, ImageOps
from scipy import ndimage

SPLITS = {"train", "val", "valid", "validation", "test", "dev", "eval"}
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
THUMB = None  # set in each worker


def list_dataset(root):
    """(relative path, split, label) in sorted order; hidden files and folders skipped."""
    first = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    has_splits = bool(first) and all(n.lower() in SPLITS for n in first)
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, root)
        parts = [] if rel_dir == "." else rel_dir.split(os.sep)
        for name in sorted(filenames):
            if name.startswith(".") or os.path.splitext(name)[1].lower() not in IMAGE_EXT:
                continue
            if has_splits:
                split = parts[0] if parts else None
                label = parts[1] if len(parts) > 1 else None
            else:
                split, label = None, (parts[0] if parts else None)
            out.append(("/".join(parts + [name]), split, label))
    return out


def area_1d(a, out, axis):
    """Area resize of one axis to `out`: output pixel o is the mean of the input span
    [o*n/out, (o+1)*n/out), partial pixels weighted by how much of them it covers (OpenCV's INTER_AREA;
    PIL's BOX takes whole pixels only, which keeps more of the fine detail the Laplacian measures).
    Exact through the running sum, which is linear between pixel edges."""
    n = a.shape[axis]
    c = np.cumsum(a, axis=axis, dtype=np.float64)
    c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
    pos = np.arange(out + 1) * (n / out)
    i0 = np.minimum(np.floor(pos).astype(np.intp), n - 1)
    frac = pos - i0
    shape = [1, 1]
    shape[axis] = out + 1
    frac = frac.reshape(shape)
    lo, hi = np.take(c, i0, axis=axis), np.take(c, i0 + 1, axis=axis)
    edge = lo + frac * (hi - lo)
    return np.diff(edge, axis=axis) / (n / out)


def fit_within(g, side):
    h, w = g.shape
    if max(w, h) <= side:
        return g
    scale = side / max(w, h)
    ow, oh = min(side, max(1, round(w * scale))), min(side, max(1, round(h * scale)))
    return area_1d(area_1d(g, oh, 0), ow, 1)


def init(thumb):
    global THUMB
    THUMB = thumb


def scan_one(args):
    root, rel = args
    row = {"problem": None, "detail": None, "size_bytes": None, "xxh3_128": None, "width": None,
           "height": None, "orientation": None, "phash": None, "brightness": None, "contrast": None,
           "sharpness": None, "thumbnail": None}
    try:
        with open(os.path.join(root, rel), "rb") as f:
            data = f.read()
    except OSError as e:
        row.update(problem="missing", detail=str(e))
        return row
    return scan_bytes(data, row)


def scan_bytes(data, row=None):
    """The per-image job on bytes already read (the Beam peer calls this)."""
    if row is None:
        row = {"problem": None, "detail": None, "size_bytes": None, "xxh3_128": None, "width": None,
               "height": None, "orientation": None, "phash": None, "brightness": None,
               "contrast": None, "sharpness": None, "thumbnail": None}
    row["size_bytes"] = len(data)
    row["xxh3_128"] = xxhash.xxh3_128_hexdigest(data)
    if not data:
        row.update(problem="empty", detail="0 bytes")
        return row
    try:
        im = Image.open(io.BytesIO(data))
        orientation = im.getexif().get(0x0112)
        row["orientation"] = orientation if orientation in range(1, 9) else None
        im = ImageOps.exif_transpose(im)
        im.load()
    except Exception as e:
        row.update(problem="unreadable", detail=str(e))
        return row
    if im.mode not in ("RGB", "L", "RGBA"):
        im = im.convert("RGBA" if "A" in im.mode or im.mode == "P" else "RGB")
    row["width"], row["height"] = im.size
    grey = im.convert("L")  # BT.601: L = R*299/1000 + G*587/1000 + B*114/1000
    row["phash"] = str(imagehash.phash(grey))
    g = np.asarray(grey, dtype=np.float32)
    row["brightness"] = float(g.mean(dtype=np.float64) / 255.0)
    row["contrast"] = float(g.std(dtype=np.float64) / 255.0)
    row["sharpness"] = float(ndimage.laplace(fit_within(g, 256), mode="mirror").var())
    if THUMB:
        t = im.copy()
        t.thumbnail((THUMB, THUMB))
        buf = io.BytesIO()
        t.save(buf, "PNG")
        row["thumbnail"] = buf.getvalue()
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--out", required=True)
    ap.add_argument("--thumbnails", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    a = ap.parse_args()
    items = list_dataset(a.dataset)
    with Pool(a.jobs, initializer=init, initargs=(a.thumbnails,)) as pool:
        rows = pool.map(scan_one, [(a.dataset, rel) for rel, _, _ in items], chunksize=64)
    cols = {
        "file": pa.array([r for r, _, _ in items], pa.string()),
        "split": pa.array([s for _, s, _ in items], pa.string()),
        "label": pa.array([l for _, _, l in items], pa.string()),
        "kind": pa.array(["image"] * len(items), pa.string()),
    }
    types = {"problem": pa.string(), "detail": pa.string(), "size_bytes": pa.int64(),
             "xxh3_128": pa.string(), "width": pa.int64(), "height": pa.int64(),
             "orientation": pa.int64(), "phash": pa.string(), "brightness": pa.float64(),
             "contrast": pa.float64(), "sharpness": pa.float64()}
    for k, t in types.items():
        cols[k] = pa.array([r[k] for r in rows], t)
    for k, t in (("duration_s", pa.float64()), ("sample_rate", pa.int64()), ("channels", pa.int64())):
        cols[k] = pa.nulls(len(items), t)
    if a.thumbnails:
        cols["thumbnail"] = pa.array([r["thumbnail"] for r in rows], pa.binary())
    pq.write_table(pa.table(cols), a.out)
    bad = sum(r["problem"] is not None for r in rows)
    print(f"{a.out}: {len(rows)} rows, {bad} with problems", file=sys.stderr)


if __name__ == "__main__":
    main()
