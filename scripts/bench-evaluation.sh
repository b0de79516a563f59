#!/usr/bin/env bash
# The evaluation views on the 1,000,000-row bench data: how long each change a user makes (split,
# bins, the split T is fitted on, class-wise) takes to recompute, median of RUNS (bar: 300 ms).
#   RUNS=5 scripts/bench-evaluation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f bench-data/probs.csv ] || { mkdir -p bench-data; python3 tests/reference/make_bench_data.py bench-data --images 0; }
cargo test --release --quiet --test library evaluation_speed -- --ignored --nocapture 2>&1 | grep -E "ms|passed|failed"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
