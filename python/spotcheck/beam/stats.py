"""The distributed `stats`: manifest and predictions shards -> rows routed to buckets by a hash of
their file name (so a bucket holds every row naming its files) -> per bucket, loaded once by the
core's own loaders (in Rust), a mergeable partial and the scored rows -> partials merged with a
CombineFn -> temperature refined by a few passes over the kept scored rows, each a combine at the b
the previous one chose -> the `stats --json` document.
"""

import argparse
import os
import sys
import tempfile

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from spotcheck import _native

DEFAULT_BUCKETS = 64


def match_shards(pattern: str):
    """The files a glob matches, sorted (shard order: rows keep the order the loader sees)."""
    if "://" not in pattern:
        pattern = os.path.abspath(pattern)
    found = FileSystems.match([pattern])[0].metadata_list
    paths = sorted(m.path for m in found)
    if not paths:
        raise SystemExit(f"{pattern}: no file matches")
    return paths


def _route(item, buckets):
    kind, index, path = item
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        data = f.read()
    header, rows = _native.bucket_shard(data, path, buckets, predictions=kind == "p")
    yield ("header", (kind, index, path, header))
    for bucket, chunk in rows:
        yield (bucket, (kind, index, chunk))


def _check_headers(headers):
    """Every shard of a kind must have the same header (the bucket files share one)."""
    out = {}
    empty = []
    for kind, index, path, header in sorted(headers, key=lambda h: (h[0], h[1])):
        if kind == "p" and not header:
            empty.append(path)
            continue  # an empty JSON Lines predictions shard: no row, no columns
        if kind in out and out[kind][0] != header:
            if not header or not out[kind][0]:
                raise ValueError(
                    f"{path} and {out[kind][1]}: one is JSON Lines and the other CSV or Parquet; "
                    "every shard of one kind needs the same format"
                )
            raise ValueError(
                f"{path}: its header differs from {out[kind][1]}'s; every shard needs the same columns"
            )
        out.setdefault(kind, (header, path))
    if empty and "p" not in out:
        # As `spotcheck stats` refuses an empty predictions file, not a run without predictions.
        shards = empty[0] if len(empty) == 1 else f"{empty[0]} and the {len(empty) - 1} other shard(s)"
        raise ValueError(
            f"{shards}: every predictions shard is empty: expected one JSON object per line"
        )
    return {kind: header for kind, (header, _) in out.items()}


def _bucket_parts(kv, headers):
    bucket, chunks = kv
    chunks = sorted(chunks, key=lambda c: (c[0], c[1]))
    manifest = (headers["m"], [c[2] for c in chunks if c[0] == "m"])
    predictions = (
        (headers["p"], [c[2] for c in chunks if c[0] == "p"]) if "p" in headers else None
    )
    return (bucket, manifest, predictions)


class MergePartials(beam.CombineFn):
    """Merges bucket partials (JSON text) exactly; the accumulator is a merged partial or None."""

    def __init__(self, merge):
        self.merge = merge

    def create_accumulator(self):
        return None

    def add_input(self, acc, part):
        return self.merge([p for p in (acc, part) if p is not None])

    def merge_accumulators(self, accs):
        return self.merge([a for a in accs if a is not None])

    def extract_output(self, acc):
        return acc


def build(p, manifest_paths, prediction_paths, split=None, bins=15, buckets=DEFAULT_BUCKETS):
    """The pipeline's graph; returns the PCollection holding the `stats` document (JSON text)."""
    shards = [("m", i, path) for i, path in enumerate(manifest_paths)]
    shards += [("p", i, path) for i, path in enumerate(prediction_paths)]
    routed = (
        p
        | "Shards" >> beam.Create(shards)
        | "Spread" >> beam.Reshuffle()
        | "Route" >> beam.FlatMap(_route, buckets)
    )
    headers = (
        routed
        | "Headers" >> beam.Filter(lambda kv: kv[0] == "header")
        | "HeaderValues" >> beam.Map(lambda kv: kv[1])
        | "AllHeaders" >> beam.combiners.ToList()
        | "CheckHeaders" >> beam.Map(_check_headers)
    )
    parts = (
        routed
        | "Rows" >> beam.Filter(lambda kv: kv[0] != "header")
        | "ByBucket" >> beam.GroupByKey()
        | "Parts" >> beam.Map(_bucket_parts, beam.pvalue.AsSingleton(headers))
    )
    # The dataset's label classes first: a bucket without a sample of some class must still map
    # that class's predictions column.
    classes = (
        parts
        | "BucketClasses" >> beam.FlatMap(lambda part: _native.bucket_classes(part[0], part[1]))
        | "DistinctClasses" >> beam.Distinct()
        | "AllClasses" >> beam.combiners.ToList()
        | "SortClasses" >> beam.Map(sorted)
    )
    # Each bucket is loaded once: its partial, and its scored rows, which the refinement passes
    # read instead of loading the bucket again.
    prepared = parts | "Prepare" >> beam.Map(
        lambda part, c: _native.bucket_prepare(part[0], part[1], part[2], c, split, bins),
        beam.pvalue.AsSingleton(classes),
    )
    partial = (
        prepared
        | "Partials" >> beam.Map(lambda kept: kept[0])
        | "Merge" >> beam.CombineGlobally(MergePartials(_native.merge_partials))
    )
    b = partial | "Start" >> beam.Map(
        lambda part: _native.temperature_start(part) if part is not None else 1.0
    )
    last = None
    for i in range(3):
        last = (
            prepared
            | f"Pass{i}" >> beam.Map(
                lambda kept, b: _native.rows_temperature(kept[1], b, bins),
                beam.pvalue.AsSingleton(b),
            )
            | f"MergePass{i}" >> beam.CombineGlobally(MergePartials(_native.merge_temperature))
        )
        if i < 2:
            b = last | f"Next{i}" >> beam.Map(_native.temperature_next)
    return partial | "Finish" >> beam.Map(
        lambda part, t: _native.finish_stats(part, t), beam.pvalue.AsSingleton(last)
    )


def main(argv):
    parser = argparse.ArgumentParser(
        prog="python -m spotcheck.beam stats",
        description="The `spotcheck stats --json` document of a manifest and predictions given as "
        "CSV shards (each with its header) or JSON Lines shards (.jsonl, .ndjson); predictions also as "
        "Parquet. Other arguments are Beam options.",
    )
    parser.add_argument("--manifest", required=True, help="glob of the manifest shard(s)")
    parser.add_argument("--predictions", help="glob of the predictions shard(s)")
    parser.add_argument("--split", help="restrict the metrics to this split")
    parser.add_argument("--bins", type=int, default=15, help="reliability bins (default 15)")
    parser.add_argument("--output", help="write the document here instead of printing it")
    parser.add_argument(
        "--buckets", type=int, default=DEFAULT_BUCKETS,
        help=f"buckets the rows are routed to by file name (default {DEFAULT_BUCKETS})",
    )
    args, beam_args = parser.parse_known_args(argv)
    if not 1 <= args.bins <= 1000:
        parser.error(f"--bins {args.bins}: expected 1 to 1000")
    if args.buckets < 1:
        parser.error("--buckets: at least 1")
    from apache_beam.options.pipeline_options import PipelineOptions

    manifests = match_shards(args.manifest)
    predictions = match_shards(args.predictions) if args.predictions else []
    with tempfile.TemporaryDirectory() as tmp:
        # Without --output the document goes to a local file first, then to standard output.
        target = args.output or os.path.join(tmp, "stats.json")
        with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
            doc = build(p, manifests, predictions, args.split, args.bins, args.buckets)
            doc | "Write" >> beam.io.WriteToText(target, num_shards=1, shard_name_template="")
        if not args.output:
            with open(target, encoding="utf-8") as f:
                sys.stdout.write(f.read())
    return 0
