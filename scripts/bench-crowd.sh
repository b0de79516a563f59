#!/usr/bin/env bash
# Benchmarks `spotcheck agreement --method dawid-skene --json` against the crowd-kit peer
# (scripts/peers/crowd_kit_peer.py: pandas.read_csv, crowdkit DawidSkene(n_iter=100, tol=1e-5).fit_predict,
# krippendorff.alpha from a pivot) on the same 1,000,000 samples x 5 judgements (25 annotators, 5 classes),
# side by side: N_RUNS alternating runs of each (default 3), medians of wall time and peak RSS
# (/usr/bin/time -v, the whole process: start-up, imports and reading the CSV included), and the ratio.
# Then, on the committed 2,000-sample fixture tests/data/crowd/sim/, how often spotcheck's Dawid-Skene
# consensus (soft-labels, argmax) is crowd-kit's, both accuracies against the true labels, and whether
# the spammers and the adversarial annotator get the lowest estimated accuracies.
#
#   scripts/bench-crowd.sh          # 3 runs; the data is made once into bench-data/crowd-1m (~10 s)
#   scripts/bench-crowd.sh 5        # or N_RUNS=5; SPOTCHECK_BIN=... to use another binary
#
# The script does not build: it uses target/release/spotcheck (cargo build --release) as it is.
# crowd-kit takes about 2 minutes a run (1.8 GB peak RSS) on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
N_RUNS=${1:-${N_RUNS:-3}}
DATA=${BENCH_DATA:-bench-data}/crowd-1m
SIM=tests/data/crowd/sim
BIN=${SPOTCHECK_BIN:-target/release/spotcheck}
command -v /usr/bin/time >/dev/null || { echo "installing GNU time"; apt-get install -y -qq time >/dev/null; }
python3 -c "import numpy, pandas, pyarrow, krippendorff, crowdkit" 2>/dev/null ||
  python3 -m pip install --quiet numpy pandas pyarrow krippendorff crowd-kit
[ -x "$BIN" ] || { echo "$BIN: not built (cargo build --release)" >&2; exit 1; }
if [ -n "$(find src -newer "$BIN" -name '*.rs' -print -quit)" ]; then
  echo "warning: $BIN is older than some of src/" >&2
fi
# (`spotcheck agreement --help` without the command prints the top-level help, so look for its option)
if ! "$BIN" agreement --help 2>&1 | grep -q -- '--annotations'; then
  echo "error: '$BIN agreement --help' failed (no --annotations): this spotcheck has no 'agreement' command yet" >&2
  echo "       (build one that has it: cargo build --release)" >&2
  exit 1
fi
if [ ! -f "$DATA/annotations.csv" ]; then
  python3 scripts/make_crowd_data.py --samples 1000000 --per-sample 5 --annotators 25 --classes 5 \
    --seed 0 --out "$DATA"
fi

TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
measure() { # runs a command, stdout to $TMP/out.json; prints "seconds max_rss_kb"
  if ! /usr/bin/time -v -o "$TMP/time" "$@" > "$TMP/out.json" 2> "$TMP/err"; then
    echo "failed: $*" >&2; cat "$TMP/err" >&2; exit 1
  fi
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
              /Maximum resident set size/ { m = $2 }
              END { print s, m }' "$TMP/time"
}
ours_t=(); ours_m=(); peer_t=(); peer_m=()
for i in $(seq "$N_RUNS"); do
  read -r t m < <(measure "$BIN" agreement "$DATA/manifest.csv" --annotations "$DATA/annotations.csv" \
    --method dawid-skene --json); ours_t+=("$t"); ours_m+=("$m")
  cp "$TMP/out.json" "$TMP/ours.json"
  read -r t m < <(measure python3 scripts/peers/crowd_kit_peer.py "$DATA/annotations.csv" \
    --truth "$DATA/truth.csv"); peer_t+=("$t"); peer_m+=("$m")
  cp "$TMP/out.json" "$TMP/peer.json"
  echo "run $i: spotcheck ${ours_t[-1]} s, ${ours_m[-1]} KB; crowd-kit ${peer_t[-1]} s, ${peer_m[-1]} KB"
done
python3 - "$TMP/ours.json" "$TMP/peer.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(f"samples: spotcheck {a['num_samples']}, crowd-kit {b['num_tasks']}; judgements: "
      f"{a['num_annotations']} / {b['num_annotations']}; iterations: spotcheck {a['consensus']['iterations']}, "
      f"crowd-kit {b['iterations']} (crowd-kit stops on the ELBO, not the posteriors)")
ka, kb = a["agreement"]["krippendorff_alpha"], b["krippendorff_alpha"]
print(f"Krippendorff's alpha: spotcheck {ka!r}, krippendorff {kb!r}, |diff| {abs(ka - kb):.2e}")
print(f"crowd-kit in-process seconds: {b['seconds']} (accuracy vs truth {b.get('accuracy')})")
PY

# Consensus on the committed simulated crowd (2,000 samples): spotcheck vs crowd-kit (reference.json).
if "$BIN" soft-labels --help 2>&1 | grep -q -- '--annotations'; then
  "$BIN" soft-labels "$SIM/manifest.csv" --annotations "$SIM/annotations.csv" --method dawid-skene \
    --out "$TMP/soft.csv"
  "$BIN" agreement "$SIM/manifest.csv" --annotations "$SIM/annotations.csv" --method dawid-skene --json \
    > "$TMP/sim.json"
  python3 - "$TMP/soft.csv" "$TMP/sim.json" "$SIM" <<'PY'
import csv, json, sys
soft, agreement, sim = sys.argv[1:4]
ref = json.load(open(f"{sim}/reference.json"))
classes, ck = ref["classes"], ref["crowd_kit_dawid_skene"]
files = [r["file_name"] for r in csv.DictReader(open(f"{sim}/manifest.csv"))]
rows = list(csv.reader(open(soft)))
cols = [classes.index(h[len("prob_"):]) for h in rows[0][1:]]
ours = {}
for r in rows[1:]:
    p = [float(x) for x in r[1:]]
    ours[r[0]] = cols[p.index(max(p))]  # first maximum: lowest class index on ties (columns in class order)
same = [ours.get(f) == c for f, c in zip(files, ck["consensus"]) if c is not None]
acc = sum(ours.get(f) == t for f, t in zip(files, ref["truth"])) / len(files)
print(f"sim ({len(files)} samples): spotcheck's Dawid-Skene consensus = crowd-kit's on {sum(same) / len(same):.2%}"
      f" (bar >= 99.5%); accuracy vs truth: spotcheck {acc:.2%}, crowd-kit {ck['accuracy']:.2%}"
      f" (bar: within 0.5 points), majority vote {ref['vote']['accuracy']:.2%}")
est = {x["annotator"]: x["estimated_accuracy"] for x in json.load(open(agreement))["annotators"]}
bad = {w for w, k in ref["annotator_kinds"].items() if k in ("spammer", "adversarial")}
lowest = sorted(est, key=lambda w: (est[w] is None, est[w]))[:len(bad)]
kinds = ref["annotator_kinds"]
named = ", ".join(f"{w} ({kinds[w]}, {est[w]:.3f})" for w in lowest)
print(f"lowest estimated accuracies: {named} -> spammers and adversarial lowest: {set(lowest) == bad}")
PY
else
  echo "(no 'soft-labels' command: the consensus comparison on $SIM is skipped)"
fi

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ot=$(median "${ours_t[@]}"); pt=$(median "${peer_t[@]}"); om=$(median "${ours_m[@]}"); pm=$(median "${peer_m[@]}")
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf 'agreement --method dawid-skene on %s judgements (median of %s):\n' "$(($(wc -l < "$DATA/annotations.csv") - 1))" "$N_RUNS"
printf '  spotcheck  %7.2f s  %5d MB peak RSS (bar: <= 1024 MB)\n' "$ot" "$((om / 1024))"
printf '  crowd-kit  %7.2f s  %5d MB peak RSS\n' "$pt" "$((pm / 1024))"
awk -v o="$ot" -v p="$pt" 'BEGIN{printf "  speed-up   %.1fx (ratio of the medians; bar: >= 10x)\n", p / o}'
ratios=(); for i in "${!ours_t[@]}"; do ratios+=("$(awk -v o="${ours_t[$i]}" -v p="${peer_t[$i]}" 'BEGIN{print p / o}')"); done
printf '  speed-up   %.1fx (median of the %s side-by-side ratios)\n' "$(median "${ratios[@]}")" "$N_RUNS"
