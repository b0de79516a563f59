#!/usr/bin/env python3
"""The near-duplicate peer: imagededup's PHash at its defaults on every image under OUT_DIR, scored
against OUT_DIR/truth.csv (made by scripts/make_near_dup_set.py).

    python3 scripts/peers/near_dup_imagededup.py OUT_DIR [--json]

imagededup (pip install imagededup) reads each file with PIL without applying the EXIF orientation,
converts to grey, resizes to 32x32 (LANCZOS), takes scipy's DCT along both axes, keeps the top-left 8x8
and sets a bit where the coefficient is >= the median of the 63 non-DC ones; find_duplicates returns,
for each file, the files within max_distance_threshold=10 bits.

Scores are over unordered file pairs. A true pair is two files of one truth group. imagededup answers
pairs directly ("direct"); "components" also scores the pairs within the connected components of those
pairs, which is how spotcheck reports groups. An EXIF-rotated copy counts as found when it is paired
with at least one other member of its group.

The scoring functions (load_truth, score, pairs_of_groups) are imported by scripts/bench-near-dup.sh.
"""
import csv
import itertools
import json
import logging
import sys
from collections import defaultdict
from pathlib import Path


def load_truth(root):
    """{file: group}, {file: variant} from ROOT/truth.csv."""
    group, variant = {}, {}
    with open(Path(root) / "truth.csv", newline="") as f:
        for row in csv.DictReader(f):
            group[row["file"]] = row["group"]
            variant[row["file"]] = row["variant"]
    return group, variant


def pairs_of_groups(groups):
    """Every unordered pair within each group (a list of lists of files)."""
    out = set()
    for g in groups:
        for a, b in itertools.combinations(sorted(set(g)), 2):
            out.add((a, b))
    return out


def components(pairs):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    comps = defaultdict(list)
    for x in list(parent):
        comps[find(x)].append(x)
    return list(comps.values())


def score(pairs, group, variant):
    """Pair precision/recall and EXIF-rotated copies found; files not in truth.csv are ignored."""
    pairs = {tuple(sorted(p)) for p in pairs if p[0] in group and p[1] in group and p[0] != p[1]}
    truth = pairs_of_groups(
        [fs for fs in _by_group(group).values()]
    )
    tp = len(pairs & truth)
    exifrot = [f for f, v in variant.items() if v == "exifrot"]
    found = {f for f in exifrot if any(f in p for p in pairs & truth)}
    wrong = sorted(pairs - truth)
    missed = defaultdict(int)  # original-copy pairs not reported, by the copy's variant
    for a, b in truth - pairs:
        if variant[a] == "original":
            missed[variant[b]] += 1
        elif variant[b] == "original":
            missed[variant[a]] += 1
    return {
        "reported_pairs": len(pairs),
        "true_pairs": len(truth),
        "true_positives": tp,
        "precision": tp / len(pairs) if pairs else 1.0,
        "recall": tp / len(truth) if truth else 1.0,
        "exifrot_found": len(found),
        "exifrot_total": len(exifrot),
        "false_pairs_sample": [list(p) for p in wrong[:5]],
        "original_copy_missed": dict(sorted(missed.items())),
    }


def _by_group(group):
    g = defaultdict(list)
    for f, gid in group.items():
        g[gid].append(f)
    return g


def fmt(name, s):
    return (f"{name:<28} precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
            f"({s['true_positives']}/{s['reported_pairs']} reported pairs true, {s['true_pairs']} true pairs)  "
            f"EXIF-rotated found {s['exifrot_found']}/{s['exifrot_total']}\n"
            f"{'':<28} original-copy pairs missed, by copy: {s['original_copy_missed']}")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    root = Path(args[0])
    logging.disable(logging.WARNING)  # imagededup warns about truth.csv ("invalid image format")
    from imagededup.methods import PHash

    phasher = PHash(verbose=False)
    dups = phasher.find_duplicates(image_dir=root, max_distance_threshold=10, recursive=True)
    pairs = {tuple(sorted((a, b))) for a, bs in dups.items() for b in bs}
    group, variant = load_truth(root)
    direct = score(pairs, group, variant)
    comp = score(pairs_of_groups(components(pairs)), group, variant)
    if "--json" in sys.argv:
        print(json.dumps({"direct": direct, "components": comp}))
        return
    print(fmt("imagededup PHash (direct)", direct))
    print(fmt("imagededup PHash (components)", comp))


if __name__ == "__main__":
    main()
