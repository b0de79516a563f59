#!/usr/bin/env python3
"""Makes a near-duplicate benchmark set from real photos.

    python3 scripts/make_near_dup_set.py OUT_DIR

Sources (real photos only; the synthetic bench JPEGs are not used):
  - the EXIF orientation examples (tests/data/exif-orientation-examples): 18 files but only 2 pictures
    (landscape, portrait) stored 9 ways each, so only the Orientation-1 file of each is used;
  - scikit-learn's sample images china.jpg and flower.jpg;
  - matplotlib's grace_hopper.jpg when matplotlib is installed.
Each full upright picture is one original, and well-separated, non-overlapping crops of them are more
originals (a 3x2 grid of the large photos, a 2x2 grid of the small ones, top and bottom halves of the
portrait of Grace Hopper).

For each original, OUT_DIR/train/CLASS/NAME.jpg holds the original and OUT_DIR/test/CLASS/ six copies:
  resized   50% (JPEG q90)         jpeg30    recompressed at JPEG quality 30
  png       re-encoded as PNG      crop5     5% cut off each side (JPEG q90)
  bright    brightness +20% (q90)  exifrot   pixels rotated 90 degrees counter-clockwise, EXIF
                                             Orientation 6 so an EXIF-aware viewer shows it upright
CLASS is the source photo. OUT_DIR/truth.csv lists group,file,variant for every file: pairs within a
group are true near-duplicate pairs, pairs across groups are not.
"""
import csv
import io
import os
import sys
from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps

REPO = Path(__file__).resolve().parent.parent


def find_exif_examples():
    for cand in (
        os.environ.get("EXIF_EXAMPLES"),
        REPO / "tests/data/exif-orientation-examples",
    ):
        if cand and (Path(cand) / "Landscape_1.jpg").is_file():
            return Path(cand).resolve()
    sys.exit("cannot find exif-orientation-examples (set EXIF_EXAMPLES=DIR)")


def grid_crops(im, cols, rows):
    """Non-overlapping cells of a cols x rows grid, each shrunk by 4% on every side (a gap between cells)."""
    w, h = im.size
    out = []
    for r in range(rows):
        for c in range(cols):
            x0, x1 = w * c // cols, w * (c + 1) // cols
            y0, y1 = h * r // rows, h * (r + 1) // rows
            mx, my = (x1 - x0) * 4 // 100, (y1 - y0) * 4 // 100
            out.append((f"r{r}c{c}", im.crop((x0 + mx, y0 + my, x1 - mx, y1 - my))))
    return out


def sources():
    """(class, name, upright RGB image) for every original."""
    ex = find_exif_examples()
    land = ImageOps.exif_transpose(Image.open(ex / "Landscape_1.jpg")).convert("RGB")
    port = ImageOps.exif_transpose(Image.open(ex / "Portrait_1.jpg")).convert("RGB")
    out = [("landscape", "landscape_full", land), ("portrait", "portrait_full", port)]
    out += [("landscape", f"landscape_{n}", c) for n, c in grid_crops(land, 3, 2)]
    out += [("portrait", f"portrait_{n}", c) for n, c in grid_crops(port, 2, 3)]

    from sklearn.datasets import load_sample_images

    data = load_sample_images()
    for fname, arr in zip(data.filenames, data.images):
        cls = Path(fname).stem  # china, flower
        im = Image.fromarray(arr).convert("RGB")
        out.append((cls, f"{cls}_full", im))
        out += [(cls, f"{cls}_{n}", c) for n, c in grid_crops(im, 2, 2)]

    try:
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            gh = ImageOps.exif_transpose(Image.open(f)).convert("RGB")
        out.append(("grace_hopper", "grace_hopper_full", gh))
        out += [("grace_hopper", f"grace_hopper_{n}", c) for n, c in grid_crops(gh, 1, 2)]
    except Exception as e:  # matplotlib missing or no sample data: the set is made without it
        print(f"note: grace_hopper.jpg not used ({e})", file=sys.stderr)
    return out


def save_jpeg(im, path, quality=90, exif=None):
    kw = {"quality": quality}
    if exif is not None:
        kw["exif"] = exif
    im.save(path, "JPEG", **kw)


def copies(im):
    """(variant, extension, writer) for the six copies."""
    w, h = im.size

    def resized(p):
        save_jpeg(im.resize((max(1, w // 2), max(1, h // 2)), Image.LANCZOS), p)

    def jpeg30(p):
        save_jpeg(im, p, quality=30)

    def png(p):
        im.save(p, "PNG")

    def crop5(p):
        dx, dy = w * 5 // 100, h * 5 // 100
        save_jpeg(im.crop((dx, dy, w - dx, h - dy)), p)

    def bright(p):
        save_jpeg(ImageEnhance.Brightness(im).enhance(1.2), p)

    def exifrot(p):
        # Stored pixels turned 90 degrees counter-clockwise; Orientation 6 = "rotate 90 CW to display".
        exif = Image.Exif()
        exif[0x0112] = 6
        save_jpeg(im.transpose(Image.Transpose.ROTATE_90), p, exif=exif.tobytes())

    return [("resized", "jpg", resized), ("jpeg30", "jpg", jpeg30), ("png", "png", png),
            ("crop5", "jpg", crop5), ("bright", "jpg", bright), ("exifrot", "jpg", exifrot)]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    if out.exists() and any(out.iterdir()):
        sys.exit(f"{out}: exists and is not empty")
    rows = []
    srcs = sources()
    for cls, name, im in srcs:
        for split in ("train", "test"):
            (out / split / cls).mkdir(parents=True, exist_ok=True)
        rel = f"train/{cls}/{name}.jpg"
        save_jpeg(im, out / rel, quality=95)
        rows.append((name, rel, "original"))
        for variant, ext, write in copies(im):
            rel = f"test/{cls}/{name}_{variant}.{ext}"
            write(out / rel)
            rows.append((name, rel, variant))
        # The EXIF-rotated copy must look upright to an EXIF-aware reader.
        back = ImageOps.exif_transpose(Image.open(out / f"test/{cls}/{name}_exifrot.jpg"))
        assert back.size == im.size, (name, back.size, im.size)
    with open(out / "truth.csv", "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["group", "file", "variant"])
        wr.writerows(rows)
    n_groups = len(srcs)
    print(f"{out}: {n_groups} originals, {len(rows)} files, "
          f"{sum(7 * 6 // 2 for _ in srcs)} true near-duplicate pairs")


if __name__ == "__main__":
    main()
