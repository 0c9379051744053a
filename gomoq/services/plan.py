"""Plans, apply, resume, undo and history for the CLI and the TUI alike (style habit 1).

Every function takes `progress` / `should_cancel` callbacks and returns a result; none prints.
Async work runs inside `asyncio.run`, so call these from a thread worker in the TUI.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from gomoq.api import open_client
from gomoq.api.contract import spelled
from gomoq.cache.store import Snapshot
from gomoq.checks.base import CheckInput
from gomoq.checks.inactivity import engagement
from gomoq.config import Profile
from gomoq.errors import Cancelled, UsageError
from gomoq.plan import auto, phone_steps
from gomoq.plan import journal as jr
from gomoq.plan.cachepatch import Lookup, cache_lookup, patch_cache, shared_phones
from gomoq.plan.diff import DiffRow, describe_plan
from gomoq.plan.engine import Engine, RunResult
from gomoq.plan.import_steps import expand_import
from gomoq.plan.model import (
    AudienceSyncAction,
    CreateContactsAction,
    DefineAttributeAction,
    MergeAction,
    Plan,
    PlanError,
    SetPhoneAction,
    UpdateContactsAction,
    action_to_dict,
)
from gomoq.plan.runlock import run_lock
from gomoq.plan.undo import UNRECORDED, prepare_restore, prepare_unrecorded, undo_units
from gomoq.progress import CancelFn, ProgressFn
from gomoq.services.checks import open_snapshot, run_checks_on, settings_for
from gomoq.services.decisions import release_run, release_sentence
from gomoq.services.demo import require_demo_running
from gomoq.state import decisions

__all__ = [
    "DiffRow",
    "HistoryRow",
    "RunResult",
    "apply",
    "describe",
    "history",
    "plan_auto",
    "plan_from_decisions",
    "resume",
    "undo",
]

ATTRIBUTE_MODES = ("merge", "replace")


@dataclass(frozen=True)
class HistoryRow:
    """One line of `gomoq history`."""

    run_id: str
    kind: str
    created_at: str
    finished_at: str | None
    plan: str | None
    state: str
    counts: dict[str, int]
    undo_of: str | None


def expand(plan: Plan) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """The journal units of a plan: one per merge and per audience sync, one per contact of
    every other action."""
    units: list[tuple[str, str, str | None, dict[str, Any]]] = []
    for action in plan.actions:
        if isinstance(action, DefineAttributeAction | CreateContactsAction | UpdateContactsAction):
            units += expand_import(action)
            continue
        data = action_to_dict(action)
        data.pop("kind")
        if isinstance(action, MergeAction):
            units.append((action.id, action.kind, action.survivor, data))
            continue
        if isinstance(action, SetPhoneAction):  # each unit carries its own phone only
            data.pop("phones")
            for cid in action.contact_ids():
                units.append(
                    (
                        action.id,
                        action.kind,
                        cid,
                        {**data, "contacts": [cid], "phone": action.phones[cid]},
                    )
                )
            continue
        if isinstance(action, AudienceSyncAction):
            units.append((action.id, action.kind, None, data))
            continue
        for cid in action.contact_ids():
            units.append((action.id, action.kind, cid, {**data, "contacts": [cid]}))
    return units


def _journal() -> jr.Journal:
    return jr.Journal(jr.connect())


def _own_run(journal: jr.Journal, profile: Profile, run_id: str) -> Any:
    """The journal row of `run_id`, which must exist and belong to `profile` (else UsageError)."""
    run = journal.run(run_id)
    if run is None:
        raise UsageError(f"There is no run {run_id}; `gomoq history` lists them.")
    if run["profile"] != profile.name:
        raise UsageError(f"Run {run_id} belongs to profile {run['profile']!r}.")
    return run


def _cache_lookup(profile: Profile) -> Lookup | None:
    return cache_lookup(profile.name)


def _result(journal: jr.Journal, run_id: str, *, requests: int, cancelled: bool) -> RunResult:
    run = journal.run(run_id)
    assert run is not None
    counts = journal.counts(run_id)
    done = counts.get("done", 0)
    not_undone = sum(
        1 for a in journal.actions(run_id, states=("conflict",)) if a.kind == UNRECORDED
    )
    conflicts = counts.get("conflict", 0) - not_undone
    failed = counts.get("failed", 0)
    pending = sum(v for k, v in counts.items() if k not in jr.ACTION_FINAL)
    if cancelled:
        state = "cancelled"
    elif pending:
        state = "running"
    else:
        state = "done" if not (conflicts or failed or not_undone) else "partial"
    journal.set_run_state(run_id, state, finished=state in ("done", "partial"))
    messages = [
        f"{a.action_id}{f' ({a.contact_id})' if a.contact_id else ''}: {a.state}: {a.message}"
        for a in journal.actions(run_id, states=("conflict", "failed", "done"))
        if a.state != "done" or (a.message and a.message != "already had this value")
    ]
    duplicates = {
        s.action_seq for s in journal.steps(run_id) if phone_steps.duplicates_of(s.result)
    }
    return RunResult(
        run_id,
        str(run["kind"]),
        state,
        duplicates=len(duplicates),
        done=done,
        conflicts=conflicts,
        failed=failed,
        pending=pending,
        messages=messages,
        requests=requests,
        not_undone=not_undone,
    )


async def _drive(
    profile: Profile,
    journal: jr.Journal,
    run_id: str,
    *,
    progress: ProgressFn | None,
    should_cancel: CancelFn | None,
    concurrency: int,
) -> RunResult:
    run = journal.run(run_id)
    assert run is not None
    options = json.loads(run["options_json"])
    plan = json.loads(run["plan_json"])
    cancelled = False
    async with open_client(profile) as client:
        engine = Engine(
            client,
            journal,
            run_id,
            fingerprints=plan.get("fingerprints", {}),
            region=profile.region,
            attributes_update=options.get("attributes_update", "merge"),
            progress=progress,
            should_cancel=should_cancel,
            cache_lookup=_cache_lookup(profile),
            shared_phones=shared_phones(profile.name),
            preparers={"restore": prepare_restore, UNRECORDED: prepare_unrecorded},
            concurrency=concurrency,
        )
        try:
            await engine.run()
        except Cancelled:
            cancelled = True
        requests = int(getattr(client, "stats", {}).get("requests", 0))
    result = _result(journal, run_id, requests=requests, cancelled=cancelled)
    if engine.stopped is not None:
        result.messages.insert(0, engine.stopped)
    patch_cache(profile.name, journal, run_id)
    if run["undo_of"] and result.state in ("done", "partial"):
        # The decisions that produced the undone run are open again (services.decisions).
        released = release_run(profile, str(run["undo_of"]))
        if released:
            result.messages.append(release_sentence(released, str(run["undo_of"])))
    return result


def _cached_organization(profile_name: str) -> str | None:
    """The organisation id the profile's current snapshot was synced from (None: unknown)."""
    from gomoq.cache.store import NoCache, Snapshot

    try:
        org = Snapshot.open(profile_name, "current").manifest.get("organization_id")
    except NoCache:
        return None
    return str(org) if org else None


def _expected_organization(journal: jr.Journal, run: Any) -> str | None:
    """The organisation a journaled run's plan was made for (an undo: its run's plan's)."""
    plan = json.loads(run["plan_json"])
    if run["undo_of"]:
        original = journal.run(str(run["undo_of"]))
        plan = json.loads(original["plan_json"]) if original is not None else {}
    org = plan.get("organization_id") if isinstance(plan, dict) else None
    return str(org) if org else None


def check_organization(profile: Profile, expected: str | None) -> None:
    """Refuse (one sentence, nothing sent) when `profile`'s key opens another organisation than
    the one the plan was made for (`expected`; else the cache's). One `GET /users/me`."""
    from gomoq.api import open_client
    from gomoq.services.sync import organization_id

    expected = expected or _cached_organization(profile.name)
    if expected is None:
        return

    async def who() -> str | None:
        async with open_client(profile) as client:
            return organization_id(await client.me())

    actual = asyncio.run(who())
    if actual is not None and actual != expected:
        raise PlanError(
            f"The plan was made for organisation {expected}, but profile {profile.name}'s key "
            f"now opens organisation {actual}: nothing was sent. Check the profile "
            "(`gomoq profile check`), then sync and plan again."
        )


def apply(
    profile: Profile,
    plan: Plan,
    *,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
    plan_path: str | Path | None = None,
    attributes_update: str = "merge",
    concurrency: int = 16,
) -> RunResult:
    """Apply `plan` to `profile`'s organisation, journaled; `dry_run` sends nothing."""
    if plan.profile != profile.name:
        raise PlanError(
            f"The plan was made for profile {plan.profile!r}, not {profile.name!r}; "
            "use --profile to choose."
        )
    if attributes_update not in ATTRIBUTE_MODES:
        raise UsageError(f"attributes_update must be one of {', '.join(ATTRIBUTE_MODES)}.")
    units = expand(plan)
    if dry_run:
        return RunResult("(dry run)", "apply", "dry-run", pending=len(units), dry_run=True)
    require_demo_running(profile)  # said at once, not after ~20 s of retries
    check_organization(profile, plan.organization_id)  # before the run is even recorded
    with run_lock(profile.name, "an apply") as announce:
        journal = _journal()
        with journal.transaction():  # a run is recorded with all its units, or not at all
            run_id = journal.new_run(
                profile.name,
                "apply",
                plan.to_dict(),
                plan_path=None if plan_path is None else str(plan_path),
                options={"attributes_update": attributes_update},
            )
            journal.add_actions(run_id, units)
        announce(run_id)
        return asyncio.run(
            _drive(
                profile,
                journal,
                run_id,
                progress=progress,
                should_cancel=should_cancel,
                concurrency=concurrency,
            )
        )


def resume(
    profile: Profile,
    run_id: str,
    *,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
    concurrency: int = 16,
) -> RunResult:
    """Finish an interrupted apply or undo run: confirmed steps are never re-sent."""
    require_demo_running(profile)  # said at once, not after ~20 s of retries
    journal = _journal()
    run = _own_run(journal, profile, run_id)  # exists and belongs to this profile
    check_organization(profile, _expected_organization(journal, run))
    with run_lock(profile.name, "a resume") as announce:
        announce(run_id)
        journal.set_run_state(run_id, "running")
        return asyncio.run(
            _drive(
                profile,
                journal,
                run_id,
                progress=progress,
                should_cancel=should_cancel,
                concurrency=concurrency,
            )
        )


def undo(
    profile: Profile,
    run_id: str,
    *,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
    concurrency: int = 16,
) -> RunResult:
    """Reverse an applied run from its before-images, as a new journaled run."""
    if not dry_run:
        require_demo_running(profile)  # said at once, not after ~20 s of retries
        with run_lock(profile.name, "an undo") as announce:
            return _undo(profile, run_id, False, progress, should_cancel, concurrency, announce)
    return _undo(profile, run_id, True, progress, should_cancel, concurrency, None)


def _undo(
    profile: Profile,
    run_id: str,
    dry_run: bool,
    progress: ProgressFn | None,
    should_cancel: CancelFn | None,
    concurrency: int,
    announce: Any,
) -> RunResult:
    journal = _journal()
    run = _own_run(journal, profile, run_id)
    if not dry_run:
        check_organization(profile, _expected_organization(journal, run))
    done_undo = [
        r
        for r in journal.runs(profile.name)
        if r["undo_of"] == run_id and r["state"] != "cancelled"
    ]
    if done_undo:
        raise UsageError(
            f"Run {run_id} was already undone by run {done_undo[0]['id']}"
            + (
                f"; resume that with `gomoq apply --resume {done_undo[0]['id']}`."
                if done_undo[0]["state"] == "running"
                else "."
            )
        )
    units = undo_units(journal, run_id)
    if dry_run:
        described = [
            f"{aid}: {'restore contacts ' + ', '.join(data.get('touches', []))}"
            if kind == "restore"
            else f"{aid}: set {data['attribute']} of {cid} back to {spelled(data['value'])}"
            for aid, kind, cid, data in units
        ]
        return RunResult(
            "(dry run)", "undo", "dry-run", pending=len(units), messages=described, dry_run=True
        )
    options = json.loads(run["options_json"])
    with journal.transaction():
        undo_id = journal.new_run(
            profile.name, "undo", {"undo_of": run_id}, undo_of=run_id, options=options
        )
        journal.add_actions(undo_id, units)
    announce(undo_id)
    return asyncio.run(
        _drive(
            profile,
            journal,
            undo_id,
            progress=progress,
            should_cancel=should_cancel,
            concurrency=concurrency,
        )
    )


def history(profile: Profile | str) -> list[HistoryRow]:
    """Every run of the profile, newest first."""
    name = profile if isinstance(profile, str) else profile.name
    journal = _journal()
    return [
        HistoryRow(
            run_id=r["id"],
            kind=r["kind"],
            created_at=r["created_at"],
            finished_at=r["finished_at"],
            plan=r["plan_path"],
            state=r["state"],
            counts=journal.counts(r["id"]),
            undo_of=r["undo_of"],
        )
        for r in journal.runs(name)
    ]


def describe(plan: Plan) -> list[DiffRow]:
    """The plan's changes field by field (before from the local cache when there is one)."""
    return describe_plan(plan, cache_lookup(plan.profile))


def plan_from_decisions(profile: Profile) -> Plan:
    """A plan from the decisions taken in review (`gomoq.state.decisions`)."""
    conn = jr.connect()
    frame = decisions.load(conn, profile.name)
    applied = auto.applied_units(conn, profile.name)
    plan = auto.from_decisions(
        profile.name, frame, applied, cache_lookup(profile.name), profile.region
    )
    plan.organization_id = _cached_organization(profile.name)
    return plan


def plan_auto(profile: Profile, rules: Sequence[str], notes: list[str] | None = None) -> Plan:
    """A plan built headless from the current findings by `rules` (see `gomoq.plan.auto`).

    Every rule is parsed before the checks run: a bad rule or option is one `UsageError` and
    nothing is read or written. What the plan leaves out on purpose (e.g. phones another
    contact holds) is appended to `notes`.
    """
    parsed = [auto.parse_rule(r) for r in rules]
    settings = settings_for(profile).pinned()
    tables = CheckInput.from_snapshot(open_snapshot(profile.name))
    findings = run_checks_on(tables, settings, profile=profile.name).findings
    names = {r.name for r in parsed}
    data = auto.AutoInput(
        findings,
        inactive_days=settings.inactivity.inactive_days,
        lookup=cache_lookup(profile.name),
        answered=lambda: _answered_calls(profile.name),
    )
    if names & {"normalise-phones", "delete-invalid-phones", "delete-inactive"}:
        data.phones = tables.contact_phones(settings.region).select(
            "id", "primary_phone", "e164", "valid"
        )
    if names & {"flag-inactive", "remove-inactive-from-audiences", "delete-inactive"}:
        data.bands = engagement(tables, settings)
    made = auto.auto_plan(profile, rules, data)
    if notes is not None:
        notes.extend(data.notes)
    made.organization_id = _cached_organization(profile.name)
    return made


def _answered_calls(profile: str) -> dict[str, int]:
    """contact id -> answered calls in the current snapshot ({} without a cache or calls)."""
    try:
        calls = Snapshot.open(profile, "current").scan("calls")
        counts = calls.filter(pl.col("status") == "answered").group_by("contact_id").len().collect()
    except Exception:  # no cache, no calls: the rule falls back to completeness
        return {}
    return dict(zip(counts["contact_id"].to_list(), counts["len"].to_list(), strict=True))
