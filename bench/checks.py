"""Benchmark: every check on 1,000,000 contacts and 5,000,000 calls.

    uv run python bench/checks.py [--contacts 1000000] [--calls 5000000] [--runs 3] [--seed 42]

The frames are synthesised directly with polars from a seed (ids, Moroccan phones in the formats
people type, names, emails, cities, genders, ~3 custom attributes per contact with a few bad
values, a year of calls with every status and a rare unknown one). Each check is timed on its
own (median of `--runs`, a fresh `CheckInput` each time so shared results are recomputed), then
all checks together through `run_checks_on` (which runs them two at a time), and the peak RSS
of the process is reported. The frames are written once as a real cache snapshot (by a child
process, under bench/out/home; `write_snapshot`, like a sync, stores the calls sorted by
contact) and every run reads it from Parquet like `gomoq check` does.
The phones memo lives under bench/out/home (GOMOQ_HOME), so runs after the first reuse it, as
a weekly run would. Wall and CPU time are printed: the machine may be shared.
Targets (issue 4): all checks together <= 5 s median, peak RSS <= 2.5 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from gomoq.cache.store import NoCache, Snapshot, write_snapshot
from gomoq.checks import registry
from gomoq.checks.base import CheckInput
from gomoq.checks.settings import CheckSettings
from gomoq.services.checks import run_checks_on

NOW = datetime(2026, 5, 1, tzinfo=UTC)
TARGET_ALL_S = 5.0
TARGET_RSS_GB = 2.5
BENCH_LAYOUT = 2  # raised when `write_snapshot` writes differently (2: calls sorted by contact)

FIRST = [
    "Fatima",
    "Mohamed",
    "Mohammed",
    "Youssef",
    "Khadija",
    "Aicha",
    "Omar",
    "Salma",
    "Hamza",
    "Imane",
    "Karim",
    "Nadia",
    "Rachid",
    "Sanaa",
    "Mehdi",
    "Zineb",
]
LAST = [
    "El Amrani",
    "Benali",
    "Alaoui",
    "Bennani",
    "Tazi",
    "El Idrissi",
    "Chraibi",
    "Berrada",
    "Fassi",
    "Lahlou",
    "Ouazzani",
    "Sqalli",
]
CITIES = ["Casablanca", "Rabat", "Fès", "Marrakech", "Tanger", "Agadir", "Oujda", "Meknès"]
STATUSES = (
    ["answered"] * 40
    + ["no_answer"] * 25
    + ["busy"] * 12
    + ["rejected"] * 6
    + ["voicemail"] * 10
    + ["failed"] * 6
    + ["network_congestion"]
)


def _pick(values: list[str], key: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values)).get(key % len(values))


def _rand(seed: int, salt: int) -> pl.Expr:
    """A deterministic pseudo-random UInt64 per row (polars' hash of the row index)."""
    return pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed * 1_000_003 + salt)


def _uuid(idx: pl.Expr, salt: str) -> pl.Expr:
    hexed = idx.cast(pl.String).str.zfill(12)
    return pl.concat_str(pl.lit(f"{salt}0000-0000-4000-8000-"), hexed)


def build(contacts: int, calls: int, seed: int) -> dict[str, pl.DataFrame]:
    """Synthetic cache tables (see the module docstring)."""
    base = pl.DataFrame({"i": pl.int_range(contacts, eager=True)})
    digits = (_rand(seed, 1) % 100_000_000).cast(pl.String).str.zfill(8)
    # Shares close to a real organisation's: mostly E.164 mobiles, local and spaced formats,
    # a few landlines and ~1% garbage (which goes through phonenumbers row by row).
    fmt = _rand(seed, 2) % 100
    phone = (
        pl.when(fmt < 50)
        .then(pl.concat_str(pl.lit("+2126"), digits))
        .when(fmt < 70)
        .then(pl.concat_str(pl.lit("06"), digits))
        .when(fmt < 82)
        .then(
            pl.concat_str(
                pl.lit("00212 6"), digits.str.slice(0, 2), pl.lit(" "), digits.str.slice(2)
            )
        )
        .when(fmt < 94)
        .then(
            pl.concat_str(pl.lit("07-"), digits.str.slice(0, 4), pl.lit("-"), digits.str.slice(4))
        )
        .when(fmt < 99)
        .then(pl.concat_str(pl.lit("+212 522 "), digits.str.slice(0, 6)))
        .otherwise(pl.concat_str(pl.lit("6"), digits.str.slice(0, 5)))  # too short: invalid
    )
    first = _pick(FIRST, _rand(seed, 3))
    last = _pick(LAST, _rand(seed, 4))
    contacts_frame = base.select(
        _uuid(pl.col("i"), "c").alias("id"),
        pl.lit("org-1").alias("organization_id"),
        phone.alias("primary_phone"),
        first.alias("first_name"),
        last.alias("last_name"),
        pl.concat_str(first, pl.lit(" "), last).alias("full_name"),
        pl.when(_rand(seed, 5) % 50 == 0)
        .then(pl.lit("broken@"))
        .otherwise(
            pl.concat_str(
                first.str.to_lowercase(), pl.col("i").cast(pl.String), pl.lit("@example.ma")
            )
        )
        .alias("primary_email"),
        _pick(CITIES, _rand(seed, 6)).alias("city"),
        _pick(["male", "female", "female", "male", "F"], _rand(seed, 7)).alias("gender"),
        (pl.lit(NOW) - pl.duration(days=(_rand(seed, 8) % 900).cast(pl.Int64)))
        .dt.cast_time_unit("ms")
        .alias("created_at"),
    )
    n_attr = contacts * 3
    attrs = pl.DataFrame({"i": pl.int_range(n_attr, eager=True)}).select(
        _uuid(pl.col("i") // 3, "c").alias("contact_id"),
        _pick(["age", "vip", "birthday"], pl.col("i")).alias("name"),
        pl.col("i"),
        (_rand(seed, 9) % 100).alias("r"),
    )
    value = (
        pl.when(pl.col("name") == "age")
        .then(
            pl.when(pl.col("r") < 2)
            .then(pl.lit("douze"))
            .otherwise((pl.col("r") + 18).cast(pl.String))
        )
        .when(pl.col("name") == "vip")
        .then(pl.when(pl.col("r") < 50).then(pl.lit("true")).otherwise(pl.lit("false")))
        .otherwise(
            pl.when(pl.col("r") < 1)
            .then(pl.lit("2020-02-30"))
            .otherwise(
                pl.concat_str(
                    pl.lit("19"),
                    (pl.col("r") % 90 + 10).cast(pl.String),
                    pl.lit("-0"),
                    (pl.col("r") % 9 + 1).cast(pl.String),
                    pl.lit("-15"),
                )
            )
        )
    )
    json_type = (
        pl.when((pl.col("name") == "age") & (pl.col("r") >= 2))
        .then(pl.lit("number"))
        .when(pl.col("name") == "vip")
        .then(pl.lit("boolean"))
        .otherwise(pl.lit("string"))
    )
    attributes = attrs.select(
        "contact_id", "name", value.alias("value"), json_type.alias("json_type")
    )
    defs = pl.DataFrame({"name": ["age", "vip"], "type": ["number", "boolean"]}).vstack(
        pl.DataFrame({"name": ["birthday"], "type": ["date"]})
    )
    # Calls: contact picked by a skewed hash (some contacts many calls, some none).
    calls_frame = (
        pl.DataFrame({"i": pl.int_range(calls, eager=True)})
        .select(
            _uuid(pl.col("i"), "k").alias("id"),
            _uuid((_rand(seed, 10) % contacts), "c").alias("contact_id"),
            _pick(STATUSES, _rand(seed, 11)).alias("status"),
            pl.lit("outbound").alias("direction"),
            (pl.lit(NOW) - pl.duration(minutes=(_rand(seed, 12) % (365 * 24 * 60)).cast(pl.Int64)))
            .dt.cast_time_unit("ms")
            .alias("created_at"),
        )
        .with_columns(
            pl.when(pl.col("status") == "answered").then(pl.col("created_at")).alias("answered_at")
        )
        # Calls dial the contact's number as it is stored (as the real call records do).
        .join(
            contacts_frame.select(pl.col("id").alias("contact_id"), "primary_phone"),
            on="contact_id",
            how="left",
            maintain_order="left",
        )
        .rename({"primary_phone": "phone_number"})
    )
    return {
        "contacts": contacts_frame,
        "attributes": attributes,
        "attribute_defs": defs,
        "calls": calls_frame,
    }


def peak_rss_gb() -> float:
    """Peak resident set size of this process so far, in GB (Linux: ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def ensure_snapshot(args: argparse.Namespace) -> Snapshot:
    """The benchmark's cache snapshot, built once in a child process (so that building the
    frames does not count in this process's peak memory) and reused on later runs."""
    profile = f"bench-{args.contacts}-{args.calls}-{args.seed}"
    if not args.fresh:
        try:
            snapshot = Snapshot.open(profile)
        except NoCache:
            pass
        else:
            # A snapshot written by an older gomoq may lack what writers now do (calls sorted
            # by contact since stop 10): rebuilt rather than measured as a sync no longer
            # writes it.
            if snapshot.manifest.get("bench_layout") == BENCH_LAYOUT:
                return snapshot
    command = [
        sys.executable,
        __file__,
        "--build-only",
        "--contacts",
        str(args.contacts),
        "--calls",
        str(args.calls),
        "--seed",
        str(args.seed),
    ]
    subprocess.run(command, check=True)
    return Snapshot.open(profile)


def build_only(args: argparse.Namespace) -> None:
    """Synthesise the frames and write them as a cache snapshot (zstd Parquet, as sync does)."""
    start = time.perf_counter()
    frames = build(args.contacts, args.calls, args.seed)
    profile = f"bench-{args.contacts}-{args.calls}-{args.seed}"
    manifest = {"source": "bench/checks.py", "seed": args.seed, "bench_layout": BENCH_LAYOUT}
    write_snapshot(profile, frames, manifest)
    print(
        f"built and wrote {args.contacts:,} contacts, {frames['attributes'].height:,} attribute "
        f"values, {args.calls:,} calls in {time.perf_counter() - start:.1f} s"
    )


def main() -> None:
    # Keep the snapshot, the phones memo and anything else gomoq writes out of the user's own
    # folders.
    os.environ.setdefault("GOMOQ_HOME", str(Path(__file__).parent / "out" / "home"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--checks", default=None, help="comma-separated subset")
    parser.add_argument("--fresh", action="store_true", help="rebuild the snapshot")
    parser.add_argument("--total-only", action="store_true", help="skip per-check timings")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build_only(args)
        return

    snapshot = ensure_snapshot(args)
    settings = CheckSettings(now=NOW)
    names = args.checks.split(",") if args.checks else registry.resolve(None, settings)
    print(f"snapshot {snapshot.path}; checks: {', '.join(names)}; median of {args.runs} runs")

    # The machine may be shared: CPU time (all threads of this process) beside wall time tells
    # contention apart from slowness; the load average is printed for the same reason.
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name in [] if args.total_only else names:
        times, cpus, count = [], [], 0
        for _ in range(args.runs):
            tables = CheckInput.from_snapshot(snapshot)
            t0, c0 = time.perf_counter(), time.process_time()
            count = registry.run_check(name, tables, settings).height
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        print(
            f"  {name:<14} median {statistics.median(times):6.2f} s wall, "
            f"{statistics.median(cpus):6.2f} s CPU  ({count:,} findings)"
        )

    totals, total_cpus = [], []
    found = 0
    for _ in range(args.runs):
        tables = CheckInput.from_snapshot(snapshot)
        t0, c0 = time.perf_counter(), time.process_time()
        run = run_checks_on(tables, settings, checks=names)
        totals.append(time.perf_counter() - t0)
        total_cpus.append(time.process_time() - c0)
        found = run.findings.height
        del run, tables
    total = statistics.median(totals)
    rss = peak_rss_gb()
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"all checks together (reading the Parquet snapshot): median {total:.2f} s wall "
        f"(target <= {TARGET_ALL_S:.0f} s) {'OK' if total <= TARGET_ALL_S else 'MISSED'}, "
        f"{statistics.median(total_cpus):.2f} s CPU  ({found:,} findings)"
    )
    print(
        f"peak RSS {rss:.2f} GB (target <= {TARGET_RSS_GB} GB) "
        f"{'OK' if rss <= TARGET_RSS_GB else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
