#!/usr/bin/env bash
# Hugging Face datasets: `spotcheck stats --json` on a CIFAR-sized Parquet dataset (1,000,000 rows of
# embedded 32x32 PNGs in 10 shards, ClassLabel labels) + a predictions CSV, side by side with the Python a
# practitioner writes today (scripts/peers/hf_stats_peer.py: datasets.load_dataset + pandas + scikit-learn
# + numpy, into an empty datasets cache each run); then `spotcheck stats` alone on a 10,000,000-row
# Parquet manifest with no media. RUNS alternating runs (default 3), the page cache dropped before each
# run when the machine allows it (said either way); medians of wall time and peak RSS (GNU time -v).
# The two outputs' class counts, accuracy, F1, confusion matrix and ECE are printed and compared.
#
#   scripts/bench-hf.sh        # data made once into bench-data/ (2.5 GB, ~5 min on 2 cores)
#   RUNS=5 scripts/bench-hf.sh
# Uses the existing target/release/spotcheck (build it first: cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
DATA=${BENCH_DATA:-bench-data}
BIN=${SPOTCHECK_BIN:-target/release/spotcheck}
HF="$DATA/hf-1m"; PRED="$DATA/hf-1m-predictions.csv"; MAN="$DATA/manifest-10m.parquet"
PEER=scripts/peers/hf_stats_peer.py
[ -x /usr/bin/time ] || { echo "installing GNU time"; apt-get install -y -qq time >/dev/null; }
python3 -c "import datasets, pyarrow, pandas, sklearn" 2>/dev/null || python3 -m pip install --quiet -r scripts/requirements.txt

mkdir -p "$DATA"
if [ ! -f "$PRED" ] || [ "$(ls "$HF"/data/train-*-of-00010.parquet 2>/dev/null | wc -l)" -ne 10 ]; then
  echo "making $HF and $PRED (scripts/make_hf_bench.py)"
  python3 scripts/make_hf_bench.py "$DATA" --rows 1000000
fi
[ -f "$MAN" ] || { echo "making $MAN (scripts/make_hf_manifest_bench.py)"; python3 scripts/make_hf_manifest_bench.py "$DATA" --rows 10000000; }

TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
# Does this spotcheck open a Hugging Face Parquet dataset? Ask it on a 200-row one.
# PEER_ONLY=1 measures the peer alone (e.g. while spotcheck is being built).
OURS=1
if [ "${PEER_ONLY:-0}" = 1 ]; then
  OURS=0; echo "PEER_ONLY=1: measuring the peer alone"
elif [ ! -x "$BIN" ]; then
  echo "$BIN does not exist: build it first (cargo build --release), or PEER_ONLY=1 for the peer alone. Nothing measured."; exit 1
else
  python3 scripts/make_hf_bench.py "$TMP/probe" --rows 200 --shards 1 --no-check 2>/dev/null
  if ! "$BIN" stats "$TMP/probe/hf-200" --predictions "$TMP/probe/hf-200-predictions.csv" --json >"$TMP/probe.json" 2>"$TMP/probe.err" \
     || ! python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["dataset"]["num_samples"] == 200' "$TMP/probe.json" 2>/dev/null; then
    echo "$BIN does not open Hugging Face Parquet datasets yet; \`stats\` on a 200-row one said:"
    head -c 400 "$TMP/probe.err"; echo
    echo "Build it first (cargo build --release), or PEER_ONLY=1 for the peer alone. Nothing measured."
    exit 1
  fi
fi

drop_caches() { sync; (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; }
if drop_caches; then COLD=1; CACHE_NOTE="page cache dropped before every run (cold reads)"
else COLD=0; CACHE_NOTE="could NOT drop the page cache (needs root and a writable /proc/sys): warm-cache numbers"; fi
echo "$CACHE_NOTE"

measure() { # OUT_JSON CMD... -> sets t (wall seconds) and m (peak RSS, KB)
  local out=$1; shift
  if [ "$COLD" = 1 ]; then drop_caches; fi
  /usr/bin/time -v -o "$TMP/time" "$@" >"$out" 2>"$TMP/stderr" || { echo "failed: $*" >&2; tail -5 "$TMP/stderr" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]}
              /Maximum resident set size/ {m = $2} END {print s, m}' "$TMP/time" >"$TMP/tm"
  read -r t m <"$TMP/tm"
}
mb() { awk -v k="$1" 'BEGIN{printf "%d", k / 1024}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

ours_t=(); ours_m=(); peer_t=(); peer_m=()
for i in $(seq "$RUNS"); do
  if [ "$OURS" = 1 ]; then
    measure "$TMP/ours.json" "$BIN" stats "$HF" --predictions "$PRED" --json; ours_t+=("$t"); ours_m+=("$m")
  else ours_t+=(0); ours_m+=(0); fi
  mkdir "$TMP/hfcache"  # an empty datasets cache: load_dataset converts the shards to Arrow again
  measure "$TMP/peer.json" python3 "$PEER" "$HF" "$PRED" --cache-dir "$TMP/hfcache"; peer_t+=("$t"); peer_m+=("$m")
  rm -rf "$TMP/hfcache"
  [ "$OURS" = 1 ] && ours="spotcheck ${ours_t[-1]} s, $(mb "${ours_m[-1]}") MB; " || ours=""
  echo "run $i: ${ours}peer ${peer_t[-1]} s, $(mb "${peer_m[-1]}") MB"
done
if [ "$OURS" = 0 ]; then
  python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print("peer: class counts", b["class_counts"]["all"], "accuracy", b["metrics"]["accuracy"], "macro_f1", b["metrics"]["macro_f1"], "ece", b["calibration"]["ece"])' "$TMP/peer.json"
  printf '\nmachine: %s cores, %s; %s\npeer on %s + predictions (median of %s): %.2f s, %d MB peak RSS\n' "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$CACHE_NOTE" "$HF" "$RUNS" "$(median "${peer_t[@]}")" "$(mb "$(median "${peer_m[@]}")")"
  exit 0
fi
python3 - "$TMP/ours.json" "$TMP/peer.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print("class counts (all)   spotcheck:", a["class_counts"]["all"])
print("                     peer:     ", b["class_counts"]["all"])
for k in ("num_samples", "accuracy", "macro_f1", "weighted_f1"):
    print(f"{k:<20} spotcheck: {a['metrics'][k]}   peer: {b['metrics'][k]}")
print(f"{'ece':<20} spotcheck: {a['calibration']['ece']}   peer: {b['calibration']['ece']}")
ok = (a["dataset"]["num_samples"] == b["dataset"]["num_samples"] and a["class_counts"]["all"] == b["class_counts"]["all"]
      and a["metrics"]["num_samples"] == b["metrics"]["num_samples"]
      and a["metrics"]["confusion_matrix"] == b["metrics"]["confusion_matrix"]
      and all(abs(a["metrics"][k] - b["metrics"][k]) <= 1e-9 for k in ("accuracy", "macro_f1", "weighted_f1"))
      and abs(a["calibration"]["ece"] - b["calibration"]["ece"]) <= 1e-6 * max(1e-12, abs(b["calibration"]["ece"])))
print("outputs agree (counts, accuracy, F1, confusion matrix, ECE)" if ok else "OUTPUTS DIFFER")
sys.exit(0 if ok else 1)
PY

man_t=(); man_m=()
for i in $(seq "$RUNS"); do
  measure "$TMP/man.json" "$BIN" stats "$MAN" --json; man_t+=("$t"); man_m+=("$m")
  echo "manifest run $i: spotcheck ${man_t[-1]} s, $(mb "${man_m[-1]}") MB"
done
man_n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset"]["num_samples"])' "$TMP/man.json")

ot=$(median "${ours_t[@]}"); pt=$(median "${peer_t[@]}"); om=$(median "${ours_m[@]}"); pm=$(median "${peer_m[@]}")
mt=$(median "${man_t[@]}"); mm=$(median "${man_m[@]}")
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $CACHE_NOTE"
hf_n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset"]["num_samples"])' "$TMP/ours.json")
printf 'stats on %s (%s rows, %s of Parquet) + predictions (median of %s):\n' "$HF" "$hf_n" "$(du -shL "$HF" | cut -f1)" "$RUNS"
printf '  spotcheck  %7.2f s  %6d MB peak RSS\n' "$ot" "$(mb "$om")"
printf '  peer       %7.2f s  %6d MB peak RSS   (datasets.load_dataset + pandas + scikit-learn)\n' "$pt" "$(mb "$pm")"
awk -v o="$ot" -v p="$pt" -v om="$om" -v pm="$pm" 'BEGIN{printf "  ratio      the peer takes %.1fx the time and %.1fx the peak RSS (medians)\n", p / o, pm / om}'
printf 'stats on %s (%s rows, no media, median of %s):\n' "$MAN" "$man_n" "$RUNS"
printf '  spotcheck  %7.2f s  %6d MB peak RSS\n' "$mt" "$(mb "$mm")"
