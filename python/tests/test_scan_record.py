"""`spotcheck.scan_record`: the contract's keys and types, bad media as rows, argument errors."""

import pytest

import spotcheck
from conftest import EXIF

XXH3_OF_NOTHING = "99aa06d3014798d86001c324468d497f"


def test_a_photo_with_exif_orientation_is_measured_upright():
    data = (EXIF / "Landscape_6.jpg").read_bytes()
    row = spotcheck.scan_record(data, "a/Landscape_6.jpg")
    assert list(row) == list(spotcheck.SCAN_COLUMNS)
    assert row["file"] == "a/Landscape_6.jpg"
    assert row["kind"] == "image" and row["problem"] is None
    assert row["size_bytes"] == len(data)
    # Stored 1200x1800 rotated, Orientation 6: upright it is landscape.
    assert (row["width"], row["height"], row["orientation"]) == (1800, 1200, 6)
    assert len(row["xxh3_128"]) == 32 and len(row["phash"]) == 16
    assert 0 < row["brightness"] < 1 and 0 < row["contrast"] < 1 and row["sharpness"] > 0
    assert row["split"] is None and row["label"] is None
    # Every orientation of the same picture has the same perceptual hash.
    same = spotcheck.scan_record((EXIF / "Landscape_3.jpg").read_bytes(), "b.jpg")
    assert same["phash"] == row["phash"]


def test_thumbnail_only_when_asked():
    data = (EXIF / "Portrait_5.jpg").read_bytes()
    assert "thumbnail" not in spotcheck.scan_record(data, "p.jpg")
    thumb = spotcheck.scan_record(data, "p.jpg", thumbnail_size=32)["thumbnail"]
    assert thumb.startswith(b"\x89PNG")


def test_bad_media_never_raise():
    row = spotcheck.scan_record(b"not an image", "x.jpg")
    assert row["problem"] == "unreadable" and row["detail"]
    assert row["kind"] == "image" and row["size_bytes"] == 12
    empty = spotcheck.scan_record(b"", "e.jpg")
    assert (empty["problem"], empty["size_bytes"], empty["xxh3_128"]) == ("empty", 0, XXH3_OF_NOTHING)
    assert empty["kind"] == "image"
    missing = spotcheck.missing_record("gone.wav")
    assert (missing["problem"], missing["size_bytes"], missing["xxh3_128"]) == ("missing", None, None)
    assert missing["kind"] == "audio"


def test_lone_surrogates_become_replacement_characters():
    row = spotcheck.scan_record(b"abc", "caf\udce9.jpg")
    assert row["file"] == "caf\ufffd.jpg"


def test_wrong_argument_types_raise_type_error():
    with pytest.raises(TypeError):
        spotcheck.scan_record("text", "x.jpg")
    with pytest.raises(TypeError):
        spotcheck.scan_record(b"x", 3)
    with pytest.raises(TypeError):
        spotcheck.scan_records([("text", "x.jpg")])


def test_a_batch_equals_single_calls():
    items = [((EXIF / f"Landscape_{i}.jpg").read_bytes(), f"L{i}.jpg") for i in range(3)]
    items.append((b"", "e.jpg"))
    single = [spotcheck.scan_record(d, n) for d, n in items]
    assert spotcheck.scan_records(items) == single
    assert spotcheck.scan_records(items, None, 2) == single


def test_class_folder_rules():
    assert spotcheck.is_split_level(["train", "test"])
    assert not spotcheck.is_split_level(["train", "cats"])
    assert spotcheck.class_folder_sample("train/cat/a.jpg", True) == ("train", "cat")
    assert spotcheck.class_folder_sample("cat/a.jpg", False) == (None, "cat")
    assert spotcheck.class_folder_sample("cat/.x.jpg", False) is None


def test_labels_manifest_errors_name_the_file_and_line():
    rows = spotcheck.read_labels(b"file_name,label,split\na.jpg,cat,train\nb.jpg,,\n", "m.csv")
    assert rows == [("a.jpg", "cat", "train"), ("b.jpg", None, None)]
    jsonl = b'{"file_name": "a.jpg", "label": "cat"}\n\n{"file_name": "b.jpg"}\n'
    assert spotcheck.read_labels(jsonl, "m.jsonl") == [("a.jpg", "cat", None), ("b.jpg", None, None)]
    with pytest.raises(ValueError, match="m.jsonl:2"):
        spotcheck.read_labels(b'{"file_name": "a.jpg"}\nnot json\n', "m.jsonl")
    with pytest.raises(ValueError, match="m.csv"):
        spotcheck.read_labels(b"label\ncat\n", "m.csv")


def test_an_arrow_batch_equals_the_rows():
    import pyarrow as pa

    items = [((EXIF / f"Portrait_{i}.jpg").read_bytes(), f"p/P{i}.jpg") for i in range(3)]
    items.append((b"broken", "p/x.jpg"))
    rows = spotcheck.scan_records(items, 32)
    table = pa.ipc.open_stream(
        spotcheck.scan_table([(d, n, "train", "portrait") for d, n in items] + [(None, "gone.jpg", None, None)], 32)
    ).read_all()
    assert table.schema.equals(spotcheck.scan_schema(True))
    got = table.to_pylist()
    for row in rows:
        row.update(split="train", label="portrait")
    assert got[:4] == rows
    assert (got[4]["problem"], got[4]["size_bytes"], got[4]["split"]) == ("missing", None, None)
