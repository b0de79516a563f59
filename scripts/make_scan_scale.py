#!/usr/bin/env python3
"""Writes N scan rows as Parquet shards (the scan schema), for measuring what the app and the CLI
need to open the output of a distributed scan at scale:

    python3 scripts/make_scan_scale.py OUT_DIR [--rows 10000000] [--shards 10]

Rows: ROOT/SPLIT/CLASS/FILE names over 3 splits and 10 classes, random 128-bit content hashes and
64-bit pHashes, plausible sizes and measures. Every row's thumbnail is the same small PNG (a 64x48
grey gradient): the app reads the thumbnail column only for the tiles on screen, so its size does
not change open time or memory, and 10M real thumbnails would need ~30 GB of disk.
"""
import argparse
import io
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

CLASSES = ["apple", "bicycle", "canoe", "daisy", "eagle", "fern", "guitar", "harbour", "igloo", "jaguar"]
SPLITS = ["train", "val", "test"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--shards", type=int, default=10)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    grad = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (48, 1))
    buf = io.BytesIO()
    Image.fromarray(grad).save(buf, "PNG")
    thumb = buf.getvalue()
    rng = np.random.default_rng(0)
    per = -(-a.rows // a.shards)
    for s in range(a.shards):
        lo, hi = s * per, min(a.rows, (s + 1) * per)
        n = hi - lo
        idx = np.arange(lo, hi)
        split = np.array(SPLITS)[np.where(idx % 10 < 8, 0, np.where(idx % 10 < 9, 1, 2))]
        label = np.array(CLASSES)[rng.integers(0, len(CLASSES), n)]
        files = [f"{sp}/{lb}/{i:09d}.jpg" for sp, lb, i in zip(split, label, idx)]
        hashes = rng.integers(0, 2**63, (n, 2), dtype=np.int64)
        xxh = [f"{h0:016x}{h1:016x}" for h0, h1 in hashes]
        ph = [f"{h:016x}" for h in rng.integers(0, 2**63, n, dtype=np.int64)]
        w = rng.integers(200, 2000, n)
        h = rng.integers(200, 2000, n)
        table = pa.table({
            "file": pa.array(files, pa.string()),
            "split": pa.array(split, pa.string()),
            "label": pa.array(label, pa.string()),
            "kind": pa.array(["image"] * n, pa.string()),
            "problem": pa.nulls(n, pa.string()),
            "detail": pa.nulls(n, pa.string()),
            "size_bytes": pa.array(rng.integers(20_000, 900_000, n), pa.int64()),
            "xxh3_128": pa.array(xxh, pa.string()),
            "width": pa.array(w, pa.int64()),
            "height": pa.array(h, pa.int64()),
            "orientation": pa.array(rng.integers(1, 9, n), pa.int64()),
            "phash": pa.array(ph, pa.string()),
            "brightness": pa.array(rng.random(n), pa.float64()),
            "contrast": pa.array(rng.random(n) * 0.3, pa.float64()),
            "sharpness": pa.array(rng.random(n) * 2000, pa.float64()),
            "duration_s": pa.nulls(n, pa.float64()),
            "sample_rate": pa.nulls(n, pa.int64()),
            "channels": pa.nulls(n, pa.int64()),
            "thumbnail": pa.array([thumb] * n, pa.binary()),
        })
        path = os.path.join(a.out, f"scan-{s:05d}-of-{a.shards:05d}.parquet")
        pq.write_table(table, path, row_group_size=65536, compression="snappy")
        print(path, n, flush=True)


if __name__ == "__main__":
    main()
