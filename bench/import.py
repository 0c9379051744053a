"""Benchmarks of `gomoq import` / `gomoq reconcile` (issue 16's measures).

    uv run python bench/import.py preflight [--rows 100000] [--contacts 1000000] [--runs 3]
    uv run python bench/import.py apply [--rows 100000] [--batch-size 500] [--rate 10]
    uv run python bench/import.py reconcile [--rows 100000]

1. **preflight**: a CSV of `--rows` rows (phones in the formats people type, 60 % of them
   numbers the cache holds, a name, a city, a number attribute with a decimal comma, a few bad
   rows) against the 1,000,000-contact cache snapshot of bench/checks.py (built once, in a child
   process): `build_import` — read, map, preflight, match, plan — timed in a fresh child process
   per run, with that process's peak RSS. Targets: 100,000 rows <= 5 s and <= 1.5 GB;
   1,000,000 rows <= 30 s.
2. **apply**: a real `gomoq sandbox` process at `--rate` requests/s with a tiny organisation,
   synced; a plan creating `--rows` new contacts through `POST /contact/upsert` in batches of
   `--batch-size`; target: >= 90 % of the rate-limit bound (requests / rate, e.g. 200 upserts
   of 500 at 10/s: 20 s).
3. **reconcile**: an organisation of `--rows` contacts carrying a `crm_id` (made by importing
   them, rate limit off), then a source with 1 % of the rows changed, 0.5 % removed and 0.5 %
   new: the plan must hold exactly those (key attr:crm_id, scope attr:crm_id, soft-delete);
   applied, and the same file reconciled again must plan nothing.

Everything gomoq writes goes under bench/out/ (GOMOQ_HOME). The machine may be shared: the load
average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "out"
TARGET_100K_S = 5.0
TARGET_RSS_GB = 1.5
TARGET_1M_S = 30.0
TARGET_SHARE = 0.9


def load() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def peak_rss_gb() -> float:
    """Peak RSS of this process so far (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


# -- 1. preflight ---------------------------------------------------------------------------


def source_csv(rows: int, cache_phones: pl.Series, seed: int, path: Path) -> Path:
    """A CRM-like CSV: 60 % known numbers (at most all the cache has) re-typed in another
    format, the rest new; 1 % bad."""
    if path.exists():
        return path
    known = cache_phones.drop_nulls().filter(cache_phones.str.starts_with("+2126"))
    n_known = min(int(rows * 0.6), known.len())
    picked = known.sample(n_known, with_replacement=False, seed=seed)
    retyped = "0" + picked.str.slice(4)  # +2126xxxxxxxx -> 06xxxxxxxx
    fresh = pl.Series(
        [f"+212 7{(seed * 7919 + i * 104729) % 100_000_000:08d}" for i in range(rows - n_known)]
    )
    frame = pl.DataFrame({"Téléphone": pl.concat([retyped, fresh])}).with_row_index("i")
    frame = frame.select(
        pl.when(pl.col("i") % 100 == 7)
        .then(pl.lit("12"))
        .otherwise(pl.col("Téléphone"))
        .alias("Téléphone"),
        pl.concat_str(pl.lit("Client "), pl.col("i").cast(pl.String)).alias("Nom"),
        pl.lit("Casablanca").alias("Ville"),
        pl.concat_str((pl.col("i") % 1000).cast(pl.String), pl.lit(",50")).alias("Score"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, separator=";")
    return path


def preflight_child(args: argparse.Namespace) -> None:
    """One timed `build_import` (run in a fresh process), printed as JSON."""
    from gomoq.config import Profile
    from gomoq.services.importing import ImportOptions, build_import

    profile = Profile(args.profile, "http://127.0.0.1:9/api", "gmq_bench_offline_key_000000")
    options = ImportOptions(maps=("Score=attr:score",), decimal=",")
    started, cpu = time.perf_counter(), time.process_time()
    result = build_import(profile, Path(args.source), options)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_s": cpu,
                "rss_gb": peak_rss_gb(),
                "match": result.matched.summary(),
                "rejected": result.preflight.rejects.height,
            }
        )
    )


def bench_preflight(args: argparse.Namespace) -> None:
    from gomoq.cache.store import Snapshot

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import checks as checks_bench  # bench/checks.py: the 1 M-contact snapshot

    ns = argparse.Namespace(contacts=args.contacts, calls=100_000, seed=42, fresh=False)
    snapshot = checks_bench.ensure_snapshot(ns)
    profile = f"bench-{args.contacts}-100000-42"
    phones = Snapshot.open(profile).read("contacts")["primary_phone"]
    source = source_csv(args.rows, phones, 42, OUT / f"import-source-{args.rows}.csv")
    size_mb = source.stat().st_size / 1e6
    print(f"source: {args.rows:,} rows ({size_mb:.0f} MB); cache: {snapshot}; load {load()}")
    times, peaks, cpus = [], [], []
    for run in range(args.runs):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "preflight-child",
                "--profile",
                profile,
                "--source",
                str(source),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        got = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(got["seconds"])
        peaks.append(got["rss_gb"])
        cpus.append(got.get("cpu_s", float("nan")))
        print(
            f"run {run + 1}: {got['seconds']:.2f} s ({cpus[-1]:.2f} CPU-s), "
            f"peak {got['rss_gb']:.2f} GB, "
            f"{got['match']}, {got['rejected']:,} rejected; load {load()}",
            flush=True,
        )
    target = TARGET_100K_S if args.rows <= 100_000 else TARGET_1M_S
    print(
        f"preflight {args.rows:,} rows vs {args.contacts:,} contacts: median "
        f"{statistics.median(times):.2f} s, {statistics.median(cpus):.2f} CPU-s "
        f"(target <= {target:.0f} s), peak "
        f"{max(peaks):.2f} GB (target <= {TARGET_RSS_GB} GB for 100k)"
    )


# -- 2. apply ------------------------------------------------------------------------------


def _home(name: str) -> Path:
    home = OUT / name
    shutil.rmtree(home, ignore_errors=True)
    os.environ["GOMOQ_HOME"] = str(home)
    return home


def _new_rows(rows: int, offset: int = 0) -> tuple[dict[str, Any], ...]:
    return tuple(
        {
            "primaryPhone": f"+2127{10_000_000 + offset + i:08d}",
            "fullName": f"Client {offset + i}",
            "city": "Rabat",
            "customAttributes": {"crm_id": f"C{offset + i}"},
        }
        for i in range(rows)
    )


def bench_apply(args: argparse.Namespace) -> None:
    from gomoq.config import Profile
    from gomoq.plan.model import CreateContactsAction, DefineAttributeAction, Plan
    from gomoq.sandbox.runner import start_background
    from gomoq.sandbox.settings import SandboxSettings
    from gomoq.services import plan as svc
    from gomoq.services.sync import sync

    _home("import-apply-home")
    db = OUT / "import-apply.sqlite3"
    db.unlink(missing_ok=True)
    settings = SandboxSettings(rate_limit=args.rate)
    with start_background(db, settings=settings, contacts=50, seed=5) as running:
        profile = Profile("bench", running.base_url, running.api_key, rate_limit=args.rate)
        sync(profile)
        define = Plan("bench", [DefineAttributeAction("d", "crm_id", "text")])
        assert svc.apply(profile, define).ok
        plan = Plan(
            "bench", [CreateContactsAction("c", _new_rows(args.rows), batch_size=args.batch_size)]
        )
        print(f"applying {args.rows:,} creates in batches of {args.batch_size}; load {load()}")
        server = psutil.Process(running.process.pid)
        server_cpu = sum(server.cpu_times()[:2])
        started, cpu = time.monotonic(), time.process_time()
        result = svc.apply(profile, plan)
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
        server_cpu = sum(server.cpu_times()[:2]) - server_cpu
    assert result.ok and result.done == args.rows, result.messages[:5]
    bound = result.requests / args.rate
    print(
        f"apply {args.rows:,} new contacts: {elapsed:.1f} s for {result.requests} requests; "
        f"rate-limit bound {bound:.1f} s; share {bound / elapsed:.1%} "
        f"(target >= {TARGET_SHARE:.0%}); CPU-s: gomoq {cpu:.1f}, sandbox {server_cpu:.1f}; "
        f"load {load()}"
    )


# -- 3. reconcile --------------------------------------------------------------------------


def bench_reconcile(args: argparse.Namespace) -> None:
    from gomoq.config import Profile
    from gomoq.plan.model import CreateContactsAction, DefineAttributeAction, Plan
    from gomoq.sandbox.runner import start_background
    from gomoq.sandbox.settings import SandboxSettings
    from gomoq.services import plan as svc
    from gomoq.services.importing import ImportOptions
    from gomoq.services.reconciling import ReconcileOptions, build_reconcile
    from gomoq.services.sync import sync

    _home("import-reconcile-home")
    db = OUT / "import-reconcile.sqlite3"
    db.unlink(missing_ok=True)
    n = args.rows
    with start_background(
        db, settings=SandboxSettings(rate_limit=0), contacts=50, seed=5
    ) as running:
        profile = Profile("bench", running.base_url, running.api_key, rate_limit=1000.0)
        sync(profile)
        seed_plan = Plan(
            "bench",
            [
                DefineAttributeAction("d", "crm_id", "text"),
                CreateContactsAction("c", _new_rows(n), 1000),
            ],
        )
        started = time.monotonic()
        made = svc.apply(profile, seed_plan)
        assert made.ok, made.messages[:5]
        print(f"organisation: {n:,} contacts with a crm_id in {time.monotonic() - started:.1f} s")

        changed, gone, new = n // 100, n // 200, n // 200
        rows = [
            {
                "tel": r["primaryPhone"],
                "nom": r["fullName"],
                "ville": "Fès" if i < changed else r["city"],
                "crm": r["customAttributes"]["crm_id"],
            }
            for i, r in enumerate(_new_rows(n))
        ][: n - gone]
        rows += [
            {
                "tel": x["primaryPhone"],
                "nom": x["fullName"],
                "ville": "Oujda",
                "crm": x["customAttributes"]["crm_id"],
            }
            for x in _new_rows(new, offset=n)
        ]
        source = OUT / f"reconcile-{n}.csv"
        pl.DataFrame(rows).write_csv(source)
        options = ImportOptions(maps=("crm=attr:crm_id",))
        rec = ReconcileOptions(
            key="attr:crm_id", scope="attr:crm_id", deleted="soft-delete", max_deletes="1%"
        )
        started = time.monotonic()
        result = build_reconcile(profile, source, options, rec)
        planned = time.monotonic() - started
        counts = result.extra["reconcile"]["counts"]
        print(f"reconcile {n:,} vs {n:,}: planned in {planned:.1f} s: {counts}; load {load()}")
        want = {"new": new, "changed": changed, "gone": gone}
        got = {k: counts[k] for k in want}
        print(f"  exact: {got == want} (want {want})")
        started = time.monotonic()
        applied = svc.apply(profile, result.plan)
        print(f"  applied in {time.monotonic() - started:.1f} s: {applied.headline()}")
        again = build_reconcile(profile, source, options, rec)
        print(
            f"  reconciled again: {len(again.plan.actions)} actions "
            f"({again.extra['reconcile']['counts']}) — idempotent: {not again.plan.actions}"
        )


def main() -> None:
    os.environ.setdefault("GOMOQ_HOME", str(OUT / "home"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["preflight", "apply", "reconcile", "preflight-child"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    args = parser.parse_args()
    {
        "preflight": bench_preflight,
        "apply": bench_apply,
        "reconcile": bench_reconcile,
        "preflight-child": preflight_child,
    }[args.what](args)


if __name__ == "__main__":
    main()
