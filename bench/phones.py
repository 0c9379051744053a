"""Phones written back in E.164, and every `--auto` rule in one plan (issue 14's measures).

1. **Rewrites at the rate limit.** A real `gomoq sandbox` process at 10 requests/s over a
   generated organisation, synced; one plan of N `set_phone` rewrites (`normalise-phones`,
   first N). Target: (requests sent) / (rate) >= 0.9 x the time taken, with one request per
   rewrite (upsert matches the phone as stored, so a rewrite is one update by id).
2. **Every rule in one plan** on a fresh organisation (the sandbox's rate limit off: this part
   checks what happens, not how fast): `gomoq plan --auto` with every rule, applied: 0 conflicts,
   nothing failed; `gomoq sync` and the phones check: every `non_e164` finding left belongs to
   a contact whose E.164 number another live contact holds (an exact-duplicate cluster); undo
   of the run: every live contact's stored fields and static memberships as before (the
   server's database compared field by field, ids and timestamps aside — soft-deleted contacts
   come back under new ids). Also prints how many contacts each rule takes.

    uv run python bench/phones.py [--contacts 3000] [--rewrites 1000] [--rate 10] [--runs 1]
        [--skip-rules] [--skip-rate]

The generated organisation (seed 42, like `gomoq demo`) is kept under bench/out/.
"""

from __future__ import annotations

import argparse
import json
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import apply as apply_bench  # bench/apply.py: the template organisation and its copy

copy = apply_bench.copy

OUT = Path(__file__).resolve().parent / "out"
EVERY_RULE = [
    "merge-exact:confidence>=0.9:survivor=most-complete",
    "normalise-phones",
    "flag-invalid-phones",
    "flag-repeated-failures",
    "flag-inactive",
    "remove-inactive-from-audiences",
    "delete-invalid-phones",
    "delete-inactive",
]


def template(contacts: int) -> Path:
    """The generated organisation (made once; the same recipe as bench/apply.py's)."""
    return apply_bench.template(contacts, name="phones")


def server_state(db: Path) -> list[str]:
    """Every live contact's stored data and static memberships (ids, times aside), sorted."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    out = []
    skip = ("seq", "id", "updated_at", "deleted_at", "created_at")
    for row in conn.execute("SELECT * FROM contacts WHERE deleted_at IS NULL"):
        data = {k: row[k] for k in row.keys() if k not in skip}  # noqa: SIM118
        data["custom_attributes"] = json.loads(row["custom_attributes"] or "{}")
        data["memberships"] = sorted(
            r[0]
            for r in conn.execute(
                "SELECT m.audience_id FROM audience_members m JOIN audiences a"
                " ON a.id = m.audience_id WHERE m.contact_id = ? AND m.status = 'active'"
                " AND a.type = 'static'",
                (row["id"],),
            )
        )
        out.append(json.dumps(data, sort_keys=True, default=str))
    conn.close()
    return sorted(out)


def fresh_home(name: str) -> None:
    home = OUT / name
    shutil.rmtree(home, ignore_errors=True)
    os.environ["GOMOQ_HOME"] = str(home)


def rewrites(args: argparse.Namespace, run: int) -> tuple[float, int, int]:
    """Seconds, requests and rewrites of one run of part 1."""
    from gomoq.config import Profile
    from gomoq.plan.model import Plan, SetPhoneAction
    from gomoq.sandbox.runner import start_background
    from gomoq.sandbox.settings import SandboxSettings
    from gomoq.services import plan as svc
    from gomoq.services.sync import sync

    fresh_home("phones-home")
    db = copy(template(args.contacts), OUT / "phones-work.sqlite3")
    with start_background(db, settings=SandboxSettings(rate_limit=args.rate)) as running:
        profile = Profile("bench", running.base_url, running.api_key, rate_limit=args.rate)
        sync(profile)
        (action,) = svc.plan_auto(profile, ["normalise-phones"]).actions
        assert isinstance(action, SetPhoneAction)
        ids = action.contacts[: args.rewrites]
        if len(ids) < args.rewrites:
            raise SystemExit(f"only {len(ids):,} phones to rewrite; use more --contacts")
        plan = Plan("bench", [SetPhoneAction("p1", ids, {c: action.phones[c] for c in ids})])
        started = time.monotonic()
        result = svc.apply(profile, plan)
        took = time.monotonic() - started
        assert result.ok and result.conflicts == 0, result.messages[:5]
        print(
            f"run {run}: {len(ids):,} rewrites: {result.requests:,} requests in {took:.1f} s "
            f"({result.duplicates} duplicates)",
            flush=True,
        )
    return took, result.requests, len(ids)


def every_rule(args: argparse.Namespace) -> None:
    """Part 2 (see the module docstring)."""
    from gomoq.config import Profile
    from gomoq.sandbox.runner import start_background
    from gomoq.sandbox.settings import SandboxSettings
    from gomoq.services import plan as svc
    from gomoq.services.checks import run_checks
    from gomoq.services.sync import sync

    fresh_home("rules-home")
    db = copy(template(args.contacts), OUT / "rules-work.sqlite3")
    with start_background(db, settings=SandboxSettings(rate_limit=0)) as running:
        profile = Profile("bench", running.base_url, running.api_key, rate_limit=1000.0)
        sync(profile)
        for rule in EVERY_RULE:
            plan = svc.plan_auto(profile, [rule])
            taken = {c for a in plan.actions for c in a.contact_ids()}
            print(f"rule {rule:<55} {len(taken):>6,} contacts", flush=True)
        before = server_state(db)
        notes: list[str] = []
        plan = svc.plan_auto(profile, EVERY_RULE, notes=notes)
        for note in notes:
            print(f"plan note: {note}")
        started = time.monotonic()
        result = svc.apply(profile, plan)
        print(f"apply: {result.headline()} ({time.monotonic() - started:.1f} s)")
        exit_code = 1 if (result.failed or result.pending) else 3 if result.conflicts else 0
        print(
            f"apply exit code {exit_code}, conflicts {result.conflicts} (target: 0 and 0) "
            f"{'OK' if exit_code == 0 and result.conflicts == 0 else 'MISSED'}"
        )
        sync(profile)
        findings = run_checks(profile, checks=["phones", "duplicates"]).findings
        left = set(
            findings.filter((pl.col("check") == "phones") & (pl.col("kind") == "non_e164"))[
                "contact_id"
            ].to_list()
        )
        dupes = findings.filter(
            (pl.col("check") == "duplicates") & pl.col("cluster_id").is_not_null()
        )
        clustered = set(dupes["contact_id"].to_list())
        kinds = dict(
            dupes.filter(pl.col("contact_id").is_in(list(left)))
            .group_by("kind")
            .agg(pl.col("contact_id").n_unique())
            .iter_rows()
        )
        print(
            f"after sync: {len(left):,} non_e164 findings left (the contacts the plan left out: "
            f"another live contact holds the number), in duplicates clusters {kinds}; "
            f"{len(left - clustered):,} outside any cluster (target 0) "
            f"{'OK' if not left - clustered else 'MISSED'}"
        )
        undone = svc.undo(profile, result.run_id)
        print(f"undo: {undone.headline()}")
        after = server_state(db)
        differ = len(set(before) ^ set(after))
        print(
            f"undo: {len(after):,} live contacts, {differ} differing from before field by field "
            f"(target 0) {'OK' if differ == 0 and len(after) == len(before) else 'MISSED'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=3_000)
    parser.add_argument("--rewrites", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--skip-rules", action="store_true")
    parser.add_argument("--skip-rate", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    for var in ("GOMOQ_CACHE_DIR", "GOMOQ_CONFIG_DIR", "GOMOQ_DATA_DIR", "GOMOQ_PROFILE"):
        os.environ.pop(var, None)
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    if not args.skip_rules:
        every_rule(args)
    if not args.skip_rate:
        runs: list[Any] = [rewrites(args, n + 1) for n in range(args.runs)]
        took = statistics.median(r[0] for r in runs)
        requests = statistics.median(r[1] for r in runs)
        count = runs[0][2]
        bound = count / args.rate
        share = bound / took
        print(
            f"rewrites          {count:,} in {took:.1f} s (median of {len(runs)}), "
            f"{requests / count:.2f} requests each; bound {count:,} / {args.rate:g} per s = "
            f"{bound:.1f} s; {share:.1%} of the bound (target >= 90 %) "
            f"{'OK' if share >= 0.9 else 'MISSED'}"
        )
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
