#!/usr/bin/env bash
# The persistent thumbnail cache: time from opening a dataset to a complete first screen of
# thumbnails, first with an empty cache (every photo decoded) and then again (read from the cache).
# Median of RUNS pairs, each pair with a new cache folder.
#   scripts/bench-disk-cache.sh [DATASET]   # default: bench-data/photos (scripts/make_photo_bench.py)
set -euo pipefail
cd "$(dirname "$0")/.."
DATASET=${1:-bench-data/photos}
RUNS=${RUNS:-3}
[ -d "$DATASET" ] || python3 scripts/make_photo_bench.py "$DATASET"
cargo build --release --quiet
FD=$(mktemp)
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$FD" 2>/dev/null & XVFB_PID=$!
WORK=$(mktemp -d)
trap 'kill $XVFB_PID 2>/dev/null || true; rm -rf "$FD" "$WORK"' EXIT
for _ in $(seq 50); do [ -s "$FD" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$FD")"
first_screen() { # CACHE_DIR -> seconds
  local log="$WORK/log"
  SPOTCHECK_CACHE_DIR=$1 SPOTCHECK_TIMING=1 XDG_DATA_HOME="$WORK/profile" \
    target/release/spotcheck "$DATASET" >"$log" 2>&1 & local pid=$!
  for _ in $(seq 600); do grep -q "first screen" "$log" && break; sleep 0.1; done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  grep -m1 "first screen" "$log" | sed 's/.* at \([0-9.]*\) s/\1/'
}
cold=(); warm=()
for i in $(seq "$RUNS"); do
  c=$(first_screen "$WORK/cache$i"); w=$(first_screen "$WORK/cache$i")
  echo "run $i: empty cache ${c} s, second opening ${w} s"
  cold+=("$c"); warm+=("$w")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mc=$(median "${cold[@]}"); mw=$(median "${warm[@]}")
echo "median: empty cache $mc s, second opening $mw s, $(awk "BEGIN {printf \"%.1f\", $mc/$mw}")x faster"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); llvmpipe under Xvfb at 1600x1000"
