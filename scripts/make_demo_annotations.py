#!/usr/bin/env python3
"""Writes assets/demo/annotations.csv: five made-up annotators' judgements of the demo photos (run
once; the output is committed), so the demo shows crowd labels: votes on tiles, the Annotators view,
the disagreement queue.

    python3 scripts/make_demo_annotations.py

Three careful annotators (right 95% of the time), one hurried one (right 70%), and one who judges a
photo by its stored pixels' aspect ratio (the EXIF mistake, like the demo's naive model), each
every photo judged by 3-5 of them. Standard library only.
"""

import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo"


def main():
    rng = random.Random(7)
    files = sorted(p.relative_to(DEMO).as_posix() for p in DEMO.rglob("*.jpg"))
    annotators = {"ana": 0.95, "ben": 0.95, "chen": 0.95, "dana": 0.7, "eli": None}
    rows = []
    for f in files:
        truth = f.split("/")[1]
        other = "portrait" if truth == "landscape" else "landscape"
        orientation = int(f.rsplit("orientation", 1)[1].split(".")[0])
        sideways = orientation >= 5
        who = rng.sample(sorted(annotators), rng.randint(3, 5))
        for a in sorted(who):
            accuracy = annotators[a]
            if accuracy is None:
                # Looks at the pixels as stored: a sideways photo reads as the other class.
                label = other if sideways else truth
            else:
                label = truth if rng.random() < accuracy else other
            rows.append((f, a, label))
    with open(DEMO / "annotations.csv", "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["file_name", "annotator", "label"])
        w.writerows(rows)
    print(f"wrote {len(rows)} judgements of {len(files)} photos to {DEMO / 'annotations.csv'}")


if __name__ == "__main__":
    main()
