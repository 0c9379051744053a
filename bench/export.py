"""Export benchmark: a million cached contacts (with custom attributes) to CSV, Parquet, XLSX.

    uv run python bench/export.py [--contacts 1000000] [--runs 3] [--xlsx-contacts 100000]

Prints, beside their targets, the median wall time of `gomoq export contacts` (the service the
command calls, on a real cache snapshot) and the peak memory of the process that ran it (each run
in a fresh process, so the peak is that export's own):
- CSV <= 10 s; Parquet <= 3 s (both streamed);
- XLSX (no target: built in memory by xlsxwriter) on `--xlsx-contacts` contacts;
- a filtered export (`--where 'city:rabat,tanger -occupation:empty'`) to Parquet;
- under CSV and Parquet, the floor: the contacts table alone (no attributes, no guard) read and
  written by the same polars sink in the same run, so that a figure from a busy machine can be
  read as a ratio.

The snapshot is synthetic (bench/tui.py's contacts, four attributes each: 4 M attribute rows),
written once under bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

OUT = Path(__file__).parent / "out"
HOME = OUT / "export-home"


def prepare(n: int) -> str:
    """Write the synthetic snapshot once per size; returns the profile name."""
    os.environ["GOMOQ_HOME"] = str(HOME)
    from tui import make_contacts

    from gomoq.cache.store import NoCache, Snapshot, write_snapshot

    name = f"export{n}"
    try:
        if Snapshot.open(name).manifest.get("counts", {}).get("contacts") == n:
            return name
    except NoCache:
        pass
    contacts = make_contacts(n)
    i = pl.col("i")
    tiers = ["gold", "silver", "platinum", "=cmd|' /C calc'!A0"]  # one formula, for the guard
    base = pl.DataFrame({"contact_id": contacts.get_column("id")}).with_row_index("i")
    values = {
        "customer_tier": pl.lit(pl.Series(tiers)).gather(i % 4),
        "loyalty_points": (i * 37 % 9000).cast(pl.String),
        "birth_date": pl.format("19{}-0{}-1{}", 50 + i % 50, 1 + i % 9, i % 10),
        "opt_in": (i % 2 == 0).cast(pl.String),
    }
    attributes = pl.concat(
        [
            base.select("contact_id", pl.lit(name).alias("name"), expr.alias("value"))
            for name, expr in values.items()
        ]
    ).with_columns(pl.lit("string").alias("json_type"))
    write_snapshot(
        name,
        {"contacts": contacts, "attributes": attributes},
        {"synced_at": "2026-01-01T00:00:00Z"},
    )
    return name


def one_run(name: str, fmt: str, where: str | None) -> None:
    """Child process: one export; prints its figures as JSON."""
    os.environ["GOMOQ_HOME"] = str(HOME)
    from gomoq.cache.store import Snapshot
    from gomoq.checks.base import CheckInput
    from gomoq.checks.settings import CheckSettings
    from gomoq.services.export import export_tables

    snapshot = Snapshot.open(name)
    target = OUT / f"export-bench.{fmt}"
    started = time.perf_counter()
    if where == "--floor":  # the floor: the contacts table alone, read and written as it is
        lazy = snapshot.scan("contacts").drop("custom_attributes", "channels")
        lazy.sink_csv(target) if fmt == "csv" else lazy.sink_parquet(target)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = snapshot.manifest["counts"]["contacts"]
        print(json.dumps({"s": seconds, "mb": peak, "rows": rows, "size": 0}))
        target.unlink()
        return
    result = export_tables(
        CheckInput.from_snapshot(snapshot),
        CheckSettings(),
        "contacts",
        target,
        fmt=fmt,
        where=where,
        manifest=dict(snapshot.manifest),
        profile=name,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = target.stat().st_size / 1e6
    print(json.dumps({"s": seconds, "mb": peak, "rows": result.rows, "size": size}))
    target.unlink()


def measure(name: str, fmt: str, runs: int, where: str | None = None) -> list[dict[str, float]]:
    out = []
    for _ in range(runs):
        args = [sys.executable, __file__, "--child", name, fmt]
        if where:
            args.append(where)
        done = subprocess.run(args, check=True, capture_output=True, text=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        one_run(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--xlsx-contacts", type=int, default=100_000)
    args = parser.parse_args()
    big = prepare(args.contacts)
    cases = [
        ("CSV", big, "csv", None, 10.0),
        ("  floor: copy", big, "csv", "--floor", None),
        ("Parquet", big, "parquet", None, 3.0),
        ("  floor: copy", big, "parquet", "--floor", None),
        ("Parquet, filtered", big, "parquet", "city:rabat,tanger -occupation:empty", None),
    ]
    if args.xlsx_contacts:
        cases.append(("XLSX", prepare(args.xlsx_contacts), "xlsx", None, None))
    for label, name, fmt, where, target in cases:
        runs = measure(name, fmt, args.runs, where)
        secs = statistics.median(r["s"] for r in runs)
        peak = statistics.median(r["mb"] for r in runs)
        goal = (
            f"(target <= {target:.0f} s) {'OK' if secs <= target else 'MISSED'}" if target else ""
        )
        each = ", ".join(f"{r['s']:.2f}" for r in runs)
        print(
            f"{label:<18} {int(runs[0]['rows']):>9,} rows  {secs:6.2f} s median "
            f"[{each}]  peak {peak:,.0f} MB  "
            f"file {runs[0]['size']:.0f} MB {goal}"
        )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
