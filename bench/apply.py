"""How fast does `gomoq apply` write at the API's rate limit?

Starts a real `gomoq sandbox` process at 10 requests/s over a copy of a generated organisation,
syncs it (bulk writes take their before-images from the cache), then applies:

1. one plan flagging 10,000 contacts whose stored phone no other contact holds (`dq_flag`,
   through `POST /contact/upsert` in batches of 1,000) — target: done in <= 5 s; then the
   contacts that share a stored phone (~0.7 % of a generated organisation), for which upsert
   reaches only the oldest holder, so the others are written by id (timed and shown apart);
2. one plan of 1,000 two-contact merges — target: within 90 % of the rate-limit bound, i.e.
   (requests sent) / (rate) >= 0.9 x the time taken. The requests a merge needs are printed
   (re-read survivor and loser, update the survivor, move memberships, soft-delete the loser).

    uv run python bench/apply.py [--contacts 12000] [--flags 10000] [--merges 1000] [--rate 10]
        [--runs 1]

The generated organisation is kept under bench/out/ and copied for every run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "out"


def template(contacts: int, name: str = "apply") -> Path:
    """The generated organisation (made once, kept as `<name>-<contacts>.sqlite3`)."""
    db = OUT / f"{name}-{contacts}.sqlite3"
    if not db.exists():
        from gomoq.sandbox.generator import generate_organisation

        print(f"generating {contacts:,} contacts into {db} ...", flush=True)
        partial = db.with_name(db.name + ".partial")
        partial.unlink(missing_ok=True)
        generate_organisation(partial, contacts=contacts, seed=42)
        partial.rename(db)
    return db


def copy(source: Path, target: Path) -> Path:
    """A private copy (SQLite backup, so WAL content comes along)."""
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def _flags(profile: Any, ids: list[str], value: str) -> tuple[float, Any]:
    from gomoq.plan.model import FlagAction, Plan
    from gomoq.services import plan as svc

    plan = Plan("bench", [FlagAction(f"flags-{value}", tuple(ids), value=value)])
    started = time.monotonic()
    result = svc.apply(profile, plan)
    elapsed = time.monotonic() - started
    assert result.done == len(ids), result.messages[:5]
    return elapsed, result


def _split(result: Any) -> str:
    from gomoq.plan.journal import Journal, connect

    steps = Journal(connect()).steps(result.run_id)
    upserts = sum(1 for s in steps if s.kind == "upsert")
    by_id = sum(1 for s in steps if s.kind == "update")
    return f"{result.requests} requests ({upserts} upserts, {by_id} by id)"


def one_run(args: argparse.Namespace, run: int) -> tuple[float, float, float, float]:
    """Flags seconds, merge seconds, merge requests, requests per merge."""
    from gomoq.cache.store import Snapshot
    from gomoq.config import Profile
    from gomoq.plan.journal import Journal, connect
    from gomoq.plan.model import MergeAction, Plan
    from gomoq.sandbox.runner import start_background
    from gomoq.sandbox.settings import SandboxSettings
    from gomoq.services import plan as svc
    from gomoq.services.sync import sync

    home = OUT / "apply-home"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["GOMOQ_HOME"] = str(home)
    db = copy(template(args.contacts), OUT / "apply-work.sqlite3")
    settings = SandboxSettings(rate_limit=args.rate)
    with start_background(db, settings=settings) as running:
        profile = Profile("bench", running.base_url, running.api_key, rate_limit=args.rate)
        started = time.monotonic()
        synced = sync(profile)
        print(
            f"run {run}: synced {synced.counts['contacts']:,} contacts in "
            f"{time.monotonic() - started:.1f} s",
            flush=True,
        )
        contacts = Snapshot.open("bench").read("contacts")
        counts = contacts.group_by("primary_phone").len()
        shared = set(counts.filter(pl.col("len") > 1)["primary_phone"].to_list())
        unique = contacts.filter(~pl.col("primary_phone").is_in(list(shared)))["id"].to_list()
        sharing = contacts.filter(pl.col("primary_phone").is_in(list(shared)))["id"].to_list()
        if len(unique) < args.flags:
            raise SystemExit(
                f"need {args.flags:,} contacts with unique phones, have {len(unique):,}"
            )

        # 1. the upsert path: contacts whose stored phone no other contact holds
        flag_s, flagged = _flags(profile, unique[: args.flags], "bench")
        print(
            f"run {run}: {args.flags:,} flags (unique phones): {_split(flagged)}, {flag_s:.2f} s",
            flush=True,
        )
        # 2. contacts sharing a stored phone: an upsert reaches only the oldest holder
        if sharing:
            shared_s, flagged_shared = _flags(profile, sharing, "shared")
            print(
                f"run {run}: {len(sharing):,} flags (phones held by several contacts): "
                f"{_split(flagged_shared)}, {shared_s:.2f} s",
                flush=True,
            )

        ids = unique[args.flags :] + sharing
        if len(ids) < 2 * args.merges:
            raise SystemExit(f"need {2 * args.merges:,} more contacts for the merges")
        journal = Journal(connect())
        rest = ids[: 2 * args.merges]
        merges = Plan(
            "bench",
            [MergeAction(f"m{i}", rest[2 * i], (rest[2 * i + 1],)) for i in range(args.merges)],
        )
        started = time.monotonic()
        merged = svc.apply(profile, merges)
        merge_s = time.monotonic() - started
        assert merged.done == args.merges and merged.failed == 0, merged.messages[:5]
        steps = len(journal.steps(merged.run_id))
        # every step is one request; each merge also re-read its two contacts first
        per_merge = (steps + 2 * args.merges) / args.merges
        print(
            f"run {run}: {args.merges:,} merges: {merged.requests} requests "
            f"({per_merge:.2f} per merge + {merged.requests - steps - 2 * args.merges} "
            f"to read memberships), {merge_s:.1f} s",
            flush=True,
        )
    return flag_s, merge_s, float(merged.requests), per_merge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=12_000)
    parser.add_argument("--flags", type=int, default=10_000)
    parser.add_argument("--merges", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    for var in ("GOMOQ_CACHE_DIR", "GOMOQ_CONFIG_DIR", "GOMOQ_DATA_DIR", "GOMOQ_PROFILE"):
        os.environ.pop(var, None)

    results = [one_run(args, run + 1) for run in range(args.runs)]
    flag_s = statistics.median(r[0] for r in results)
    merge_s = statistics.median(r[1] for r in results)
    requests = statistics.median(r[2] for r in results)
    per_merge = statistics.median(r[3] for r in results)
    bound = requests / args.rate
    share = bound / merge_s
    print(
        f"flags             {args.flags:,} (unique phones) applied in {flag_s:.2f} s "
        f"(target <= 5 s) "
        f"{'OK' if flag_s <= 5 else 'MISSED'}"
    )
    print(
        f"requests/merge    {per_merge:.2f} (2 reads, survivor update, membership moves, "
        f"loser delete)"
    )
    print(
        f"merges            {args.merges:,} in {merge_s:.1f} s; rate-limit bound "
        f"{requests:,.0f} requests / {args.rate:g} per s = {bound:.1f} s; "
        f"{share:.1%} of the bound (target >= 90 %) {'OK' if share >= 0.9 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
