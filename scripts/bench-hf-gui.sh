#!/usr/bin/env bash
# Opens a dataset in the app under Xvfb and reports, from spotcheck's own timing lines, when the grid
# was usable and when the first screen of thumbnails had shown (both since the open began), with the
# process's resident memory at that moment and its peak. Median of RUNS runs; the page cache is
# dropped before each run when possible, and the thumbnail cache starts empty.
#   scripts/bench-hf-gui.sh [DATASET...]   (default: bench-data/hf-1m and bench-data/manifest-10m.parquet;
#   make them with scripts/bench-hf.sh; needs xvfb: scripts/setup-debian.sh --headless)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
BIN=${SPOTCHECK_BIN:-target/release/spotcheck}
[ -x "$BIN" ] || { echo "build first: cargo build --release"; exit 1; }
[ $# -gt 0 ] || set -- bench-data/hf-1m bench-data/manifest-10m.parquet
FD=$(mktemp)
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$FD" 2>/dev/null & XVFB_PID=$!
trap 'kill $XVFB_PID 2>/dev/null || true; rm -f "$FD"' EXIT
for _ in $(seq 50); do [ -s "$FD" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$FD")"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for DATASET in "$@"; do
  grid=(); tiles=(); rss=(); peak=()
  for i in $(seq "$RUNS"); do
    sync; (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null || true
    LOG=$(mktemp); CACHE=$(mktemp -d)
    SPOTCHECK_TIMING=1 SPOTCHECK_CACHE_DIR="$CACHE" XDG_DATA_HOME="$CACHE" "$BIN" "$DATASET" >"$LOG" 2>&1 & PID=$!
    for _ in $(seq 1200); do grep -q "first screen of thumbnails" "$LOG" && break; sleep 0.05; done
    R=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$PID/status); P=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
    kill $PID 2>/dev/null; wait $PID 2>/dev/null || true
    G=$(grep "grid ready" "$LOG" | grep -o 'at [0-9.]* s' | head -1 | cut -d' ' -f2)
    T=$(grep "first screen of thumbnails" "$LOG" | grep -o 'at [0-9.]* s' | head -1 | cut -d' ' -f2)
    echo "$DATASET run $i: grid usable ${G:-?} s, first screen of tiles ${T:-?} s, RSS ${R} MB (peak ${P} MB)"
    grid+=("$G"); tiles+=("$T"); rss+=("$R"); peak+=("$P")
    [ -n "${KEEP_LOG:-}" ] && cat "$LOG"
    rm -rf "$LOG" "$CACHE"
  done
  echo "$DATASET median: grid usable $(printf '%s\n' "${grid[@]}" | median) s, first screen of tiles $(printf '%s\n' "${tiles[@]}" | median) s, RSS $(printf '%s\n' "${rss[@]}" | median) MB, peak $(printf '%s\n' "${peak[@]}" | median) MB"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); software rendering under Xvfb"
