#!/usr/bin/env python3
"""A CIFAR-sized Hugging Face Parquet dataset for the benchmarks (fixed seeds, same bytes every time).

    python3 scripts/make_hf_bench.py OUT_DIR [--rows 1000000] [--shards 10] [--row-group-rows 100]

OUT_DIR/hf-1m/data/train-0000K-of-0000N.parquet   (the Hub's layout; name follows --rows: hf-1m, hf-20k, ...)
    columns  img        struct<bytes: binary, path: string>   a real 32x32 RGB PNG per row (path null)
             label      int64, ClassLabel with CIFAR-10's 10 names
             source_id  int64 metadata (0..999)
    The schema metadata carries the `huggingface` key exactly as `datasets` writes it (taken from
    datasets.Features(...).arrow_schema). Row groups of 100 rows, snappy on every column.
OUT_DIR/hf-1m-predictions.csv
    file_name,prob_<class>... with file_name = train/ROW (ROW = 0-based row over the shards in name order,
    spotcheck's identity for a dataset with no file_name column), softmax probabilities, argmax right on
    about 80%, over-confident (fitted temperature about 1.4, ECE about 0.06), 6 significant digits, rows shuffled.

Row groups: `datasets` 2.x-3.x wrote image datasets in row groups of 100 rows
(config.PARQUET_ROW_GROUP_SIZE_FOR_IMAGE_DATASETS = 100), which is what most image datasets on the Hub
carry. `datasets` 5.x leaves that setting None (row groups sized to about 100 MB) and writes embedded media
uncompressed with PLAIN encoding; --row-group-rows 0 and --image-compression none give that layout.

Images: smooth colour fields (bilinear 4x4 noise, tinted by class) plus fine per-row noise, so every PNG is
distinct; encoded with numpy (Sub filter) + zlib in a process pool, about 2.5 KB each (CIFAR-10's PNGs
average about 2.3 KB). Needs numpy, pyarrow, pandas; `datasets` for the schema metadata and the check.
"""

import argparse
import json
import os
import struct
import sys
import time
import zlib
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SIDE = 32
BATCH = 2000  # images made per numpy batch


def features():
    from datasets import ClassLabel, Features, Image, Value

    return Features({"img": Image(), "label": ClassLabel(names=CLASSES), "source_id": Value("int64")})


def name_for(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"hf-{rows // 1_000_000}m"
    if rows % 1000 == 0:
        return f"hf-{rows // 1000}k"
    return f"hf-{rows}"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


IHDR = _chunk(b"IHDR", struct.pack(">IIBBBBB", SIDE, SIDE, 8, 2, 0, 0, 0))
IEND = _chunk(b"IEND", b"")
SIG = b"\x89PNG\r\n\x1a\n"
# Bilinear interpolation from a 4x4 grid to 32x32.
_x = (np.arange(SIDE) + 0.5) / SIDE * 4 - 0.5
_U = np.maximum(0.0, 1.0 - np.abs(_x[:, None] - np.arange(4)[None, :]))
_U /= _U.sum(axis=1, keepdims=True)
TINT = np.random.default_rng(11).uniform(-40, 40, size=(len(CLASSES), 3))


def images(labels: np.ndarray, seed: int) -> list:
    """PNG bytes for a batch of rows with these labels."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    lo = rng.uniform(0, 255, size=(n, 4, 4, 3)) + TINT[labels][:, None, None, :]
    img = np.einsum("ij,bjkc,lk->bilc", _U, lo, _U)
    img += rng.normal(0.0, rng.uniform(3.0, 9.0, size=(n, 1, 1, 1)), size=img.shape)
    a = np.clip(img, 0, 255).astype(np.uint8).reshape(n, SIDE, SIDE * 3)
    f = a.copy()
    f[:, :, 3:] = a[:, :, 3:] - a[:, :, :-3]  # PNG filter 1 (Sub), byte arithmetic mod 256
    raw = np.concatenate([np.ones((n, SIDE, 1), np.uint8), f], axis=2)
    return [SIG + IHDR + _chunk(b"IDAT", zlib.compress(raw[i].tobytes(), 6)) + IEND for i in range(n)]


def write_shard(job):
    path, start, labels, source, schema, row_group_rows, image_compression = job
    pngs = []
    for b in range(0, len(labels), BATCH):
        pngs += images(labels[b:b + BATCH], seed=1_000_003 + start + b)
    img = pa.StructArray.from_arrays(
        [pa.array(pngs, pa.binary()), pa.nulls(len(pngs), pa.string())], names=["bytes", "path"])
    table = pa.Table.from_arrays([img, pa.array(labels, pa.int64()), pa.array(source, pa.int64())], schema=schema)
    compression = {"img.bytes": image_compression, "img.path": "snappy", "label": "snappy", "source_id": "snappy"}
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, row_group_size=row_group_rows or None, compression=compression)
    os.replace(tmp, path)
    return len(pngs), sum(map(len, pngs))


def softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def write_predictions(path: Path, labels: np.ndarray) -> float:
    import pandas as pd

    rng = np.random.default_rng(2_000_003)
    n, k = len(labels), len(CLASSES)
    partner = (np.arange(k) + 1) % k  # the class each one is most confused with
    u = rng.normal(0.0, 1.0, size=(n, k))
    strength = rng.lognormal(mean=1.1, sigma=0.5, size=n)
    ar = np.arange(n)
    u[ar, labels] += strength
    u[ar, partner[labels]] += 0.35 * strength
    p = softmax(u / 0.37)
    order = rng.permutation(n)
    df = pd.DataFrame({"file_name": np.char.add("train/", order.astype(str))})
    for c, name in enumerate(CLASSES):
        df[f"prob_{name}"] = p[order, c]
    df.to_csv(path, index=False, float_format="%.6g")
    return float((p.argmax(axis=1) == labels).mean())


def check(data_dir: Path, rows: int) -> None:
    """load_dataset as a user would (streaming, so nothing is copied): ClassLabel feature, a decodable image."""
    import datasets

    ds = datasets.load_dataset("parquet", data_dir=str(data_dir), split="train", streaming=True)
    assert ds.features["label"] == datasets.ClassLabel(names=CLASSES), ds.features
    assert isinstance(ds.features["img"], datasets.Image), ds.features
    first = next(iter(ds))
    assert first["img"].size == (SIDE, SIDE) and first["img"].mode == "RGB", first
    n = sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(data_dir.glob("*.parquet")))
    assert n == rows, (n, rows)
    print(f"checked: datasets {datasets.__version__} reads it, features {ds.features}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--row-group-rows", type=int, default=100, help="0: one row group per shard-size chunk (pyarrow's default)")
    ap.add_argument("--image-compression", default="snappy", choices=["snappy", "none", "zstd"])
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--predictions-only", action="store_true", help="rewrite only the predictions CSV")
    a = ap.parse_args()
    t0 = time.time()
    out = Path(a.out)
    name = name_for(a.rows)
    data = out / name / "data"
    data.mkdir(parents=True, exist_ok=True)
    if not a.predictions_only:
        for old in data.glob("*.parquet*"):
            old.unlink()
    schema = features().arrow_schema
    assert json.loads(schema.metadata[b"huggingface"])["info"]["features"]["label"]["_type"] == "ClassLabel"

    rng = np.random.default_rng(1_000_001)
    labels = rng.integers(0, len(CLASSES), a.rows)
    source = rng.integers(0, 1000, a.rows)
    bounds = np.linspace(0, a.rows, a.shards + 1).astype(int)
    jobs = [(data / f"train-{s:05d}-of-{a.shards:05d}.parquet", int(bounds[s]), labels[bounds[s]:bounds[s + 1]],
             source[bounds[s]:bounds[s + 1]], schema, a.row_group_rows, a.image_compression) for s in range(a.shards)]
    if not a.predictions_only:
        total = 0
        with Pool(a.jobs) as pool:
            for _, nbytes in pool.imap(write_shard, jobs):
                total += nbytes
        print(f"wrote {a.rows} rows in {a.shards} shards under {data} ({total / a.rows:.0f} B per PNG) "
              f"in {time.time() - t0:.0f} s", file=sys.stderr)
    t1 = time.time()
    pred = out / f"{name}-predictions.csv"
    acc = write_predictions(pred, labels)
    print(f"wrote {pred} (argmax accuracy {acc:.3f}) in {time.time() - t1:.0f} s", file=sys.stderr)
    if not a.no_check:
        check(data, a.rows)
    print(f"done in {time.time() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
