#!/usr/bin/env bash
# Benchmarks `spotcheck thumbs` and `spotcheck check` against the Pillow peers on the same 20,000
# EXIF-tagged JPEGs, side by side: RUNS alternating runs of each (default 3), medians of wall time and
# peak RSS, and the ratios.
#
#   scripts/bench-media.sh            # data is made once into bench-data/ (about 1 minute)
#   RUNS=5 OUT_BASE=/dev/shm scripts/bench-media.sh   # thumbnails written to tmpfs instead of disk
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RUNS=${RUNS:-3}
DATA=${BENCH_DATA:-bench-data}
OUT_BASE=${OUT_BASE:-$DATA}
SIZE=${SIZE:-256}
command -v /usr/bin/time >/dev/null || { echo "installing GNU time"; apt-get install -y -qq time >/dev/null; }
python3 -c "import numpy, pandas, PIL" 2>/dev/null || python3 -m pip install --quiet -r scripts/requirements.txt

cargo build --release --quiet
IMAGES="$DATA/images"
if [ ! -d "$IMAGES" ]; then
  python3 tests/reference/make_bench_data.py "$DATA" --rows 1000
fi
N=$(find "$IMAGES" -type f -name '*.jpg' | wc -l)
# Both sides read from the page cache, not the disk.
find "$IMAGES" -type f -print0 | xargs -0 cat > /dev/null

TMP=$(mktemp -d)
OUTS="$OUT_BASE/bench-thumbs-runs"
trap 'rm -rf "$TMP" "$OUTS"' EXIT
measure() { # runs a command; prints "seconds max_rss_kb"
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
  tail -1 "$TMP/time"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Every thumbs run writes into a folder of its own, and all are deleted at the end: ext4 steps over
# inodes deleted in the last 60 s when it creates files, which makes creating 20,000 files right
# after deleting 20,000 several times slower in the kernel, for whichever side runs next.
if [ -d "$OUTS" ]; then rm -rf "$OUTS"; sync; echo "waiting 65 s after deleting old outputs"; sleep 65; fi
mkdir -p "$OUTS"

declare -A T M
for i in $(seq "$RUNS"); do
  read -r t m < <(measure target/release/spotcheck thumbs "$IMAGES" --out "$OUTS/$i-ours" --size "$SIZE")
  T[thumbs_ours]+="$t "; M[thumbs_ours]+="$m "
  read -r t m < <(measure python3 scripts/peers/thumbs_pil.py "$IMAGES" "$OUTS/$i-peer" "$SIZE" --jobs 2)
  T[thumbs_peer]+="$t "; M[thumbs_peer]+="$m "
  read -r t m < <(measure target/release/spotcheck check "$IMAGES" --json)
  T[check_ours]+="$t "; M[check_ours]+="$m "; cp "$TMP/out" "$TMP/check_ours.json"
  read -r t m < <(measure python3 scripts/peers/check_pil.py "$IMAGES")
  T[check_peer]+="$t "; M[check_peer]+="$m "; cp "$TMP/out" "$TMP/check_peer.json"
  echo "run $i: thumbs $(echo ${T[thumbs_ours]} | awk '{print $NF}') s vs $(echo ${T[thumbs_peer]} | awk '{print $NF}') s;" \
       "check $(echo ${T[check_ours]} | awk '{print $NF}') s vs $(echo ${T[check_peer]} | awk '{print $NF}') s"
done
ours=$(find "$OUTS/$RUNS-ours" -name '*.png' | wc -l); peer=$(find "$OUTS/$RUNS-peer" -name '*.png' | wc -l)
python3 - "$TMP/check_ours.json" "$TMP/check_peer.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["num_samples"] == b["num_samples"], (a["num_samples"], b["num_samples"])
assert a["exif_orientation"] == b["exif_orientation"], (a["exif_orientation"], b["exif_orientation"])
assert len(a["duplicates"]) == len(b["duplicates"])
print(f"check outputs agree: {a['num_samples']} samples, same EXIF census, {len(a['duplicates'])} duplicate groups")
PY
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); thumbnails written under $OUTS ($(df -T "$OUTS" | awk 'NR==2{print $2}'))"
report() { # name ours peer
  # shellcheck disable=SC2086
  local ot pt om pm; ot=$(median ${T[$2]}); pt=$(median ${T[$3]}); om=$(median ${M[$2]}); pm=$(median ${M[$3]})
  printf '%s on %s JPEGs (median of %s):\n' "$1" "$N" "$RUNS"
  printf '  spotcheck  %6.2f s  %6.0f images/s  %5d MB peak RSS\n' "$ot" "$(awk -v n="$N" -v t="$ot" 'BEGIN{print n/t}')" "$((om / 1024))"
  printf '  peer       %6.2f s  %6.0f images/s  %5d MB peak RSS\n' "$pt" "$(awk -v n="$N" -v t="$pt" 'BEGIN{print n/t}')" "$((pm / 1024))"
  awk -v o="$ot" -v p="$pt" 'BEGIN{printf "  speed-up   %.1fx\n", p / o}'
}
report "thumbs --size $SIZE (peer: thumbs_pil.py --jobs 2; $ours vs $peer PNGs)" thumbs_ours thumbs_peer
report "check (peer: check_pil.py)" check_ours check_peer
