"""Fixtures for the package's tests: a class-folder dataset with the repository's EXIF photos, a
near-duplicate, broken and empty files, a PNG named .jpg, audio, and files the loader skips; and the
`spotcheck` binary the results are compared with (`SPOTCHECK_BIN`, else the release build)."""

import io
import os
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXIF = REPO / "tests" / "data" / "exif-orientation-examples"


@pytest.fixture(scope="session")
def spotcheck_bin():
    path = Path(os.environ.get("SPOTCHECK_BIN", REPO / "target" / "release" / "spotcheck"))
    if not path.exists():
        pytest.fail(f"{path}: build it first (cargo build --release) or set SPOTCHECK_BIN")
    return path


def run_spotcheck(binary, *args):
    done = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, f"spotcheck {' '.join(map(str, args))}: {done.stderr}"
    return done.stdout


def _wav(path: Path):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i * 37) % 3000) for i in range(8000)))


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("data") / "ds"
    for d in ("train/landscape", "train/portrait", "test/landscape", "test/sound"):
        (root / d).mkdir(parents=True)
    for i in range(9):
        shutil.copy(EXIF / f"Landscape_{i}.jpg", root / f"train/landscape/L{i}.jpg")
        shutil.copy(EXIF / f"Portrait_{i}.jpg", root / f"train/portrait/P{i}.jpg")
    photo = Image.open(EXIF / "Landscape_1.jpg")
    photo.resize((photo.width // 2, photo.height // 2)).save(
        root / "test/landscape/near.jpg", quality=70
    )
    (root / "test/landscape/broken.jpg").write_bytes((EXIF / "Landscape_1.jpg").read_bytes()[:5000])
    (root / "test/landscape/empty.jpg").write_bytes(b"")
    buf = io.BytesIO()
    photo.resize((200, 133)).save(buf, format="PNG")
    (root / "test/landscape/png_named.jpg").write_bytes(buf.getvalue())
    _wav(root / "test/sound/beep.wav")
    # Skipped by the class-folder rules: hidden, not media, not inside a class folder.
    (root / "test/landscape/.hidden.jpg").write_bytes(b"x")
    (root / "test/notes.txt").write_text("hi")
    (root / "loose.jpg").write_bytes(b"x")
    return root
