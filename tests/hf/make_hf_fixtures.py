"""Makes the Hugging Face fixtures of tests/cli/hf_datasets.rs with the `datasets` library itself
(offline: Dataset.from_dict, cast_column(Image()), ClassLabel, to_parquet, save_to_disk).

usage: make_hf_fixtures.py PHOTOS_DIR OUT_DIR

OUT_DIR/
  images/data/{train,validation}-00000-of-00001.parquet   Image + ClassLabel,
                                                         2 unlabelled rows, a metadata column
  images.csv + images_files/                             the same samples as files + a CSV manifest
  images_predictions.csv / images_files_predictions.csv  the same predictions keyed both ways
  images_predictions.parquet                             images_predictions.csv saved by pandas
  saved/                                                 the same DatasetDict, save_to_disk (Arrow streams)
  audio/train-00000-of-00001.parquet                    Audio feature, WAV bytes
  text/train.parquet                                     a text dataset (no media)
  named/named.parquet                                    Image + a file_name column (identity), a ClassLabel
                                                         name with no samples ("owl")
"""
import io
import math
import os
import shutil
import struct
import sys
import wave

import datasets
from datasets import Audio, ClassLabel, Dataset, DatasetDict, Features, Image, Value

photos, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)

files = sorted(f for f in os.listdir(photos) if f.lower().endswith(".jpg"))
NAMES = ["landscape", "portrait"]
# named.parquet declares a class with no samples; its id comes last, its name sorts in between.
NAMED = NAMES + ["owl"]
rows = {"train": [], "validation": []}
for i, f in enumerate(files):
    split = "validation" if i % 4 == 3 else "train"
    label = NAMES.index(f.split("_")[0].lower())
    if f in ("Landscape_5.jpg", "Portrait_2.jpg"):
        label = -1
    rows[split].append((f, label))

def features(with_name=False):
    cols = {"image": Image(), "label": ClassLabel(names=NAMED if with_name else NAMES), "photographer": Value("string"), "score": Value("float64")}
    if with_name:
        cols = {"file_name": Value("string"), **cols}
    return Features(cols)

def table(split, with_name=False):
    d = {
        "image": [os.path.join(photos, f) for f, _ in rows[split]],
        "label": [l for _, l in rows[split]],
        "photographer": [f"p{j % 3}" for j in range(len(rows[split]))],
        "score": [round(0.25 * j, 2) for j in range(len(rows[split]))],
    }
    if with_name:
        d = {"file_name": [f"photos/{f}" for f, _ in rows[split]], **d}
    # embed_external_files: the bytes go into the table, not the path.
    ds = Dataset.from_dict(d, features=features(with_name))
    return ds.cast_column("image", Image(decode=False)).map(
        lambda ex: {"image": {"bytes": open(ex["image"]["path"], "rb").read(), "path": os.path.basename(ex["image"]["path"])}},
        features=Features({**features(with_name), "image": Image(decode=False)}),
    )

dd = DatasetDict({s: table(s) for s in rows})
os.makedirs(f"{out}/images/data", exist_ok=True)
for s, ds in dd.items():
    ds.to_parquet(f"{out}/images/data/{s}-00000-of-00001.parquet")
dd.save_to_disk(f"{out}/saved")

# The same samples as files with a CSV manifest, and predictions keyed both ways.
os.makedirs(f"{out}/images_files", exist_ok=True)
lines = ["file_name,label,split,photographer,score"]
pred_hf = ["file_name,prob_landscape,prob_portrait"]
pred_files = list(pred_hf)
for s in rows:
    for j, (f, l) in enumerate(rows[s]):
        shutil.copy(os.path.join(photos, f), f"{out}/images_files/{f}")
        lines.append(f"{f},{NAMES[l] if l >= 0 else ''},{s},p{j % 3},{round(0.25 * j, 2)}")
        # A made-up but deterministic model: right on most, wrong on some.
        p = [0.15, 0.85] if (j + len(f)) % 3 else [0.7, 0.3]
        row = ",".join(str(x) for x in p)
        pred_hf.append(f"{s}/{j},{row}")
        pred_files.append(f"{f},{row}")
open(f"{out}/images_files/metadata.csv", "w").write("\n".join(lines) + "\n")
open(f"{out}/images_predictions.csv", "w").write("\n".join(pred_hf) + "\n")
open(f"{out}/images_files_predictions.csv", "w").write("\n".join(pred_files) + "\n")
# The same predictions as Parquet, the way pandas users save them.
import pandas as pd
pd.read_csv(f"{out}/images_predictions.csv").to_parquet(f"{out}/images_predictions.parquet")

# A file_name column gives the identity.
os.makedirs(f"{out}/named", exist_ok=True)
table("train", with_name=True).to_parquet(f"{out}/named/named.parquet")

# Audio: short WAV tones.
def wav(freq, seconds=0.25, rate=8000):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * t / rate))) for t in range(int(rate * seconds))))
    return buf.getvalue()

# Built as a {bytes, path} struct, then cast to Audio: encoding examples through Audio() would need
# torchcodec, casting the Arrow storage does not.
audio = Dataset.from_dict(
    {"audio": [{"bytes": wav(220 * (k + 1)), "path": f"tone{k}.wav"} for k in range(4)], "label": [0, 1, 0, 1]},
    features=Features({"audio": {"bytes": Value("binary"), "path": Value("string")}, "label": ClassLabel(names=["high", "low"])}),
).cast_column("audio", Audio(decode=False))
os.makedirs(f"{out}/audio", exist_ok=True)
audio.to_parquet(f"{out}/audio/train-00000-of-00001.parquet")

text = Dataset.from_dict(
    {"text": ["a fine film", "dull and long", "", None, "fine acting"], "label": [1, 0, 0, -1, 1], "stars": [5, 1, 2, 3, 4]},
    features=Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"]), "stars": Value("int32")}),
)
os.makedirs(f"{out}/text", exist_ok=True)
text.to_parquet(f"{out}/text/train.parquet")
print("made", out, "with datasets", datasets.__version__)
