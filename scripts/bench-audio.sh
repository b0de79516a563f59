#!/usr/bin/env bash
# Waveform tiles for 1,000 five-second clips (44.1 kHz mono 16-bit WAV, made once under
# bench-data/audio-clips): spotcheck's decoder path (symphonia decode + min/max peaks + RGBA, every
# core) against a Python peer doing the same job the usual way (scipy.io.wavfile + numpy peaks + a
# PIL image per clip, multiprocessing on every core). Prints clips/s for both and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=bench-data/audio-clips
mkdir -p "$DIR"
if [ "$(ls "$DIR" | wc -l)" -lt 1000 ]; then
  python3 - "$DIR" <<'PY'
import sys, wave, numpy as np
out = sys.argv[1]; sr = 44100; rng = np.random.default_rng(0)
t = np.arange(sr * 5) / sr
for i in range(1000):
    f = 100 + 900 * rng.random()
    x = 0.5 * np.sin(2 * np.pi * f * t) * np.exp(-t * rng.random()) + 0.05 * rng.standard_normal(t.size)
    with wave.open(f"{out}/clip{i:04d}.wav", "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
PY
fi
SPOTCHECK_AUDIO_BENCH="$DIR" cargo test --release --test library audio_speed --quiet -- --ignored --nocapture \
  | tee /tmp/bench-audio-spotcheck.txt | grep -E "run|median"
python3 - "$DIR" <<'PY' | tee /tmp/bench-audio-peer.txt
import sys, os, time, glob
from multiprocessing import Pool
import numpy as np
from scipy.io import wavfile
from PIL import Image, ImageDraw
def tile(path, w=256, h=128):
    sr, x = wavfile.read(path)
    x = x.astype(np.float32) / 32768.0
    cols = np.array_split(x, w)
    img = Image.new("RGB", (w, h), (24, 26, 30)); d = ImageDraw.Draw(img)
    for c, seg in enumerate(cols):
        lo, hi = float(seg.min()), float(seg.max())
        d.line([(c, (1 - hi) * (h - 1) / 2), (c, (1 - lo) * (h - 1) / 2)], fill=(110, 190, 255))
    return img.tobytes()[:1]
files = sorted(glob.glob(sys.argv[1] + "/*.wav"))
rates = []
with Pool(os.cpu_count()) as pool:
    for run in range(5):
        t = time.perf_counter(); pool.map(tile, files, chunksize=8); s = time.perf_counter() - t
        rates.append(len(files) / s); print(f"peer run {run}: {len(files)} clips in {s:.3f} s = {rates[-1]:.0f} clips/s")
rates.sort(); print(f"peer median {rates[len(rates)//2]:.0f} clips/s")
PY
S=$(grep -oP 'median \K[0-9]+' /tmp/bench-audio-spotcheck.txt | tail -1)
P=$(grep -oP 'peer median \K[0-9]+' /tmp/bench-audio-peer.txt | tail -1)
echo "machine: $(nproc) cores; spotcheck ${S} clips/s, peer ${P} clips/s, ratio $(python3 -c "print(f'{$S/$P:.1f}x')")"
