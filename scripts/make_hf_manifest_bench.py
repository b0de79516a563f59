#!/usr/bin/env python3
"""A large Parquet manifest with no media, for the benchmarks (fixed seed, same bytes every time).

    python3 scripts/make_hf_manifest_bench.py OUT_DIR [--rows 10000000] [--row-group-rows 1000000]

OUT_DIR/manifest-10m.parquet   (name follows --rows: manifest-10m, manifest-200k, ...)
    file_name  string   images/<label>/NNNNNNNNN.jpg (the files do not exist: `stats` does not need them)
    label      string   10 class names, long-tailed (the commonest about 5x the rarest)
    split      string   train / val / test (80 / 10 / 10 %)
    source_id  int64    metadata, 0..9999
    annotator  string   metadata, ann_000 .. ann_199
Row groups of --row-group-rows rows (10 for the default), snappy, pyarrow's default dictionary encoding.
No `huggingface` schema metadata: a manifest as pandas/pyarrow users write it. Needs numpy and pyarrow.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CLASSES = ["apple", "bicycle", "canoe", "daisy", "eagle", "fern", "guitar", "harbour", "igloo", "jaguar"]
SPLITS = ["train", "val", "test"]
SCHEMA = pa.schema([("file_name", pa.string()), ("label", pa.string()), ("split", pa.string()),
                    ("source_id", pa.int64()), ("annotator", pa.string())])


def name_for(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"manifest-{rows // 1_000_000}m"
    if rows % 1000 == 0:
        return f"manifest-{rows // 1000}k"
    return f"manifest-{rows}"


def chunk(rng, start: int, n: int) -> pa.Table:
    prior = 1.0 / np.arange(1, len(CLASSES) + 1) ** 0.7
    prior /= prior.sum()
    labels = pa.DictionaryArray.from_arrays(pa.array(rng.choice(len(CLASSES), n, p=prior), pa.int32()),
                                            pa.array(CLASSES)).cast(pa.string())
    splits = pa.DictionaryArray.from_arrays(pa.array(rng.choice(3, n, p=[0.8, 0.1, 0.1]), pa.int32()),
                                            pa.array(SPLITS)).cast(pa.string())
    annotators = pa.array([f"ann_{i:03d}" for i in range(200)])
    annotator = pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 200, n), pa.int32()), annotators).cast(pa.string())
    idx = pc.utf8_lpad(pc.cast(pa.array(np.arange(start, start + n)), pa.string()), 9, "0")
    file_name = pc.binary_join_element_wise("images/", labels, "/", idx, ".jpg", "")
    source = pa.array(rng.integers(0, 10_000, n), pa.int64())
    return pa.Table.from_arrays([file_name, labels, splits, source, annotator], schema=SCHEMA)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--row-group-rows", type=int, default=1_000_000)
    a = ap.parse_args()
    t0 = time.time()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name_for(a.rows)}.parquet"
    tmp = path.with_suffix(".parquet.tmp")
    rng = np.random.default_rng(3_000_001)
    with pq.ParquetWriter(tmp, SCHEMA, compression="snappy") as w:
        for start in range(0, a.rows, a.row_group_rows):
            w.write_table(chunk(rng, start, min(a.row_group_rows, a.rows - start)), row_group_size=a.row_group_rows)
    os.replace(tmp, path)
    md = pq.ParquetFile(path).metadata
    assert md.num_rows == a.rows, md
    print(f"wrote {path}: {md.num_rows} rows, {md.num_row_groups} row groups, "
          f"{path.stat().st_size / 1e6:.0f} MB, in {time.time() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
