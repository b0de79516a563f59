#!/usr/bin/env bash
# Runs every test: unit tests, the CLI tests, and the comparison with the pandas + scikit-learn
# reference (which needs the Python packages installed here). Release mode, so it shares the build
# with `cargo run --release` and the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt 2>/dev/null \
  || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages -r scripts/requirements.txt
cargo test --release "$@"
