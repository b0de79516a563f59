"""The Beam scan (DirectRunner) equals `spotcheck scan` row for row, and `check --from-scan` on its
shards equals `check` on the files."""

import glob
import json

import pyarrow.parquet as pq
import pytest

from conftest import run_spotcheck
from spotcheck.beam.__main__ import main as beam_main
from spotcheck.beam.scan import fixed_prefix


def rows(paths):
    table = pq.read_table(paths)
    return sorted(table.to_pylist(), key=lambda r: r["file"])


def normalised(report):
    """A check report with every list in a canonical order (rows come from shards unordered)."""

    def canon(value):
        if isinstance(value, dict):
            keys = [k for k in ("files", "splits", "labels") if isinstance(value.get(k), list)]
            out = {k: canon(v) for k, v in value.items() if k not in keys}
            if keys:
                members = sorted(zip(*(value[k] for k in keys)))
                for i, k in enumerate(keys):
                    out[k] = [m[i] for m in members]
            return out
        if isinstance(value, list):
            items = [canon(v) for v in value]
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return value

    return canon(report)


def test_fixed_prefix():
    assert fixed_prefix("/data/ds/**") == "/data/ds"
    assert fixed_prefix("gs://b/ds/*/*.jpg") == "gs://b/ds"
    assert fixed_prefix("/data/ds/") == "/data/ds"


@pytest.fixture(scope="module")
def beam_scan(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("beam") / "scan"
    code = beam_main(
        ["scan", "--input", f"{dataset}/**", "--output", str(out), "--thumbnails", "64",
         "--num_shards", "3", "--runner", "DirectRunner"]
    )
    assert code == 0
    shards = sorted(glob.glob(f"{out}-*-of-*.parquet"))
    assert [s[len(str(out)):] for s in shards] == [
        f"-0000{i}-of-00003.parquet" for i in range(3)
    ]
    return out, shards


def test_beam_scan_equals_spotcheck_scan(dataset, beam_scan, spotcheck_bin, tmp_path):
    _, shards = beam_scan
    local = tmp_path / "local.parquet"
    run_spotcheck(spotcheck_bin, "scan", dataset, "--out", local, "--thumbnails", "64")
    beam_rows, local_rows = rows(shards), rows([str(local)])
    assert [r["file"] for r in beam_rows] == [r["file"] for r in local_rows]
    assert len(beam_rows) == 23  # 18 photos, near, broken, empty, png_named, beep
    for b, l in zip(beam_rows, local_rows):
        assert b == l, b["file"]
    problems = {r["file"]: r["problem"] for r in beam_rows if r["problem"]}
    assert problems == {
        "test/landscape/broken.jpg": "unreadable",
        "test/landscape/empty.jpg": "empty",
        "test/landscape/png_named.jpg": "unsupported",
    }


def test_check_from_beam_shards_equals_check_on_the_files(dataset, beam_scan, spotcheck_bin):
    out, _ = beam_scan
    from_files = json.loads(run_spotcheck(spotcheck_bin, "check", dataset, "--json"))
    from_scan = json.loads(
        run_spotcheck(spotcheck_bin, "check", dataset, "--from-scan", f"{out}-*.parquet", "--json")
    )
    # Beam writes rows in any order, and the report lists them in the order read: compare as sets.
    assert normalised(from_scan) == normalised(from_files)
    # The near-duplicate (resized, recompressed) and the 9 orientations of each photo are found.
    groups = [sorted(g["files"]) for g in from_files["near_duplicates"]]
    assert any("test/landscape/near.jpg" in g for g in groups)


def test_labels_manifest_join(dataset, spotcheck_bin, tmp_path):
    manifest = tmp_path / "labels.csv"
    manifest.write_text(
        "file_name,label,split\n"
        "train/landscape/L1.jpg,sunny,train\n"
        "gone/missing.jpg,cloudy,test\n"
    )
    out = tmp_path / "scan"
    assert beam_main(
        ["scan", "--input", f"{dataset}/**", "--output", str(out),
         "--labels", str(manifest), "--runner", "DirectRunner"]
    ) == 0
    got = {r["file"]: r for r in rows(sorted(glob.glob(f"{out}-*.parquet")))}
    listed = got["train/landscape/L1.jpg"]
    assert (listed["label"], listed["split"], listed["problem"]) == ("sunny", "train", None)
    # Matched but not listed: unlabelled; listed but not matched: a missing row.
    unlisted = got["train/portrait/P1.jpg"]
    assert (unlisted["label"], unlisted["split"]) == (None, None)
    gone = got["gone/missing.jpg"]
    assert (gone["problem"], gone["label"], gone["size_bytes"]) == ("missing", "cloudy", None)
    # Every non-hidden media file is a sample (the loose one too); hidden and .txt are not.
    assert len(got) == 25 and "loose.jpg" in got
