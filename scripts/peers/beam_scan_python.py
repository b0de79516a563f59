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

from spotcheck.beam.scan import main  # noqa: E402

# Beam's worker processes unpickle the scanner by value: it imports the peer module itself.
PEER_DIR = os.path.dirname(os.path.abspath(__file__))


def _peer():
    if PEER_DIR not in sys.path:
        sys.path.insert(0, PEER_DIR)
    import scan_peer

    return scan_peer


def python_scanner(items, thumbnails):
    """Pure-Python scan rows of `(bytes, name, split, label)` items, as the same Arrow table."""
    import pyarrow as pa

    import spotcheck

    scan_peer = _peer()
    scan_peer.init(thumbnails or 0)
    rows = []
    for data, name, split, label in items:
        row = scan_peer.scan_bytes(data)
        row.update(file=name, split=split, label=label, kind="image", duration_s=None,
                   sample_rate=None, channels=None)
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=spotcheck.scan_schema(bool(thumbnails)))


def overhead_scanner(items, thumbnails):
    """Beam's own cost: the same table with the file and size only (nothing decoded)."""
    import pyarrow as pa

    import spotcheck

    rows = [{"file": name, "split": split, "label": label, "size_bytes": len(data)}
            for data, name, split, label in items]
    return pa.Table.from_pylist(rows, schema=spotcheck.scan_schema(bool(thumbnails)))


if __name__ == "__main__":
    argv = sys.argv[1:]
    scanner = python_scanner
    if "--overhead" in argv:
        argv.remove("--overhead")
        scanner = overhead_scanner
    sys.exit(main(argv, scanner=scanner))
