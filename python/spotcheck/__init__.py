"""spotcheck for Python: the same per-sample scan record and mergeable stats as the `spotcheck`
binary (one Rust core, built with PyO3), so a distributed engine such as Apache Beam can map them
over a dataset no single machine reads. The Beam pipelines are in `spotcheck.beam`.
"""

from ._native import (
    SCAN_COLUMNS,
    __version__,
    class_folder_sample,
    is_split_level,
    missing_record,
    read_labels,
    scan_record,
    scan_records,
    scan_table,
)

__all__ = [
    "SCAN_COLUMNS",
    "__version__",
    "class_folder_sample",
    "is_split_level",
    "missing_record",
    "read_labels",
    "scan_record",
    "scan_records",
    "scan_schema",
    "scan_table",
]


def scan_schema(thumbnails: bool = False):
    """The scan files' Arrow schema (the contract's column types), for writers such as Beam's
    WriteToParquet; `thumbnails` adds the binary `thumbnail` column."""
    import pyarrow as pa

    utf8, int64, float64 = pa.string(), pa.int64(), pa.float64()
    types = {
        "file": utf8, "split": utf8, "label": utf8, "kind": utf8, "problem": utf8,
        "detail": utf8, "size_bytes": int64, "xxh3_128": utf8, "width": int64,
        "height": int64, "orientation": int64, "phash": utf8, "brightness": float64,
        "contrast": float64, "sharpness": float64, "duration_s": float64,
        "sample_rate": int64, "channels": int64,
    }
    fields = [pa.field(name, types[name], nullable=name != "file") for name in SCAN_COLUMNS]
    if thumbnails:
        fields.append(pa.field("thumbnail", pa.binary()))
    return pa.schema(fields)
