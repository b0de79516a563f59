#!/usr/bin/env python3
"""The Beam scan's peer: the same pipeline (`spotcheck.beam.scan`: MatchFiles, the class-folder
rules, batches, WriteToParquet) with the per-element job done in pure Python the way users write it:
PIL open + ImageOps.exif_transpose, imagehash's DCT pHash, numpy brightness/contrast, the variance of
scipy's Laplacian, xxhash, a PIL PNG thumbnail (scripts/peers/scan_peer.py's `scan_one`).

    python3 scripts/peers/beam_scan_python.py --input GLOB --output PREFIX [--thumbnails 64] [Beam options]
    python3 scripts/peers/beam_scan_python.py --overhead ...   # Beam alone: read the bytes, no scan

pip install ./python pillow numpy scipy imagehash xxhash
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scan_peer  # noqa: E402
from spotcheck.beam.scan import main  # noqa: E402


def python_scanner(items, thumbnails):
    """Pure-Python scan rows of `(bytes, name)` pairs."""
    scan_peer.init(thumbnails or 0)
    rows = []
    for data, name in items:
        row = scan_peer.scan_bytes(data)
        row.update(file=name, split=None, label=None, kind="image", duration_s=None,
                   sample_rate=None, channels=None)
        if not thumbnails:
            row.pop("thumbnail", None)
        rows.append(row)
    return rows


def overhead_scanner(items, thumbnails):
    """Beam's own cost: rows with the size only."""
    rows = []
    for data, name in items:
        row = {k: None for k in ("split", "label", "kind", "problem", "detail", "xxh3_128",
                                 "width", "height", "orientation", "phash", "brightness",
                                 "contrast", "sharpness", "duration_s", "sample_rate", "channels")}
        row.update(file=name, size_bytes=len(data))
        if thumbnails:
            row["thumbnail"] = None
        rows.append(row)
    return rows


if __name__ == "__main__":
    argv = sys.argv[1:]
    scanner = python_scanner
    if "--overhead" in argv:
        argv.remove("--overhead")
        scanner = overhead_scanner
    sys.exit(main(argv, scanner=scanner))
