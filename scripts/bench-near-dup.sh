#!/usr/bin/env bash
# Near-duplicate accuracy: `spotcheck check DIR --json` (near_duplicates + duplicates groups) against
# imagededup's PHash at its defaults, on the same real-photo set (scripts/make_near_dup_set.py: 27
# originals, 6 copies each: resized 50%, JPEG q30, PNG, 5% crop, +20% brightness, EXIF-rotated).
# Scores are pair precision/recall against truth.csv, and how many EXIF-rotated copies each tool found.
# It is about accuracy, not speed: one run.
#
#   scripts/bench-near-dup.sh                 # the set is made once into bench-data/near-dup
#   NEAR_DUP=/tmp/nd SPOTCHECK=path/to/spotcheck scripts/bench-near-dup.sh
#
# The script does not build: it uses target/release/spotcheck (or $SPOTCHECK) as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
SET=${NEAR_DUP:-${BENCH_DATA:-bench-data}/near-dup}
BIN=${SPOTCHECK:-target/release/spotcheck}
THRESHOLD=${THRESHOLD:-10}
python3 -c "import imagededup, sklearn, PIL" 2>/dev/null || python3 -m pip install --quiet imagededup scikit-learn pillow
[ -x "$BIN" ] || { echo "$BIN: not built (cargo build --release)" >&2; exit 1; }
if [ -n "$(find src -newer "$BIN" -name '*.rs' -print -quit)" ]; then
  echo "warning: $BIN is older than some of src/" >&2
fi
[ -f "$SET/truth.csv" ] || python3 scripts/make_near_dup_set.py "$SET"

TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
"$BIN" check "$SET" --json --near-threshold "$THRESHOLD" > "$TMP/check.json"
python3 scripts/peers/near_dup_imagededup.py "$SET" --json > "$TMP/peer.json"

python3 - "$SET" "$TMP/check.json" "$TMP/peer.json" <<'PY'
import json, sys
sys.path.insert(0, "scripts/peers")
from near_dup_imagededup import load_truth, pairs_of_groups, score, fmt

root, check, peer = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
group, variant = load_truth(root)
near = check.get("near_duplicates")
if near is None:
    sys.exit("spotcheck check --json has no near_duplicates (binary too old?)")
groups = [g["files"] for g in near] + [g["files"] for g in check.get("duplicates", [])]
ours = score(pairs_of_groups(groups), group, variant)
unknown = sorted({f for g in groups for f in g} - set(group))
print(f"near-duplicates on {len(group)} files, {len(set(group.values()))} originals "
      f"({ours['true_pairs']} true pairs); threshold 10 bits for both")
print(fmt(f"spotcheck ({len(near)} near + {len(check.get('duplicates', []))} byte groups)", ours))
print(fmt("imagededup PHash (direct)", peer["direct"]))
print(fmt("imagededup PHash (components)", peer["components"]))
if ours["false_pairs_sample"]:
    print("spotcheck false pairs (first 5):", ours["false_pairs_sample"])
if unknown:
    print("files in spotcheck's groups not in truth.csv:", unknown[:5])
big = sorted(near, key=lambda g: -len(g["files"]))[:3]
print("spotcheck largest near groups:", [(len(g["files"]), g["max_distance"]) for g in big])
PY
