#!/usr/bin/env bash
# Benchmarks `spotcheck scan --thumbnails 128` against the Python peer (scripts/peers/scan_peer.py: PIL,
# imagehash, numpy/scipy, xxhash, pyarrow, a process per core) on the same 20,000 EXIF-tagged JPEGs,
# side by side: N_RUNS alternating runs of each (default 3), medians of wall time and peak RSS, the ratio,
# and a check that both Parquet files describe the same files the same way.
#
#   scripts/bench-scan.sh          # 3 runs; the images are made once into bench-data/images
#   scripts/bench-scan.sh 5        # or N_RUNS=5; OUT_BASE=/dev/shm writes the Parquet files to tmpfs
#
# The page cache is dropped before every run when this shell may (root with a writable
# /proc/sys/vm/drop_caches); otherwise, or with CACHE=warm, both sides read warm files (every image
# read once first).
# The script does not build: it uses target/release/spotcheck (or $SPOTCHECK) as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
N_RUNS=${1:-${N_RUNS:-3}}
DATA=${BENCH_DATA:-bench-data}
OUT_BASE=${OUT_BASE:-/tmp}
SIZE=${SIZE:-128}
BIN=${SPOTCHECK:-target/release/spotcheck}
command -v /usr/bin/time >/dev/null || { echo "installing GNU time"; apt-get install -y -qq time >/dev/null; }
python3 -c "import numpy, scipy, PIL, imagehash, xxhash, pyarrow" 2>/dev/null ||
  python3 -m pip install --quiet numpy scipy pillow imagehash xxhash pyarrow
[ -x "$BIN" ] || { echo "$BIN: not built (cargo build --release)" >&2; exit 1; }
if [ -n "$(find src -newer "$BIN" -name '*.rs' -print -quit)" ]; then
  echo "warning: $BIN is older than some of src/" >&2
fi
IMAGES="$DATA/images"
if [ ! -d "$IMAGES" ]; then
  python3 tests/reference/make_bench_data.py "$DATA" --rows 1000
fi
N=$(find "$IMAGES" -type f -name '*.jpg' | wc -l)

if [ "${CACHE:-cold}" != warm ] && sync && (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
  COLD=1; cache="cold (page cache dropped before each run)"
else
  COLD=0; cache="warm (every image read once first; CACHE=${CACHE:-cold})"
  find "$IMAGES" -type f -print0 | xargs -0 cat > /dev/null
fi
drop() { if [ "$COLD" = 1 ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi; }

TMP=$(mktemp -d "$OUT_BASE/bench-scan.XXXXXX"); trap 'rm -rf "$TMP"' EXIT
measure() { # runs a command; prints "seconds max_rss_kb"
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > "$TMP/out" 2> "$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
  tail -1 "$TMP/time"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

ours_t=(); ours_m=(); peer_t=(); peer_m=(); ratios=()
for i in $(seq "$N_RUNS"); do
  rm -f "$TMP/ours.parquet" "$TMP/peer.parquet"
  drop
  read -r t m < <(measure "$BIN" scan "$IMAGES" --thumbnails "$SIZE" --out "$TMP/ours.parquet"); ours_t+=("$t"); ours_m+=("$m")
  drop
  read -r t m < <(measure python3 scripts/peers/scan_peer.py "$IMAGES" --thumbnails "$SIZE" --out "$TMP/peer.parquet"); peer_t+=("$t"); peer_m+=("$m")
  ratios+=("$(awk -v o="${ours_t[-1]}" -v p="${peer_t[-1]}" 'BEGIN{print p / o}')")
  printf 'run %s: spotcheck %6.2f s %5d MB; peer %6.2f s %5d MB; peer/spotcheck %.1fx\n' "$i" \
    "${ours_t[-1]}" "$((ours_m[-1] / 1024))" "${peer_t[-1]}" "$((peer_m[-1] / 1024))" "${ratios[-1]}"
done

python3 - "$TMP/ours.parquet" "$TMP/peer.parquet" <<'PY'
import sys
import numpy as np
import pyarrow.parquet as pq
a, b = (pq.read_table(p).to_pandas() for p in sys.argv[1:3])
print(f"outputs: spotcheck {len(a)} rows, {a.columns.size} columns; peer {len(b)} rows, {b.columns.size} columns")
missing = sorted(set(b.columns) - set(a.columns))
if missing:
    print("  columns the peer has and spotcheck lacks:", missing)
m = a.merge(b, on="file", suffixes=("_o", "_p"))
assert len(m) == len(a) == len(b), ("files differ", len(m), len(a), len(b))
for col in ("xxh3_128", "width", "height", "size_bytes", "split", "label"):
    if col + "_o" in m:
        bad = (m[col + "_o"].astype(str) != m[col + "_p"].astype(str)).sum()
        print(f"  {col}: {len(m) - bad}/{len(m)} equal")
if "orientation_o" in m:
    bad = (m["orientation_o"].fillna(-1).astype(int) != m["orientation_p"].fillna(-1).astype(int)).sum()
    print(f"  orientation: {len(m) - bad}/{len(m)} equal")
ham = np.array([bin(int(x, 16) ^ int(y, 16)).count("1") for x, y in zip(m["phash_o"], m["phash_p"])])
print(f"  phash Hamming distance spotcheck vs imagehash (box vs Lanczos resize, median over 64 in both):"
      f" mean {ham.mean():.2f}, median {np.median(ham):.0f}, max {ham.max()}, {np.mean(ham <= 10) * 100:.1f}% <= 10")
for col in ("brightness", "contrast"):
    d = (m[col + "_o"] - m[col + "_p"]).abs()
    print(f"  {col}: max |diff| {d.max():.4f}")
r = np.corrcoef(np.log1p(m["sharpness_o"]), np.log1p(m["sharpness_p"]))[0, 1]
print(f"  sharpness: correlation of log(1+x) {r:.3f}, median ratio spotcheck/peer {np.median(m['sharpness_o'] / m['sharpness_p']):.3f}")
if "thumbnail_o" in m:
    from io import BytesIO
    from PIL import Image
    sizes = [(Image.open(BytesIO(x)).size, Image.open(BytesIO(y)).size) for x, y in zip(m["thumbnail_o"][:200], m["thumbnail_p"][:200])]
    print(f"  thumbnails: {sum(s == t for s, t in sizes)}/{len(sizes)} of the first 200 have the same size")
PY

ot=$(median "${ours_t[@]}"); pt=$(median "${peer_t[@]}"); om=$(median "${ours_m[@]}"); pm=$(median "${peer_m[@]}")
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); files $cache"
printf 'scan --thumbnails %s on %s JPEGs (median of %s):\n' "$SIZE" "$N" "$N_RUNS"
printf '  spotcheck  %6.2f s  %6.0f images/s  %5d MB peak RSS\n' "$ot" "$(awk -v n="$N" -v t="$ot" 'BEGIN{print n/t}')" "$((om / 1024))"
printf '  peer       %6.2f s  %6.0f images/s  %5d MB peak RSS\n' "$pt" "$(awk -v n="$N" -v t="$pt" 'BEGIN{print n/t}')" "$((pm / 1024))"
awk -v o="$ot" -v p="$pt" 'BEGIN{printf "  speed-up   %.1fx (ratio of the medians)\n", p / o}'
printf '  speed-up   %.1fx (median of the %s side-by-side ratios)\n' "$(median "${ratios[@]}")" "$N_RUNS"
