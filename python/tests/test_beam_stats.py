"""The Beam stats (DirectRunner, shards routed to buckets) equals `spotcheck stats --json`: counts
exact, metrics to 1e-9, the temperature to 1e-3 (in practice to 1e-12)."""

import csv
import json

import pytest

from conftest import REPO, run_spotcheck
from spotcheck.beam.__main__ import main as beam_main

COMPARE = REPO / "tests" / "data" / "compare"


def shard(src, out_dir, stem, n):
    """Writes `src` as n shards `stem-0000k-of-0000n.csv`, each with the header."""
    lines = src.read_text().splitlines()
    header, body = lines[0], lines[1:]
    for k in range(n):
        rows = body[k::n]
        (out_dir / f"{stem}-{k:05d}-of-{n:05d}.csv").write_text("\n".join([header, *rows]) + "\n")
    return str(out_dir / f"{stem}-*.csv")


def assert_same(beam, local, path="doc"):
    if isinstance(local, dict):
        assert list(beam) == list(local), path
        for k in local:
            assert_same(beam[k], local[k], f"{path}.{k}")
    elif isinstance(local, list):
        assert len(beam) == len(local), path
        for i, (b, l) in enumerate(zip(beam, local)):
            assert_same(b, l, f"{path}[{i}]")
    elif isinstance(local, float) or isinstance(beam, float):
        tolerance = 1e-3 if path.endswith(".temperature") else 1e-9
        assert abs(beam - local) <= tolerance, f"{path}: {beam} vs {local}"
    else:
        assert beam == local, path


def local_stats(spotcheck_bin, *args):
    """`spotcheck stats ARGS --json`, parsed."""
    return json.loads(run_spotcheck(spotcheck_bin, "stats", *args, "--json"))


def beam_stats(tmp_path, *args):
    out = tmp_path / "stats.json"
    assert beam_main(["stats", *args, "--output", str(out), "--runner", "DirectRunner"]) == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize("model, buckets", [("model_a", 8), ("model_b", 3), ("model_c", 1)])
def test_sharded_stats_equal_stats(tmp_path, spotcheck_bin, model, buckets):
    manifest = shard(COMPARE / "manifest.csv", tmp_path, "manifest", 3)
    predictions = shard(COMPARE / f"{model}.csv", tmp_path, "predictions", 4)
    got = beam_stats(
        tmp_path, "--manifest", manifest, "--predictions", predictions, "--buckets", str(buckets)
    )
    want = local_stats(
        spotcheck_bin, COMPARE / "manifest.csv", "--predictions", COMPARE / f"{model}.csv"
    )
    assert want["metrics"]["num_samples"] > 0
    assert_same(got, want)


def test_split_and_bins(tmp_path, spotcheck_bin):
    manifest = shard(COMPARE / "manifest.csv", tmp_path, "manifest", 2)
    predictions = shard(COMPARE / "model_a.csv", tmp_path, "predictions", 2)
    got = beam_stats(
        tmp_path, "--manifest", manifest, "--predictions", predictions, "--split", "test",
        "--bins", "7",
    )
    want = local_stats(
        spotcheck_bin, COMPARE / "manifest.csv", "--predictions", COMPARE / "model_a.csv",
        "--split", "test", "--bins", "7",
    )
    assert_same(got, want)


def test_hard_predictions_and_no_predictions(tmp_path, spotcheck_bin):
    hard = tmp_path / "hard.csv"
    with open(COMPARE / "model_a.csv") as f, open(hard, "w", newline="") as out:
        rows = csv.reader(f)
        header = next(rows)
        classes = [c[len("prob_"):] for c in header[1:]]
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["file_name", "prediction"])
        for i, row in enumerate(rows):
            probs = [float(x) for x in row[1:]]
            # One row names a class no label has and one a file no manifest row has.
            name = "zebra" if i == 0 else classes[probs.index(max(probs))]
            w.writerow([row[0] if i != 1 else "elsewhere/x.jpg", name])
    manifest = shard(COMPARE / "manifest.csv", tmp_path, "manifest", 3)
    predictions = shard(hard, tmp_path, "hard", 2)
    got = beam_stats(tmp_path, "--manifest", manifest, "--predictions", predictions)
    want = local_stats(spotcheck_bin, COMPARE / "manifest.csv", "--predictions", hard)
    assert want["calibration"] is None  # a class no label has ("zebra") is not adopted
    assert want["predictions"]["unmatched"] == 1
    assert_same(got, want)
    alone = beam_stats(tmp_path, "--manifest", manifest)
    want = local_stats(spotcheck_bin, COMPARE / "manifest.csv")
    assert_same(alone, want)


@pytest.mark.parametrize(
    "second, text, error",
    [
        # Different columns; then CSV and JSON Lines shards of one kind.
        ("m-00001-of-00002.csv", "label,file_name\ndog,b.jpg\n", "header differs"),
        ("m-00001-of-00002.jsonl", '{"file_name": "b.jpg", "label": "dog"}\n', "same format"),
    ],
)
def test_manifest_shards_that_do_not_match_are_refused(tmp_path, second, text, error):
    (tmp_path / "m-00000-of-00002.csv").write_text("file_name,label\na.jpg,cat\n")
    (tmp_path / second).write_text(text)
    with pytest.raises(Exception, match=error):
        beam_stats(tmp_path, "--manifest", str(tmp_path / "m-*"))


def test_a_bad_row_names_the_bucket(tmp_path):
    (tmp_path / "m.csv").write_text('file_name,label\na.jpg,"cat\n')
    with pytest.raises(Exception, match="m.csv"):
        beam_stats(tmp_path, "--manifest", str(tmp_path / "m.csv"))


def to_jsonl(src, out, numbers=False):
    """`src` (CSV) as JSON Lines; with `numbers`, every column but the first holds a JSON number."""
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(out, "w") as f:
        for row in rows:
            if numbers:
                row = {k: (v if i == 0 else float(v)) for i, (k, v) in enumerate(row.items())}
            f.write(json.dumps(row) + "\n")
    return out


def shard_jsonl(src, out_dir, stem, n):
    """Writes JSON Lines `src` as n shards `stem-0000k-of-0000n.jsonl`, the last one empty."""
    lines = src.read_text().splitlines()
    for k in range(n):
        rows = lines[k::n - 1] if k < n - 1 else []
        (out_dir / f"{stem}-{k:05d}-of-{n:05d}.jsonl").write_text("".join(r + "\n" for r in rows))
    return str(out_dir / f"{stem}-*.jsonl")


def beam_on_jsonl_shards(tmp_path, manifest, predictions, m, p, buckets):
    """The Beam stats on JSON Lines `manifest` in m shards and `predictions` in p (under shards/)."""
    (tmp_path / "shards").mkdir()
    return beam_stats(
        tmp_path,
        "--manifest", shard_jsonl(manifest, tmp_path / "shards", "manifest", m),
        "--predictions", shard_jsonl(predictions, tmp_path / "shards", "predictions", p),
        "--buckets", str(buckets),
    )


def test_json_lines_shards_equal_stats(tmp_path, spotcheck_bin):
    manifest = to_jsonl(COMPARE / "manifest.csv", tmp_path / "manifest.jsonl")
    predictions = to_jsonl(COMPARE / "model_b.csv", tmp_path / "model_b.jsonl", numbers=True)
    got = beam_on_jsonl_shards(tmp_path, manifest, predictions, 3, 4, buckets=5)
    want = local_stats(spotcheck_bin, manifest, "--predictions", predictions)
    assert want["metrics"]["num_samples"] > 0
    assert want["calibration"] is not None
    assert_same(got, want)
    # JSON Lines manifest shards with CSV predictions shards.
    mixed = beam_stats(
        tmp_path,
        "--manifest", str(tmp_path / "shards" / "manifest-*.jsonl"),
        "--predictions", shard(COMPARE / "model_b.csv", tmp_path, "csvpred", 2),
    )
    assert_same(mixed, want)



def test_predictions_shards_that_are_all_empty_are_refused(tmp_path):
    # As `spotcheck stats` refuses an empty predictions file: not a document without predictions.
    (tmp_path / "m.csv").write_text("file_name,label\na.jpg,cat\n")
    for k in range(2):
        (tmp_path / f"p-{k:05d}-of-00002.jsonl").write_text("")
    with pytest.raises(Exception, match=r"p-00000-of-00002\.jsonl and the 1 other shard\(s\): every"):
        beam_stats(tmp_path, "--manifest", str(tmp_path / "m.csv"),
                   "--predictions", str(tmp_path / "p-*.jsonl"))


def test_a_json_lines_row_without_a_file_key_names_shard_and_line(tmp_path):
    (tmp_path / "m.jsonl").write_text('{"file_name": "a.jpg", "label": "cat"}\n\n{"label": "dog"}\n')
    with pytest.raises(Exception, match=r"m\.jsonl:3: no file key"):
        beam_stats(tmp_path, "--manifest", str(tmp_path / "m.jsonl"))
    (tmp_path / "m.jsonl").write_text('{"file_name": "a.jpg"}\n{"file_name": 7}\n')
    with pytest.raises(Exception, match=r"m\.jsonl:2: \"file_name\" must be a string"):
        beam_stats(tmp_path, "--manifest", str(tmp_path / "m.jsonl"))
    (tmp_path / "m.jsonl").write_text('{"file_name": "a.jpg"}\n[1, 2]\n')
    with pytest.raises(Exception, match=r"m\.jsonl:2: expected a JSON object"):
        beam_stats(tmp_path, "--manifest", str(tmp_path / "m.jsonl"))


def parquet_shards(src, out_dir, stem, n, float_type):
    """`src` (CSV predictions) as one Parquet file `stem.parquet` and n Parquet shards
    `stem-0000k-of-0000n.parquet`, the value columns as `float_type`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    def table(part):
        columns = {header[0]: pa.array([r[0] for r in part], pa.string())}
        for j, name in enumerate(header[1:], start=1):
            columns[name] = pa.array([float(r[j]) for r in part], float_type)
        return pa.table(columns)
    pq.write_table(table(body), out_dir / f"{stem}.parquet")
    for k in range(n):
        pq.write_table(table(body[k::n]), out_dir / f"{stem}-{k:05d}-of-{n:05d}.parquet")
    return str(out_dir / f"{stem}-*.parquet")


def test_parquet_predictions_shards_equal_stats(tmp_path, spotcheck_bin):
    import pyarrow as pa

    manifest = shard(COMPARE / "manifest.csv", tmp_path, "manifest", 2)
    predictions = parquet_shards(COMPARE / "model_b.csv", tmp_path, "pred", 3, pa.float32())
    got = beam_stats(tmp_path, "--manifest", manifest, "--predictions", predictions, "--buckets", "4")
    want = local_stats(
        spotcheck_bin, COMPARE / "manifest.csv", "--predictions", tmp_path / "pred.parquet"
    )
    assert want["calibration"] is not None
    assert_same(got, want)


def test_parquet_and_csv_predictions_shards_with_the_same_columns_mix(tmp_path, spotcheck_bin):
    import pyarrow as pa

    manifest = shard(COMPARE / "manifest.csv", tmp_path, "manifest", 2)
    parquet_shards(COMPARE / "model_a.csv", tmp_path, "pred", 2, pa.float64())
    (tmp_path / "pred-00000-of-00002.parquet").unlink()
    shard(COMPARE / "model_a.csv", tmp_path, "csvpred", 2)
    (tmp_path / "csvpred-00000-of-00002.csv").rename(tmp_path / "pred-00000-of-00002.csv")
    got = beam_stats(tmp_path, "--manifest", manifest, "--predictions", str(tmp_path / "pred-*-of-*"))
    want = local_stats(
        spotcheck_bin, COMPARE / "manifest.csv", "--predictions", COMPARE / "model_a.csv"
    )
    assert_same(got, want)


def test_a_parquet_manifest_is_refused_by_name(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"file_name": ["a.jpg"], "label": ["cat"]}), tmp_path / "m.parquet")
    with pytest.raises(Exception, match=r"m\.parquet: the Beam stats reads CSV shards"):
        beam_stats(tmp_path, "--manifest", str(tmp_path / "m.parquet"))


def test_json_lines_predictions_for_some_files_only(tmp_path, spotcheck_bin):
    """Predictions for the test split only: most buckets get manifest rows and no prediction row.
    Rows differ in their keys after the first (the loader reads the first object's columns)."""
    manifest = to_jsonl(COMPARE / "manifest.csv", tmp_path / "manifest.jsonl")
    with open(COMPARE / "manifest.csv", newline="") as f:
        test_files = {r["file_name"] for r in csv.DictReader(f) if r["split"] == "test"}
    full = to_jsonl(COMPARE / "model_a.csv", tmp_path / "all.jsonl", numbers=True)
    rows = [json.loads(l) for l in full.read_text().splitlines()]
    rows = [r for r in rows if r["file_name"] in test_files]
    rows[1]["note"] = "an extra key"
    predictions = tmp_path / "test_only.jsonl"
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = beam_on_jsonl_shards(tmp_path, manifest, predictions, 2, 3, buckets=64)
    want = local_stats(spotcheck_bin, manifest, "--predictions", predictions)
    assert want["predictions"]["matched"] == len(rows) < want["dataset"]["num_samples"]
    assert_same(got, want)
