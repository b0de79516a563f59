#!/usr/bin/env bash
# The Beam scan with the wheel against the same Beam pipeline doing the per-element job in pure
# Python (scripts/peers/beam_scan_python.py: PIL + exif_transpose, imagehash's DCT pHash, numpy
# statistics, a PIL PNG thumbnail), and Beam alone (the pipeline reading the bytes and scanning
# nothing), side by side on the 20,000 bench JPEGs: N_RUNS alternating runs (default 3), medians,
# the ratios. The issue's options: DirectRunner, 2 workers, multi_processing, --thumbnails 64.
#
#   scripts/bench-beam.sh [N_RUNS]        # IMAGES=DIR for other images (default bench-data/images)
#
# Uses the installed package (`pip install ./python` builds the release wheel); warm page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
N_RUNS=${1:-${N_RUNS:-3}}
IMAGES=${IMAGES:-bench-data/images}
[ -d "$IMAGES" ] || python3 tests/reference/make_bench_data.py bench-data --rows 1000
python3 -c "import spotcheck, imagehash, xxhash, scipy" 2>/dev/null ||
  python3 -m pip install --quiet ./python imagehash xxhash scipy
N=$(find "$IMAGES" -type f -name '*.jpg' | wc -l)
find "$IMAGES" -type f -print0 | xargs -0 cat > /dev/null
OPTS=(--runner DirectRunner --direct_num_workers 2 --direct_running_mode multi_processing --thumbnails 64)
run() {
  local out
  out=$(mktemp -d)
  local start end
  start=$(date +%s.%N)
  "$@" --input "$IMAGES/**" --output "$out/scan" "${OPTS[@]}" >"$out/log" 2>&1 || { tail -20 "$out/log" >&2; exit 1; }
  end=$(date +%s.%N)
  rows=$(python3 -c "import pyarrow.parquet as pq,glob; print(sum(pq.ParquetFile(f).metadata.num_rows for f in glob.glob('$out/scan-*.parquet')))")
  [ "$rows" = "$N" ] || { echo "expected $N rows, got $rows" >&2; exit 1; }
  rm -rf "$out"
  python3 -c "print(f'{$end - $start:.2f}')"
}
wheel=(); python=(); alone=()
for i in $(seq "$N_RUNS"); do
  w=$(run python3 -m spotcheck.beam scan)
  p=$(run python3 scripts/peers/beam_scan_python.py)
  o=$(run python3 scripts/peers/beam_scan_python.py --overhead)
  echo "run $i: wheel ${w} s, pure Python ${p} s, Beam alone ${o} s"
  wheel+=("$w"); python+=("$p"); alone+=("$o")
done
python3 - "${wheel[*]}" "${python[*]}" "${alone[*]}" "$N" <<'PY'
import statistics, sys
w, p, o = (statistics.median(map(float, a.split())) for a in sys.argv[1:4])
n = int(sys.argv[4])
print(f"{n} JPEGs, medians: wheel {w:.2f} s ({n / w:.0f}/s), pure Python {p:.2f} s ({n / p:.0f}/s), "
      f"Beam alone {o:.2f} s")
print(f"wheel / pure Python = {w / p:.3f} (bar: at most 0.333); Beam alone / pure Python = {o / p:.3f}")
PY
