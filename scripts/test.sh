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
# The Python package (PyO3 + maturin: `pip install ./python` builds the wheel once) and its tests,
# the Beam pipelines on the DirectRunner among them, against the release binary built above.
python3 -m pip install --quiet --disable-pip-version-check ./python pytest 2>/dev/null \
  || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages ./python pytest
SPOTCHECK_BIN="$PWD/target/release/spotcheck" python3 -m pytest -q -p no:cacheprovider python/tests
