#!/usr/bin/env bash
# Benchmarks `spotcheck label-issues --json` against the pandas + cleanlab peer
# (scripts/label_issues_cleanlab.py: read both CSVs, join, find_label_issues ranked by self-confidence)
# on the same 1,000,000-row manifest + predictions: RUNS alternating runs of each (default 5), medians
# of wall time and peak RSS, and the ratio. spotcheck prints every candidate ranked (flagged ones marked),
# cleanlab its flagged samples; the script compares spotcheck's flagged rows with cleanlab's list.
#
#   scripts/bench-label-issues.sh             # data is made once into bench-data/ (about 1 minute)
#   RUNS=5 BENCH_DATA=../main/bench-data scripts/bench-label-issues.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RUNS=${RUNS:-5}
DATA=${BENCH_DATA:-bench-data}
# The peers live in the repository: tests/reference/ (the stats peer and the data generator).
bench_py() { echo "tests/reference/$1"; }
command -v /usr/bin/time >/dev/null || { echo "installing GNU time"; apt-get install -y -qq time >/dev/null; }
python3 -c "import numpy, pandas, cleanlab" 2>/dev/null || python3 -m pip install --quiet numpy pandas cleanlab

cargo build --release --quiet --bin spotcheck
BIN=${CARGO_TARGET_DIR:-target}/release/spotcheck
if [ ! -f "$DATA/probs.csv" ]; then
  mkdir -p "$DATA"
  python3 "$(bench_py make_bench_data.py)" "$DATA" --images 0
fi
M="$DATA/manifest.csv"; P="$DATA/probs.csv"

measure() { # runs a command; prints "seconds max_rss_kb"
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > "$TMP/out.json" 2>/dev/null
  tail -1 "$TMP/time"
}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
ours_t=(); ours_m=(); peer_t=(); peer_m=()
for i in $(seq "$RUNS"); do
  read -r t m < <(measure "$BIN" label-issues "$M" --predictions "$P" --json); ours_t+=("$t"); ours_m+=("$m")
  cp "$TMP/out.json" "$TMP/ours.json"
  read -r t m < <(measure python3 scripts/label_issues_cleanlab.py "$M" "$P"); peer_t+=("$t"); peer_m+=("$m")
  cp "$TMP/out.json" "$TMP/peer.json"
  echo "run $i: spotcheck ${ours_t[-1]} s, ${ours_m[-1]} KB; cleanlab ${peer_t[-1]} s, ${peer_m[-1]} KB"
done
python3 - "$TMP/ours.json" "$TMP/peer.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["num_candidates"] == b["num_candidates"], (a["num_candidates"], b["num_candidates"])
fa, fb = [i["file"] for i in a["issues"] if i["flagged"]], [i["file"] for i in b["issues"]]
assert a["num_flagged"] == len(fa), (a["num_flagged"], len(fa))
both = len(set(fa) & set(fb))
top = min(1000, len(fa), len(fb))
print(f"candidates {a['num_candidates']}; flagged: spotcheck {len(fa)}, cleanlab {len(fb)}, by both {both} "
      f"({both / max(1, len(set(fa) | set(fb))):.4%} of either); first {top} in the same order: {fa[:top] == fb[:top]}")
print("(cleanlab rounds its confident joint with np.argsort, whose x86 SIMD version is not stable: a"
      " count can move between equal cells, so a few samples may differ; see src/core/label_issues.rs)")
PY
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ot=$(median "${ours_t[@]}"); pt=$(median "${peer_t[@]}"); om=$(median "${ours_m[@]}"); pm=$(median "${peer_m[@]}")
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf 'label-issues on %s rows (median of %s):\n' "$(($(wc -l < "$M") - 1))" "$RUNS"
printf '  spotcheck  %6.2f s  %5d MB peak RSS\n' "$ot" "$((om / 1024))"
printf '  cleanlab   %6.2f s  %5d MB peak RSS\n' "$pt" "$((pm / 1024))"
awk -v o="$ot" -v p="$pt" 'BEGIN{printf "  speed-up   %.1fx (ratio of the medians)\n", p / o}'
ratios=(); for i in "${!ours_t[@]}"; do ratios+=("$(awk -v o="${ours_t[$i]}" -v p="${peer_t[$i]}" 'BEGIN{print p / o}')"); done
printf '  speed-up   %.1fx (median of the %s side-by-side ratios)\n' "$(median "${ratios[@]}")" "$RUNS"
