"""`sync`: pull an organisation into a new Parquet snapshot and swap it in (DESIGN.md, "Sync
and the cache").

    result = sync(profile, progress=..., should_cancel=...)
    print(result.summary())

A plain function that runs its own asyncio loop, so the CLI calls it directly and the app from a
thread worker. It works in the profile's work folder (`gomoq.cache.work`): a sync that is
cancelled, killed or cut off leaves its finished pages there and the next `sync` resumes from
them; the current snapshot is replaced only when every table is complete
(`gomoq.cache.store.install`). Contacts are read with page-drift repair
(`gomoq.cache.contacts_pager`); the other tables by `gomoq.cache.fetch`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from gomoq.api import GomobileClient, open_client
from gomoq.cache import fetch, store
from gomoq.cache.assemble import assemble, finish_contacts
from gomoq.cache.contacts_pager import ContactsPager, workers_for
from gomoq.cache.work import WorkFolder, sync_lock
from gomoq.config import Profile
from gomoq.errors import Cancelled, UsageError
from gomoq.progress import CancelFn, ProgressFn, check_cancel, format_duration, no_progress
from gomoq.services.demo import require_demo_running

T = TypeVar("T")

# What `--only` accepts, and the cache tables each choice fills.
GROUPS: dict[str, tuple[str, ...]] = {
    "contacts": ("contacts", "attributes"),
    "attribute_defs": ("attribute_defs",),
    "audiences": ("audiences", "audience_members"),
    "calls": ("calls",),
}
ALIASES = {
    "attributes": "contacts",
    "audience_members": "audiences",
    "members": "audiences",
    "attribute-defs": "attribute_defs",
    "definitions": "attribute_defs",
}


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: rows per table, time, requests, retries, drift repairs."""

    profile: str
    counts: dict[str, int]
    synced: tuple[str, ...]
    duration_s: float
    requests: int
    retries: int
    rate_limited: int
    pages: int
    drift_repairs: int
    resumed: bool
    snapshot: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def contacts_per_s(self) -> float:
        """Contacts per second over the whole sync (0 when contacts were not synced)."""
        if "contacts" not in self.synced or self.duration_s <= 0:
            return 0.0
        return self.counts.get("contacts", 0) / self.duration_s

    def summary(self) -> str:
        """One line: "Synced 100,000 contacts, ... in 1m42s (981 contacts/s); 0 retries."."""
        parts = []
        for table, label in (
            ("contacts", "contacts"),
            ("calls", "calls"),
            ("audiences", "audiences"),
            ("attribute_defs", "attribute definitions"),
        ):
            if table in self.synced:
                parts.append(f"{self.counts.get(table, 0):,} {label}")
        rate = f" ({self.contacts_per_s:,.0f} contacts/s)" if "contacts" in self.synced else ""
        retries = f"{self.retries:,} retr{'y' if self.retries == 1 else 'ies'}"
        notes = [retries]
        if self.drift_repairs:
            notes.append(f"{self.drift_repairs} drift repair pass(es)")
        if self.resumed:
            notes.append("resumed")
        return (
            f"Synced {', '.join(parts)} in {format_duration(self.duration_s)}{rate}; "
            f"{', '.join(notes)}."
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (`gomoq sync --format json`)."""
        return {
            "profile": self.profile,
            "counts": self.counts,
            "synced": list(self.synced),
            "duration_s": round(self.duration_s, 3),
            "contacts_per_s": round(self.contacts_per_s, 1),
            "requests": self.requests,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "pages": self.pages,
            "drift_repairs": self.drift_repairs,
            "resumed": self.resumed,
            "snapshot": str(self.snapshot),
        }


def parse_only(values: Iterable[str] | None) -> set[str] | None:
    """`--only` names (aliases allowed) → the set of `GROUPS` keys; `UsageError` if unknown."""
    if values is None:
        return None
    chosen: set[str] = set()
    for raw in values:
        name = raw.strip().lower()
        if not name:
            continue
        name = ALIASES.get(name, name)
        if name not in GROUPS:
            raise UsageError(
                f"Unknown table {raw.strip()!r} for --only; choose among {', '.join(GROUPS)}."
            )
        chosen.add(name)
    if not chosen:
        raise UsageError(f"--only needs at least one of {', '.join(GROUPS)}.")
    return chosen


def sync(
    profile: Profile,
    *,
    only: set[str] | None = None,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
    client_options: dict[str, Any] | None = None,
    max_passes: int = 5,
    empty_base_ok: bool = False,
) -> SyncResult:
    """Sync `profile` into a new snapshot and make it current; see the module docstring.

    `only` limits the sync to some of `GROUPS`; the other tables are carried over from the
    current snapshot, which must exist, verify and hold the same organisation (else
    `UsageError`, nothing written: a snapshot of calls without contacts would make every check
    say "no findings"). `empty_base_ok` lets a profile without a snapshot get the other tables
    empty and marked never synced (tests that exercise one table alone). `client_options` go
    to `open_client` (tests, benchmarks).
    Raises `Cancelled` when `should_cancel` says so (the work is kept for the next run),
    `ApiError` subclasses for API failures, `SyncDriftError` when the server never settles.
    """
    groups = parse_only(only) or set(GROUPS)
    require_demo_running(profile)  # at once, not after ~20 s of connection retries
    with sync_lock(profile.name):
        return asyncio.run(
            _until_cancelled(
                _sync(
                    profile,
                    groups,
                    progress or no_progress,
                    should_cancel,
                    client_options or {},
                    max_passes,
                    empty_base_ok,
                ),
                should_cancel,
            )
        )


async def _until_cancelled(work: Coroutine[Any, Any, T], should_cancel: CancelFn | None) -> T:
    """Await `work`, asking `should_cancel` every 0.2 s meanwhile; when it says so, cancel
    `work` where it waits and raise `Cancelled`.

    The sync also asks between pages, but a request the client keeps retrying (a server gone
    down, backing off for seconds between tries) would make the operator wait for every retry
    before quitting. Cancelling at an `await` is as safe as a kill, which a sync resumes from.
    """
    task = asyncio.ensure_future(work)
    if should_cancel is None:
        return await task
    while True:
        done, _ = await asyncio.wait({task}, timeout=0.2)
        if done:
            return task.result()
        if should_cancel():
            task.cancel()
            try:
                return await task  # it may have finished meanwhile
            except asyncio.CancelledError:
                raise Cancelled(
                    "Cancelled by the operator; the pages read so far are kept for the next sync."
                ) from None


async def _sync(
    profile: Profile,
    groups: set[str],
    progress: ProgressFn,
    should_cancel: CancelFn | None,
    client_options: dict[str, Any],
    max_passes: int,
    empty_base_ok: bool = False,
) -> SyncResult:
    started = time.monotonic()
    async with open_client(profile, **client_options) as client:
        # a wrong key or an unreachable host: one clear error, early; and the organisation the
        # key opens, which the work folder and the snapshot are tied to
        org_id = organization_id(await client.me())
        if groups != set(GROUPS):
            _check_base(profile.name, org_id, groups, empty_base_ok)
        work, resumed = WorkFolder.open(profile.name, profile.base_url, org_id)
        previous_stats = dict(work.state.get("stats", {}))
        counter = fetch.PageCounter(workers_for(profile.rate_limit))
        repairs = 0
        pager: ContactsPager | None = None
        try:
            if "attribute_defs" in groups and not work.is_done("attribute_defs"):
                await fetch.fetch_attribute_defs(client, work, progress)
            check_cancel(should_cancel)
            if "contacts" in groups and not work.is_done("contacts"):
                pager = ContactsPager(client, work, progress, should_cancel, max_passes)
                pager.known_ids = _known_ids(profile.name, org_id)
                pager.workers = counter.workers
                files, repairs = await pager.run()
                finish_contacts(work, files, progress)
            check_cancel(should_cancel)
            if "audiences" in groups and not work.is_done("audiences"):
                await fetch.fetch_audiences(client, work, progress, should_cancel, counter)
            check_cancel(should_cancel)
            if "calls" in groups and not work.is_done("calls"):
                await fetch.fetch_calls(client, work, progress, should_cancel, counter)
            check_cancel(should_cancel)
        finally:
            _save_stats(work, client, counter, pager, previous_stats, started)
    stats = work.state["stats"]
    repairs = max(repairs, len([h for h in work.state["contacts"]["history"] if not h["ok"]]))
    synced = tuple(t for g in GROUPS if g in groups for t in GROUPS[g])
    counts = assemble(profile, work, synced, float(stats["duration_s"]), repairs, org_id)
    with store.profile_lock(profile.name):
        check_cancel(should_cancel)
        final = store.install(profile.name, work.path)
    (final / "state.json").unlink(missing_ok=True)  # after the swap: a kill before it resumes
    return SyncResult(
        profile=profile.name,
        counts=counts,
        synced=synced,
        duration_s=float(stats["duration_s"]),
        requests=int(stats["requests"]),
        retries=int(stats["retries"]),
        rate_limited=int(stats["rate_limited"]),
        pages=int(stats["pages"]),
        drift_repairs=repairs,
        resumed=resumed,
        snapshot=final,
    )


def organization_id(me: dict[str, Any]) -> str | None:
    """The organisation id in a `GET /users/me` answer (None when the answer has none)."""
    org = me.get("organization")
    value = org.get("id") if isinstance(org, dict) else me.get("organizationId")
    return None if value is None else str(value)


def _check_base(profile: str, org_id: str | None, groups: set[str], empty_ok: bool) -> None:
    """`--only` completes the current snapshot: refuse (changing nothing) when there is none,
    when it is damaged, or when it holds another organisation."""
    chosen = ", ".join(sorted(groups))
    try:
        current = store.Snapshot.open(profile, "current")
    except store.CorruptCache as exc:
        raise UsageError(f"`--only {chosen}` cannot complete the current snapshot: {exc}") from None
    except store.NoCache:
        if empty_ok:
            return
        raise UsageError(
            f"`--only {chosen}` completes the current snapshot, and profile {profile} has none "
            "yet: run a full `gomoq sync` first."
        ) from None
    held = current.manifest.get("organization_id")
    if held is not None and org_id is not None and held != org_id:
        raise UsageError(
            f"`--only {chosen}` completes the current snapshot, which holds organisation {held}, "
            f"but profile {profile}'s key now opens organisation {org_id}: run a full "
            "`gomoq sync`."
        )


def _known_ids(profile: str, org_id: str | None) -> pl.Series | None:
    """The contact ids of the current snapshot (of this organisation), or None without one."""
    try:
        snapshot = store.Snapshot.open(profile, "current")
        if snapshot.manifest.get("organization_id", org_id) != org_id:
            return None
        return snapshot.scan("contacts").select("id").collect()["id"]
    except (store.NoCache, OSError, pl.exceptions.PolarsError):
        return None


def _save_stats(
    work: WorkFolder,
    client: GomobileClient,
    counter: fetch.PageCounter,
    pager: ContactsPager | None,
    previous: dict[str, Any],
    started: float,
) -> None:
    """Add this run's figures to those of the runs it resumes, and persist them."""
    run = {
        "requests": client.stats["requests"],
        "retries": client.stats["retries"],
        "rate_limited": client.stats["rate_limited"],
        "pages": counter.pages + (pager.pages_fetched if pager else 0),
        "duration_s": time.monotonic() - started,
    }
    work.state["stats"] = {k: previous.get(k, 0) + v for k, v in run.items()}
    work.save()
