#!/usr/bin/env bash
# The Beam stats against `spotcheck stats --json` on the 1,000,000-row bench manifest and
# predictions split into 16 shards each: both documents are compared (counts exact, metrics to
# 1e-9, T to 1e-3) and both times printed (median of N_RUNS, default 1).
#
#   scripts/bench-beam-stats.sh [N_RUNS]     # BIN=path/to/spotcheck (default target/release/spotcheck)
set -euo pipefail
cd "$(dirname "$0")/.."
N_RUNS=${1:-${N_RUNS:-1}}
BIN=${BIN:-target/release/spotcheck}
DATA=${BENCH_DATA:-bench-data}
SHARDS="$DATA/beam-stats-shards"
if [ ! -d "$SHARDS" ]; then
  mkdir -p "$SHARDS"
  python3 - "$DATA" "$SHARDS" <<'PY'
import sys
data, out = sys.argv[1:3]
for src, stem in (("manifest.csv", "manifest"), ("probs.csv", "predictions")):
    with open(f"{data}/{src}") as f:
        header = f.readline()
        files = [open(f"{out}/{stem}-{k:05d}-of-00016.csv", "w") for k in range(16)]
        for fh in files:
            fh.write(header)
        for i, line in enumerate(f):
            files[i % 16].write(line)
        for fh in files:
            fh.close()
PY
fi
tmp=$(mktemp -d)
for i in $(seq "$N_RUNS"); do
  s0=$(date +%s.%N)
  "$BIN" stats "$DATA/manifest.csv" --predictions "$DATA/probs.csv" --json > "$tmp/local.json" 2>/dev/null
  s1=$(date +%s.%N)
  python3 -m spotcheck.beam stats --manifest "$SHARDS/manifest-*.csv" --predictions "$SHARDS/predictions-*.csv" \
    --output "$tmp/beam.json" --runner DirectRunner --direct_num_workers 2 --direct_running_mode multi_processing \
    > "$tmp/log" 2>&1 || { tail -20 "$tmp/log"; exit 1; }
  s2=$(date +%s.%N)
  python3 -c "print(f'run $i: spotcheck stats {$s1 - $s0:.2f} s, Beam stats (16+16 shards, DirectRunner, 2 workers) {$s2 - $s1:.2f} s')"
done
python3 - "$tmp/beam.json" "$tmp/local.json" <<'PY'
import json, sys
beam, local = (json.load(open(p)) for p in sys.argv[1:3])
worst = {"metric": 0.0, "temperature": 0.0}
def same(b, l, path):
    if isinstance(l, dict):
        assert list(b) == list(l), path
        for k in l: same(b[k], l[k], f"{path}.{k}")
    elif isinstance(l, list):
        assert len(b) == len(l), path
        for i, (x, y) in enumerate(zip(b, l)): same(x, y, f"{path}[{i}]")
    elif isinstance(l, float) or isinstance(b, float):
        key = "temperature" if path.endswith(".temperature") else "metric"
        worst[key] = max(worst[key], abs(b - l))
    else:
        assert b == l, f"{path}: {b} != {l}"
same(beam, local, "doc")
print(f"counts equal; largest metric difference {worst['metric']:.2e} (bar 1e-9), "
      f"temperature difference {worst['temperature']:.2e} (bar 1e-3); T = {local['calibration']['temperature']}")
assert worst["metric"] <= 1e-9 and worst["temperature"] <= 1e-3
PY
rm -rf "$tmp"
