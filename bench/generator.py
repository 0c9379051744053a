"""Benchmark: time to generate an organisation (target: 1,000,000 contacts in under 3 minutes).

    uv run python bench/generator.py [--contacts 100000 1000000] [--runs 1] [--seed 42]

Databases are written under bench/out/ and removed after each run. Prints the median of the runs
for each size beside its target (the 1M target scaled linearly for other sizes), and the CPU
time of the main process and of the calls worker process: on a shared machine the wall time
depends on the load average printed beside it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gomoq.sandbox.generator import generate_organisation, truth_path  # noqa: E402

TARGET_PER_MILLION = 180.0


def _clean(path: Path) -> None:
    for p in (path, truth_path(path), Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)


def main() -> None:
    """Run the benchmark and print each median beside its target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    for n in args.contacts:
        times = []
        for run in range(args.runs):
            path = out / f"generator-{n}-{run}.sqlite3"
            _clean(path)
            started, cpu = time.perf_counter(), time.process_time()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            summary = generate_organisation(path, contacts=n, seed=args.seed)
            times.append(time.perf_counter() - started)
            cpu = time.process_time() - cpu
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            worker = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
            size = path.stat().st_size / 1e6
            print(
                f"  run {run + 1}: {n:,} contacts, {summary.calls:,} calls, "
                f"{summary.memberships:,} memberships, {size:,.0f} MB in {times[-1]:.1f} s "
                f"(CPU: main process {cpu:.1f} s, calls worker {worker:.1f} s; "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
                flush=True,
            )
            _clean(path)
        median = statistics.median(times)
        target = TARGET_PER_MILLION * n / 1_000_000
        verdict = "OK" if median <= target else "TOO SLOW"
        print(
            f"generate {n:,} contacts: median {median:.1f} s over {len(times)} run(s) "
            f"(target <= {target:.0f} s) {verdict}"
        )


if __name__ == "__main__":
    main()
