"""The distributed scan: matched files -> samples (the class-folder rules, or a labels manifest)
-> scan rows in batches (Rust, GIL released) -> Parquet shards with the scan schema.
"""

import argparse
import posixpath

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

import spotcheck

GLOB_CHARS = "*?["


def fixed_prefix(pattern: str) -> str:
    """ROOT of a glob: its folders before the first part with a wildcard (the glob itself when it
    has none, e.g. a folder)."""
    parts = pattern.split("/")
    for i, part in enumerate(parts):
        if any(c in part for c in GLOB_CHARS):
            return "/".join(parts[:i]) or "/"
    return pattern.rstrip("/") or "/"


def match_pattern(pattern: str) -> str:
    """A folder (no wildcard) is matched recursively."""
    if any(c in pattern for c in GLOB_CHARS):
        return pattern
    return pattern.rstrip("/") + "/**"


def relative(path: str, root: str):
    """`path` below `root`, '/'-separated; None when it is not below it or its name is not valid
    UTF-8 (lone surrogates: `spotcheck scan` cannot name such a sample either and skips it)."""
    root = root.rstrip("/") + "/"
    if not path.startswith(root):
        return None
    rel = path[len(root):]
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return rel


def _is_media_candidate(rel: str) -> bool:
    """A manifest's samples: any non-hidden media file at any depth."""
    return spotcheck.class_folder_sample("x/" + rel, False) is not None


def native_scanner(items, thumbnails):
    """The scan rows of `(bytes or None, name, split, label)` items as one Arrow table: a single
    native call (the GIL released while Rust decodes and hashes) that builds the Arrow batch itself,
    so no Python object is made per row or per value."""
    import pyarrow as pa

    return pa.ipc.open_stream(spotcheck.scan_table(items, thumbnails)).read_all()


class _ScanBatch(beam.DoFn):
    """Reads a batch of files and scans them with `scanner` (default: one native call), yielding an
    Arrow table per batch. A file that cannot be read is an `unreadable` row, never a failed
    bundle."""

    def __init__(self, thumbnails, scanner=native_scanner):
        self.thumbnails = thumbnails
        self.scanner = scanner

    def process(self, batch):
        import pyarrow as pa

        items, failed = [], []
        for rel, path, split, label in batch:
            if path is None:
                items.append((None, rel, split, label))
                continue
            try:
                with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                    data = f.read()
            except Exception as e:  # noqa: BLE001 - any storage error is this sample's problem
                row = spotcheck.missing_record(rel, self.thumbnails)
                row.update(problem="unreadable", detail=f"cannot read {path}: {e}")
                row.update(split=split, label=label)
                failed.append(row)
                continue
            items.append((data, rel, split, label))
        if items:
            yield self.scanner(items, self.thumbnails)
        if failed:
            schema = spotcheck.scan_schema(self.thumbnails is not None)
            yield pa.Table.from_pylist(failed, schema=schema)


def _class_folder_samples(rels):
    """(rel, path) -> (rel, path, split, label) by the class-folder rules, the split level decided
    from every first-level folder as the loader does."""
    first = (
        rels
        | "FirstLevel" >> beam.FlatMap(lambda rp: [rp[0].split("/")[0]] if "/" in rp[0] else [])
        | "Distinct" >> beam.Distinct()
        | "AllFirstLevel" >> beam.combiners.ToList()
        | "SplitLevel" >> beam.Map(spotcheck.is_split_level)
    )

    def to_sample(rp, split_level):
        found = spotcheck.class_folder_sample(rp[0], split_level)
        if found is not None:
            split, label = found
            yield (rp[0], rp[1], split, label)

    return rels | "ClassFolders" >> beam.FlatMap(to_sample, beam.pvalue.AsSingleton(first))


def _manifest_samples(pipeline, rels, labels_path):
    """(rel, path) joined with a labels manifest on the file name relative to ROOT: listed and
    matched -> its label and split; matched only -> unlabelled; listed only -> a `missing` row."""

    def read(path):
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            data = f.read()
        for file, label, split in spotcheck.read_labels(data, path):
            yield (file, (label, split))

    listed = pipeline | "Labels" >> beam.Create([labels_path]) | "ReadLabels" >> beam.FlatMap(read)
    matched = rels | "Candidates" >> beam.Filter(lambda rp: _is_media_candidate(rp[0]))

    def join(kv):
        rel, (paths, rows) = kv
        label, split = rows[0] if rows else (None, None)
        if paths:
            for path in paths:
                yield (rel, path, split, label)
        else:
            yield (rel, None, split, label)

    return (
        {"paths": matched, "rows": listed}
        | "Join" >> beam.CoGroupByKey()
        | "Joined" >> beam.Map(lambda kv: (kv[0], (kv[1]["paths"], kv[1]["rows"])))
        | "Samples" >> beam.FlatMap(join)
    )


class ScanFiles(beam.PTransform):
    """Files matching `pattern` -> scan rows as Arrow tables (a batch each, the scan schema).
    `scanner` maps a batch of `(bytes or None, name, split, label)` items to a table; benchmarks
    swap in a pure-Python one."""

    def __init__(self, pattern, labels=None, thumbnails=None, batch_size=64, scanner=native_scanner):
        super().__init__()
        self.pattern, self.labels = pattern, labels
        self.thumbnails, self.batch_size = thumbnails, batch_size
        self.scanner = scanner

    def expand(self, pbegin):
        root = fixed_prefix(self.pattern)
        rels = (
            pbegin
            | "Match" >> fileio.MatchFiles(
                match_pattern(self.pattern),
                empty_match_treatment=fileio.EmptyMatchTreatment.ALLOW,
            )
            | "Relative" >> beam.FlatMap(
                lambda m: [(rel, m.path)] if (rel := relative(m.path, root)) else []
            )
        )
        if self.labels:
            samples = _manifest_samples(pbegin.pipeline, rels, self.labels)
        else:
            samples = _class_folder_samples(rels)
        return (
            samples
            | "Spread" >> beam.Reshuffle()
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.batch_size)
            | "Scan" >> beam.ParDo(_ScanBatch(self.thumbnails, self.scanner))
        )


def main(argv, scanner=native_scanner):
    parser = argparse.ArgumentParser(
        prog="python -m spotcheck.beam scan",
        description="Scan every sample matched by a glob into Parquet shards "
        "PREFIX-NNNNN-of-NNNNN.parquet (the scan schema). Other arguments are Beam options.",
    )
    parser.add_argument("--input", required=True, help="glob of the files (ROOT = its fixed prefix)")
    parser.add_argument("--output", required=True, help="shard prefix, e.g. gs://bucket/scan/scan")
    parser.add_argument("--labels", help="manifest (file_name,label[,split]) relative to ROOT")
    parser.add_argument("--thumbnails", type=int, help="keep upright PNG thumbnails this long")
    parser.add_argument("--num_shards", type=int, default=0, help="0: the runner decides")
    args, beam_args = parser.parse_known_args(argv)
    if args.thumbnails is not None and not 8 <= args.thumbnails <= 1024:
        parser.error(f"--thumbnails {args.thumbnails}: expected 8 to 1024 pixels")
    from apache_beam.options.pipeline_options import PipelineOptions

    options = PipelineOptions(beam_args)
    with beam.Pipeline(options=options) as p:
        (
            p
            | "Scan" >> ScanFiles(args.input, args.labels, args.thumbnails, scanner=scanner)
            | "Write" >> beam.io.WriteToParquetBatched(
                args.output,
                spotcheck.scan_schema(args.thumbnails is not None),
                codec="snappy",
                file_name_suffix=".parquet",
                num_shards=args.num_shards,
            )
        )
    return 0
