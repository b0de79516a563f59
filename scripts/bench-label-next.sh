#!/usr/bin/env bash
# Benchmarks `spotcheck label-next --top 1000 --json` against the pandas + NumPy peer
# (scripts/peers/label_next_numpy.py: read both CSVs, score, stable argsort, first K) on the
# 1,000,000-row bench data with its labels dropped (every sample a candidate): RUNS alternating runs of
# each (default 5), medians of wall time and peak RSS, the ratio, and the time to read the data alone
# (the load phase of the same command, SPOTCHECK_TIMING=1, and `spotcheck stats DATASET --predictions
# FILE --json`, which reads the same files and computes little without labels). The script checks that
# both rank the same 1,000 samples in the same order with the same scores (1e-12).
#
#   scripts/bench-label-next.sh                # data is made once into bench-data/ (about 1 minute)
#   RUNS=5 BENCH_DATA=../main/bench-data scripts/bench-label-next.sh
# The label-free manifest is written to bench-data/ of this checkout (git-ignored) either way.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RUNS=${RUNS:-5}
STRATEGY=${STRATEGY:-least-confidence}
DATA=${BENCH_DATA:-bench-data}
command -v /usr/bin/time >/dev/null || { echo "installing GNU time"; apt-get install -y -qq time >/dev/null; }
python3 -c "import numpy, pandas" 2>/dev/null || python3 -m pip install --quiet numpy pandas

cargo build --release --quiet --no-default-features --bin spotcheck
BIN=${CARGO_TARGET_DIR:-target}/release/spotcheck
if [ ! -f "$DATA/probs.csv" ]; then
  mkdir -p "$DATA"
  python3 tests/reference/make_bench_data.py "$DATA" --images 0
fi
P="$DATA/probs.csv"
mkdir -p bench-data
M=bench-data/manifest-unlabelled.csv
if [ ! -f "$M" ] || [ "$DATA/manifest.csv" -nt "$M" ]; then
  echo "dropping the label column of $DATA/manifest.csv -> $M"
  python3 - "$DATA/manifest.csv" "$M" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as g:
    r, w = csv.reader(f), csv.writer(g, lineterminator="\n")
    head = next(r); keep = [i for i, h in enumerate(head) if h != "label"]
    w.writerow([head[i] for i in keep])
    for row in r:
        w.writerow([row[i] for i in keep])
PY
fi

measure() { # runs a command; prints "seconds max_rss_kb"
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > "$TMP/out.json" 2>"$TMP/err"
  tail -1 "$TMP/time"
}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
ours_t=(); ours_m=(); peer_t=(); peer_m=(); load_t=(); stats_t=()
for i in $(seq "$RUNS"); do
  read -r t m < <(SPOTCHECK_TIMING=1 measure "$BIN" label-next "$M" --predictions "$P" --strategy "$STRATEGY" --top 1000 --json)
  ours_t+=("$t"); ours_m+=("$m"); cp "$TMP/out.json" "$TMP/ours.json"
  load_t+=("$(awk '/^timing: load done at/{print $5}' "$TMP/err")")
  read -r t m < <(measure python3 scripts/peers/label_next_numpy.py "$M" "$P" --strategy "$STRATEGY" --top 1000)
  peer_t+=("$t"); peer_m+=("$m"); cp "$TMP/out.json" "$TMP/peer.json"
  read -r t _ < <(measure "$BIN" stats "$M" --predictions "$P" --json); stats_t+=("$t")
  echo "run $i: spotcheck ${ours_t[-1]} s (read ${load_t[-1]} s), ${ours_m[-1]} KB; numpy ${peer_t[-1]} s, ${peer_m[-1]} KB; stats (read) ${stats_t[-1]} s"
done
python3 - "$TMP/ours.json" "$TMP/peer.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["num_candidates"] == b["num_candidates"], (a["num_candidates"], b["num_candidates"])
fa, fb = [s["file"] for s in a["samples"]], [s["file"] for s in b["samples"]]
assert fa == fb, "different samples or order"
assert [s["predicted"] for s in a["samples"]] == [s["predicted"] for s in b["samples"]]
worst = max(abs(x["score"] - y["score"]) for x, y in zip(a["samples"], b["samples"]))
assert worst <= 1e-12, worst
print(f"candidates {a['num_candidates']}; the first {len(fa)} identical in order and class, scores within {worst:.1e}")
PY
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ot=$(median "${ours_t[@]}"); pt=$(median "${peer_t[@]}"); om=$(median "${ours_m[@]}"); pm=$(median "${peer_m[@]}")
lt=$(median "${load_t[@]}"); st=$(median "${stats_t[@]}")
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf 'label-next --strategy %s --top 1000 on %s unlabelled rows (median of %s):\n' "$STRATEGY" "$(($(wc -l < "$M") - 1))" "$RUNS"
printf '  spotcheck  %6.2f s  %5d MB peak RSS  (of which reading manifest + predictions: %.2f s)\n' "$ot" "$((om / 1024))" "$lt"
printf '  numpy      %6.2f s  %5d MB peak RSS\n' "$pt" "$((pm / 1024))"
printf '  stats on the same files (the read alone, nearly): %.2f s\n' "$st"
awk -v o="$ot" -v p="$pt" 'BEGIN{printf "  speed-up   %.1fx (ratio of the medians)\n", p / o}'
