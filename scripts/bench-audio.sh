#!/usr/bin/env bash
# Audio tiles for 1,000 five-second clips (44.1 kHz mono 16-bit WAV, made once under
# bench-data/audio-clips): spotcheck's decoder path on every core against a Python peer doing the
# same job the usual way, multiprocessing on every core. Prints clips/s for both and the ratio.
#
#   scripts/bench-audio.sh               # waveform tiles: symphonia decode + min/max peaks + RGBA,
#                                        #   against scipy.io.wavfile + numpy peaks + a PIL image
#   scripts/bench-audio.sh spectrogram   # mel spectrogram tiles (1024-point Hann STFT, 64 HTK mel
#                                        #   bands, top 80 dB, 256x128 RGBA) against librosa.load +
#                                        #   librosa.feature.melspectrogram + power_to_db + a PIL image
#                                        #   (pip install librosa first)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-waveform}
case "$MODE" in waveform|spectrogram) ;; *) echo "usage: $0 [waveform|spectrogram]" >&2; exit 2;; esac
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
SPOTCHECK_AUDIO_PICTURE="$MODE" SPOTCHECK_AUDIO_BENCH="$DIR" cargo test --release --test library audio_speed --quiet -- --ignored --nocapture \
  | tee /tmp/bench-audio-spotcheck.txt | grep -E "run|median"
python3 - "$DIR" "$MODE" <<'PY' | tee /tmp/bench-audio-peer.txt
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
def spectrogram_tile(path, w=256, h=128):
    import librosa
    y, sr = librosa.load(path, sr=None, mono=True)
    n_fft = 1024
    hop = max(n_fft // 4, (len(y) - n_fft) // w + 1)  # w frames across the clip, as spotcheck
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=64,
                                         htk=True, norm=None, center=False, window="hann")
    db = librosa.power_to_db(mel, ref=np.max, top_db=80.0)
    t = ((db + 80.0) / 80.0).clip(0, 1)
    ramp = np.linspace(0, 1, 256)
    lut = (np.stack([ramp ** 0.8, ramp ** 2.0, 0.4 * np.sin(np.pi * ramp) + 0.3 * ramp], 1) * 255).astype(np.uint8)
    rgb = lut[(t[::-1] * 255).astype(np.uint8)]
    img = Image.fromarray(rgb, "RGB").resize((w, h), Image.BILINEAR)
    return img.tobytes()[:1]
if sys.argv[2] == "spectrogram":
    tile = spectrogram_tile
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
