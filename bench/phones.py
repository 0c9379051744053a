"""Benchmark `gomoq.phones.normalise` on 1,000,000 raw phones written the way the sandbox
generator writes them (Moroccan mobiles/fixed lines in every style, mistakes, foreign numbers,
invalid ones), against the per-row phonenumbers baseline.

    uv run python bench/phones.py [--rows 1000000] [--runs 5]

Prints the median of the runs beside the target (<= 1.5 s per million), the baseline per row
measured on a sample, the ratio, the share decided by the fast path, and the memo's warm run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from gomoq import phones
from gomoq.sandbox import gen_phones as ph

TARGET_S = 1.5
OUT = Path(__file__).parent / "out"


def make_raws(rows: int, seed: int = 1) -> pl.Series:
    """`rows` raw phones with the generator's mix (cached under bench/out/)."""
    path = OUT / f"phones-{rows}-{seed}.parquet"
    if path.exists():
        return pl.read_parquet(path)["raw"]
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < rows:
        r = rng.random()
        if r < 0.03:
            out.append(ph.write_foreign(ph.new_foreign(rng), rng))
        elif r < 0.04:
            out.append(ph.new_invalid(rng, set())[0])
        else:
            nsn = ph.new_fixed(rng) if r < 0.12 else ph.new_mobile(rng)
            if rng.random() < 0.02:
                nsn = ph.substitute(nsn, rng)
            out.append(ph.write(nsn, ph.pick_style(rng), rng))
    series = pl.Series("raw", out)
    OUT.mkdir(parents=True, exist_ok=True)
    series.to_frame().write_parquet(path)
    return series


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sample", type=int, default=20_000)
    args = parser.parse_args()

    raws = make_raws(args.rows)
    unique = raws.unique()
    fast = phones._split(unique, "MA")["nsn"].is_not_null().mean()
    phones.normalise(raws.head(1000))  # imports and regex caches warm
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        phones.normalise(raws)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    scale = 1_000_000 / args.rows
    sample = raws.sample(min(args.sample, raws.len()), seed=2)
    start = time.perf_counter()
    phones.reference(sample)
    per_row = (time.perf_counter() - start) / sample.len()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GOMOQ_CACHE_DIR"] = tmp
        phones.normalise_cached(raws)
        start = time.perf_counter()
        phones.normalise_cached(raws)
        warm = time.perf_counter() - start

    ok = median * scale <= TARGET_S
    print(f"rows {raws.len():,} ({unique.len():,} distinct), fast path decides {fast:.1%}")
    print(f"runs: {', '.join(f'{t:.2f}' for t in times)} s")
    print(
        f"median normalise {median:.2f} s for {raws.len():,} "
        f"(= {median * scale:.2f} s per million; target <= {TARGET_S} s) {'OK' if ok else 'MISS'}"
    )
    print(
        f"phonenumbers per row {per_row * 1e6:.1f} us (= {per_row * 1e6:.1f} s per million); "
        f"speed-up x{per_row * raws.len() / median:.1f}"
    )
    print(f"warm memo run (no new values) {warm:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
