#!/usr/bin/env python3
"""Makes the small media fixtures under tests/data/formats/ (committed; rerun only to change them).

Every image is the same 48x32 picture (a left-to-right gradient with a dark top-left corner, so
orientation and colour mistakes show) in one of the encodings the decoder must handle: greyscale,
palette, RGBA, 16-bit PNG and TIFF, progressive and CMYK JPEG, WebP, GIF, BMP. Audio: 0.25 s of a
440 Hz tone as WAV, FLAC, Ogg Vorbis and MP3 (the last three need `sox` with its mp3 handler).
Needs numpy and Pillow.
"""

import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "formats"


def picture() -> np.ndarray:
    w, h = 48, 32
    x = np.linspace(40, 230, w)[None, :].repeat(h, 0)
    rgb = np.stack([x, 255 - x, np.full_like(x, 120)], axis=2)
    rgb[:10, :14] = 10  # dark corner at the top left
    return rgb.astype(np.uint8)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rgb = Image.fromarray(picture(), "RGB")
    rgb.save(OUT / "rgb.png")
    rgb.convert("L").save(OUT / "grey.png")
    rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(OUT / "palette.png")
    rgba = rgb.convert("RGBA")
    alpha = np.full((32, 48), 255, np.uint8)
    alpha[:, 40:] = 0
    rgba.putalpha(Image.fromarray(alpha, "L"))
    rgba.save(OUT / "rgba.png")
    grey16 = (np.asarray(rgb.convert("L"), np.uint16) * 257).astype(np.uint16)
    Image.fromarray(grey16).save(OUT / "grey16.png")
    Image.fromarray(grey16).save(OUT / "grey16.tif")
    rgb.save(OUT / "rgb.tif", compression="tiff_lzw")
    rgb.save(OUT / "progressive.jpg", quality=90, progressive=True)
    rgb.convert("L").save(OUT / "grey.jpg", quality=90)
    rgb.convert("CMYK").save(OUT / "cmyk.jpg", quality=90)
    rgb.save(OUT / "rgb.webp", quality=90)
    rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(OUT / "palette.gif")
    rgb.save(OUT / "rgb.bmp")

    rate = 16000
    t = np.arange(int(rate * 0.25)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(OUT / "tone.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone.tobytes())
    if shutil.which("sox"):
        for ext in ("flac", "ogg", "mp3"):
            subprocess.run(["sox", str(OUT / "tone.wav"), str(OUT / f"tone.{ext}")], check=True)
    else:
        print("sox not found: flac/ogg/mp3 fixtures not made", file=sys.stderr)


if __name__ == "__main__":
    main()
