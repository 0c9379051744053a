"""Workbench benchmark: a million cached contacts in the Contacts screen.

    uv run python bench/tui.py [--contacts 1000000] [--runs 5]

Prints, beside their targets:
- time from starting the app to the first interactive Contacts screen (table shown) <= 2 s;
- a search or filter (plain words and filter-language terms) over every contact, from the
  keystroke to the updated table <= 250 ms (median);
- peak memory (max RSS of this process) <= 1.5 GB.

The contacts are synthetic (vectorised polars, deterministic) and written once as a real cache
snapshot (`gomoq.cache.store.write_snapshot`) in a gomoq home under bench/out/; the app opens it
with `Snapshot.open` as it does for a synced profile. The app runs headless (Textual's test driver)
at 120x40. The checks are not run (findings are given empty): this measures the table, not them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gomoq.cache.schema import TABLES
from gomoq.checks.findings import empty_findings
from gomoq.config import Profile

OUT = Path(__file__).parent / "out"
INNER: list[float] = []  # worker-side search + Arrow conversion times, for the breakdown
CITIES = ["Rabat", "Casablanca", "Fès", "Tanger", "Agadir", "Marrakech", "Oujda", "Meknès"]
JOBS = ["farmer", "teacher", "nurse", "driver", "student", "trader", "engineer", None]


def make_contacts(n: int) -> pl.DataFrame:
    """`n` synthetic contacts in the cache schema."""
    i = pl.int_range(0, n, eager=True)
    first = pl.Series(["Ahmed", "Fatima", "Youssef", "Khadija", "Omar", "Salma", "Amine"])
    last = pl.Series(["Alaoui", "Bennani", "Tazi", "Idrissi", "Chraibi", "Fassi", "Berrada"])
    frame = pl.DataFrame({"n": i}).with_columns(
        pl.format("c{}", pl.col("n")).alias("id"),
        pl.lit("org").alias("organization_id"),
        pl.format("+2126{}", pl.col("n").cast(pl.String).str.zfill(8)).alias("primary_phone"),
        first.gather(i % 7).alias("first_name"),
        (last.gather((i // 7) % 7) + pl.Series(i % 997).cast(pl.String)).alias("last_name"),
    )
    frame = frame.with_columns(
        pl.concat_str("first_name", "last_name", separator=" ").alias("full_name"),
        pl.format("user{}@example.ma", pl.col("n")).alias("primary_email"),
        pl.lit(None, dtype=pl.String).alias("address"),
        pl.Series(CITIES).gather(i % len(CITIES)).alias("city"),
        pl.lit(None, dtype=pl.String).alias("state"),
        pl.lit(None, dtype=pl.String).alias("zip"),
        pl.Series(JOBS, dtype=pl.String).gather(i % len(JOBS)).alias("occupation"),
        pl.lit("voice").alias("preferred_channel"),
        pl.lit(None, dtype=pl.String).alias("gender"),
        pl.lit(["voice"]).alias("channels"),
        pl.lit('{"age": 30}').alias("custom_attributes"),
        pl.lit(1_700_000_000_000).cast(pl.Datetime("ms", "UTC")).alias("created_at"),
        pl.lit(1_700_000_000_000).cast(pl.Datetime("ms", "UTC")).alias("updated_at"),
    )
    return frame.select([pl.col(c).cast(t) for c, t in TABLES["contacts"].items()])


def prepare(n: int) -> str:
    """Write the synthetic snapshot once per size; returns the profile name."""
    home = OUT / "tui-home"
    os.environ["GOMOQ_HOME"] = str(home)
    name = f"bench{n}"
    from gomoq.cache.store import NoCache, Snapshot, write_snapshot

    try:
        if Snapshot.open(name).manifest.get("counts", {}).get("contacts") == n:
            return name
    except NoCache:
        pass
    write_snapshot(name, {"contacts": make_contacts(n)}, {"finished_at": "2026-01-01T00:00:00Z"})
    return name


async def measure(name: str, queries: list[str]) -> tuple[float, list[float], int]:
    """(seconds to interactive, search seconds each, rows) for one app run."""
    from gomoq.tui.app import GomoqApp
    from gomoq.tui.screens.contacts import ContactsScreen

    profile = Profile(name=name, base_url="http://127.0.0.1:9/api", api_key="bench-key-0000")
    started = time.perf_counter()
    app = GomoqApp(profile, start_mode="contacts", findings=empty_findings())
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, ContactsScreen) and app.screen.searches >= 1):
            await pilot.pause(0.005)
        ready = time.perf_counter() - started
        screen = app.screen
        rows = screen.rows.height if screen.rows is not None else 0
        await pilot.press("slash")
        timings: list[float] = []
        inner: list[float] = []
        for query in queries:
            before = screen.searches
            t0 = time.perf_counter()
            screen.query_one("#search").value = query  # type: ignore[attr-defined]
            while screen.searches == before:
                await pilot.pause(0.002)
            timings.append(time.perf_counter() - t0)
            inner.append(screen.last_search_seconds or 0.0)
    INNER.extend(inner)
    return ready, timings, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    name = prepare(args.contacts)
    # Plain words and filter-language terms (gomoq/filters.py): fields, wildcards, OR, negation.
    queries = [
        "fatima",
        "tazi12",
        "rabat",
        "user99999",
        "city:fès",
        "zzz-nothing",
        "omar",
        "city:rabat,tanger -occupation:empty",
        "name:fatima* | name:omar*",
        "(city:agadir | city:oujda) occupation:nurse",
    ]
    ready_times: list[float] = []
    search_times: list[float] = []
    rows = 0
    for _ in range(args.runs):
        ready, timings, rows = asyncio.run(measure(name, queries))
        ready_times.append(ready)
        search_times.extend(timings)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ready_s = statistics.median(ready_times)
    search_ms = statistics.median(search_times) * 1000
    worst_ms = max(search_times) * 1000

    def verdict(ok: bool) -> str:
        return "OK" if ok else "MISSED"

    print(f"contacts in the table {rows:,}")
    print(
        f"start to interactive Contacts screen {ready_s:.2f} s (target <= 2 s) "
        f"{verdict(ready_s <= 2)}  [runs: {', '.join(f'{t:.2f}' for t in ready_times)}]"
    )
    print(
        f"search over all contacts, keystroke to table {search_ms:.0f} ms median, "
        f"{worst_ms:.0f} ms worst (target <= 250 ms) {verdict(search_ms <= 250)}"
    )
    print(
        f"  of which filtering and Arrow conversion in the worker "
        f"{statistics.median(INNER) * 1000:.0f} ms median"
    )
    print(f"load average while measuring {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"peak memory {peak_mb:,.0f} MB (target <= 1536 MB) {verdict(peak_mb <= 1536)}")


if __name__ == "__main__":
    main()
