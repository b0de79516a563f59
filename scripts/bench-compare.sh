#!/usr/bin/env bash
# Benchmarks `spotcheck compare --json` of three models on the 1,000,000-row bench data against the
# NumPy/scikit-learn/statsmodels peer (scripts/peers/compare_numpy.py): the bench predictions
# (bench-data/probs.csv, as scripts/bench.sh makes it) and two seeded perturbed copies
# (scripts/make_compare_bench.py), 1000 bootstrap resamples each. RUNS alternating runs of each
# (default 3), medians of wall time and peak RSS, the ratio; the script checks that the two agree
# (counts exact, metrics and McNemar p to 1e-9, interval bounds within 0.02).
#
#   scripts/bench-compare.sh          # data made once into bench-data/ (about 2 minutes)
#   RUNS=5 scripts/bench-compare.sh
#   BIN=target/release/spotcheck      # the binary to time (default: built here, without the GUI)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RUNS=${RUNS:-3}
DATA=${BENCH_DATA:-bench-data}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/spotcheck}
command -v /usr/bin/time >/dev/null || { echo "installing GNU time"; apt-get install -y -qq time >/dev/null; }
python3 -c "import numpy, pandas, sklearn, statsmodels" 2>/dev/null || python3 -m pip install --quiet numpy pandas scikit-learn statsmodels

[ -x "$BIN" ] || cargo build --release --quiet --no-default-features --bin spotcheck
if [ ! -f "$DATA/probs.csv" ]; then
  mkdir -p "$DATA"
  python3 tests/reference/make_bench_data.py "$DATA" --images 0
fi
[ -f "$DATA/compare/model_c.csv" ] || python3 scripts/make_compare_bench.py "$DATA/probs.csv" "$DATA/compare"
M="$DATA/manifest.csv"; A="$DATA/probs.csv"; B="$DATA/compare/model_b.csv"; C="$DATA/compare/model_c.csv"

measure() { # runs a command; prints "seconds max_rss_kb"
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" > "$TMP/out.json" 2>/dev/null
  tail -1 "$TMP/time"
}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
ours_t=(); ours_m=(); peer_t=(); peer_m=()
for i in $(seq "$RUNS"); do
  read -r t m < <(measure "$BIN" compare "$M" --predictions "$A" --predictions "$B" --predictions "$C" --json); ours_t+=("$t"); ours_m+=("$m")
  cp "$TMP/out.json" "$TMP/ours.json"
  read -r t m < <(measure python3 scripts/peers/compare_numpy.py "$M" "$A" "$B" "$C"); peer_t+=("$t"); peer_m+=("$m")
  cp "$TMP/out.json" "$TMP/peer.json"
  echo "run $i: spotcheck ${ours_t[-1]} s, ${ours_m[-1]} KB; peer ${peer_t[-1]} s, ${peer_m[-1]} KB"
done
python3 - "$TMP/ours.json" "$TMP/peer.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["num_samples"] == b["num_samples"], (a["num_samples"], b["num_samples"])
for ma, mb in zip(a["models"], b["models"]):
    assert ma["name"] == mb["name"]
    for k in ("accuracy", "macro_f1", "ece", "nll"):
        assert abs(ma[k] - mb[k]) <= 1e-9, (ma["name"], k, ma[k], mb[k])
    for k in ("accuracy_ci", "macro_f1_ci", "ece_ci"):
        assert all(abs(x - y) <= 0.02 for x, y in zip(ma[k], mb[k])), (ma["name"], k, ma[k], mb[k])
        key = k[:-3]
        assert ma[k][0] <= ma[key] <= ma[k][1], (ma["name"], k, ma[k], ma[key])
for pa, pb in zip(a["pairs"], b["pairs"]):
    for k in ("both_right", "a_only_right", "b_only_right", "both_wrong"):
        assert pa[k] == pb[k], (k, pa[k], pb[k])
    assert abs(pa["mcnemar_p"] - pb["mcnemar_p"]) <= 1e-9, (pa["mcnemar_p"], pb["mcnemar_p"])
print("outputs agree (counts exact; metrics and McNemar p to 1e-9; interval bounds within 0.02)")
for m in a["models"]:
    print(f'  {m["name"]}: accuracy {m["accuracy"]:.4f} {m["accuracy_ci"]}, ECE {m["ece"]:.4f} {m["ece_ci"]}')
for p in a["pairs"]:
    print(f'  {p["a"]} vs {p["b"]}: discordant {p["a_only_right"]}/{p["b_only_right"]}, McNemar p {p["mcnemar_p"]:.3g}')
PY
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ot=$(median "${ours_t[@]}"); pt=$(median "${peer_t[@]}"); om=$(median "${ours_m[@]}"); pm=$(median "${peer_m[@]}")
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf 'compare of 3 models on %s rows, 1000 resamples (median of %s):\n' "$(($(wc -l < "$M") - 1))" "$RUNS"
printf '  spotcheck  %6.2f s  %5d MB peak RSS\n' "$ot" "$((om / 1024))"
printf '  peer       %6.2f s  %5d MB peak RSS\n' "$pt" "$((pm / 1024))"
awk -v o="$ot" -v p="$pt" 'BEGIN{printf "  speed-up   %.1fx (ratio of the medians)\n", p / o}'
