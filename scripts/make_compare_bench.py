#!/usr/bin/env python3
"""Two perturbed copies of the bench predictions, for `scripts/bench-compare.sh`: three models on the
same 1,000,000 samples.

    python3 scripts/make_compare_bench.py bench-data/probs.csv bench-data/compare

Each copy is softmax(ln p + sigma * N(0, 1)) per entry (sigma 0.6 and 1.0), seeded (1 and 2), written
with the same prob_<class> columns and 6 significant digits, rows in a seeded shuffled order (so the
join does not see the same order three times). Deterministic. Needs numpy and pandas.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    df = pd.read_csv(src)
    cols = [c for c in df.columns if c.startswith("prob_")]
    logp = np.log(np.clip(df[cols].to_numpy(dtype=np.float64), 1e-12, None))
    for name, sigma, seed in [("model_b", 0.6, 1), ("model_c", 1.0, 2)]:
        rng = np.random.default_rng(seed)
        z = logp + sigma * rng.standard_normal(logp.shape)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        order = rng.permutation(len(df))
        perturbed = pd.DataFrame(p[order], columns=cols)
        perturbed.insert(0, "file_name", df["file_name"].to_numpy()[order])
        perturbed.to_csv(out / f"{name}.csv", index=False, float_format="%.6g")
        print(f"wrote {out / (name + '.csv')}")


if __name__ == "__main__":
    main()
