"""Benchmark: the sandbox is never the bottleneck.

Median latency of `GET /api/contact?limit=100&include=customAttributes` on the first, middle and
last pages of a 1,000,000-contact organisation, against a real `gomoq sandbox` process over
HTTP (keep-alive), printed beside the target (<= 20 ms).

    uv run python bench/sandbox.py [--contacts 1000000] [--runs 40] [--rounds 3] [--synthetic]

The organisation is generated once by `gomoq.sandbox.generator` and cached under `bench/out/`
(`--synthetic` fills a plain one instead, for when the generator is not at hand).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

from gomoq.sandbox import db as sdb
from gomoq.sandbox.runner import start_background
from gomoq.sandbox.settings import SandboxSettings

OUT = Path(__file__).parent / "out"
TARGET_MS = 20.0


def synthetic(db: Path, contacts: int) -> None:
    """A plain organisation: contacts with names, phones and three attribute values."""
    rng = random.Random(1)
    conn = sdb.connect(db)
    org = str(uuid.UUID(int=1))
    for key, value in {
        "org_id": org,
        "org_name": "Bench",
        "org_slug": "bench",
        "user_id": str(uuid.UUID(int=2)),
        "user_email": "b@bench.invalid",
        "api_key": "gmq_bench_key_0123456789",
    }.items():
        sdb.set_meta(conn, key, value)
    conn.execute("BEGIN")
    batch = []
    for i in range(contacts):
        stamp = f"2023-{1 + i // 2_700_000 % 12:02d}-01T00:00:00.000Z"
        attrs = (
            f'{{"loyalty_points": {i % 997}, "vip": {"true" if i % 7 else "false"}, '
            f'"interests": ["tech", "sport"]}}'
        )
        batch.append(
            (
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                org,
                f"+2126{i:08d}",
                f"Prénom{i}",
                f"Nom{i}",
                f"p{i}@example.com",
                "Casablanca",
                attrs,
                stamp,
                stamp,
            )
        )
        if len(batch) == 50_000:
            conn.executemany(
                "INSERT INTO contacts (id, organization_id, primary_phone, first_name, "
                "last_name, primary_email, city, custom_attributes, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                batch,
            )
            batch.clear()
            print(f"\r  synthetic contacts: {i + 1:,}", end="", file=sys.stderr)
    if batch:
        conn.executemany(
            "INSERT INTO contacts (id, organization_id, primary_phone, first_name, last_name, "
            "primary_email, city, custom_attributes, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            batch,
        )
    conn.execute("COMMIT")
    conn.close()
    print(file=sys.stderr)


def ensure_db(contacts: int, use_synthetic: bool) -> Path:
    """The cached organisation (generated on first run)."""
    kind = "synthetic" if use_synthetic else "generated"
    db = OUT / f"sandbox-{kind}-{contacts}.sqlite3"
    if db.exists():
        return db
    OUT.mkdir(parents=True, exist_ok=True)
    partial = db.with_name(db.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    print(
        f"Building a {kind} organisation of {contacts:,} contacts (cached in {db})…",
        file=sys.stderr,
    )
    if use_synthetic:
        synthetic(partial, contacts)
    else:
        from gomoq.sandbox.generator import generate_organisation

        generate_organisation(partial, contacts=contacts, seed=42)
        truth = partial.with_suffix(".truth.json")
        if truth.exists():
            truth.replace(db.with_suffix(".truth.json"))
    partial.replace(db)
    print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db


def measure(client: httpx.Client, page: int, runs: int) -> tuple[float, float]:
    """(median ms, first-request ms) for one page."""
    params = {"page": page, "limit": 100, "include": "customAttributes"}
    started = time.perf_counter()
    first = client.get("/contact", params=params)
    first_ms = (time.perf_counter() - started) * 1000
    first.raise_for_status()
    assert len(first.json()["data"]) > 0, f"page {page} is empty"
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        r = client.get("/contact", params=params)
        timings.append((time.perf_counter() - started) * 1000)
        r.raise_for_status()
    return statistics.median(timings), first_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40, help="timed requests per page")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the three pages")
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="fill a plain organisation instead of running the generator",
    )
    args = parser.parse_args()
    db = ensure_db(args.contacts, args.synthetic)
    running = start_background(db, settings=SandboxSettings(rate_limit=0))
    failed = False
    try:
        started = time.perf_counter()
        while not running.admin("GET", "health")["warmed"]:
            time.sleep(0.1)
        print(f"page map warmed {time.perf_counter() - started:.1f} s after the server answered")
        with httpx.Client(
            base_url=running.base_url, headers={"X-API-Key": running.api_key}, timeout=60
        ) as client:
            total = client.get("/contact", params={"limit": 1}).json()["meta"]["total"]
            last = max(1, -(-total // 100))
            print(f"{total:,} live contacts, {last:,} pages of 100 ({db.name})")
            pages = (("first", 1), ("middle", last // 2), ("last", last))
            rounds: dict[str, list[float]] = {label: [] for label, _ in pages}
            for round_no in range(1, args.rounds + 1):
                for label, page in pages:
                    median, first_ms = measure(client, page, args.runs)
                    rounds[label].append(median)
                    print(
                        f"  round {round_no}: {label} page ({page:,}) median {median:.1f} ms"
                        f" [first request {first_ms:.0f} ms]",
                        file=sys.stderr,
                    )
            for label, page in pages:
                median = statistics.median(rounds[label])
                ok = median <= TARGET_MS
                failed |= not ok
                print(
                    f"median latency {label} page ({page:,}): {median:.1f} ms "
                    f"(target <= {TARGET_MS:.0f} ms) {'OK' if ok else 'MISSED'}"
                    f"  [median of {args.rounds} rounds of {args.runs} requests]"
                )
    finally:
        running.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
