#!/usr/bin/env bash
# Scripted scroll through the app's grid under Xvfb: opens DATASET (default: the 20,000 bench JPEGs),
# scrolls down steadily for SECONDS while thumbnails stream in, and prints the frame times (the
# interval between frames, and spotcheck's own work per frame). Median of RUNS runs.
#   scripts/bench-gui.sh [DATASET]      # needs: xvfb (scripts/setup-debian.sh --headless installs it)
set -euo pipefail
cd "$(dirname "$0")/.."
DATASET=${1:-bench-data/images}
SECONDS_=${SECONDS_SCROLL:-15}
RUNS=${RUNS:-3}
cargo build --release --quiet
FD=$(mktemp)
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$FD" 2>/dev/null & XVFB_PID=$!
trap 'kill $XVFB_PID 2>/dev/null || true; rm -f "$FD"' EXIT
for _ in $(seq 50); do [ -s "$FD" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$FD")"
for i in $(seq "$RUNS"); do
  # A fresh profile each run, so no thumbnail is cached from the last.
  XDG_DATA_HOME=$(mktemp -d) SPOTCHECK_SCROLL_BENCH=$SECONDS_ timeout 120 target/release/spotcheck "$DATASET" 2>&1 \
    | grep "scroll bench" | sed "s/^/run $i: /"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); software rendering (llvmpipe) under Xvfb at 1600x1000"
