"""Running the checks for the CLI (`gomoq check`) and the app alike.

`run_checks(profile, ...)` opens the profile's current cache snapshot, runs the enabled (or
asked-for) checks with the profile's thresholds, re-applies the remembered decisions and returns
a `CheckRun`: the findings (findings shape + `data_fingerprint` + `decision`) and a summary per
check (counts by severity), the unknown call statuses seen, and what changed since the previous
snapshot when there is one. `run_checks_on(tables, settings, ...)` does the same on frames
already in memory (tests, benchmarks).

`record_decision(profile_name, finding_ids, decision, ...)` is the headless way to decide
(`gomoq decide`): it re-runs the checks to learn each finding's current data fingerprint.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from gomoq.cache.store import Snapshot
from gomoq.checks import registry
from gomoq.checks.base import CheckInput
from gomoq.checks.call_failures import unknown_status_counts
from gomoq.checks.findings import SEVERITIES
from gomoq.checks.settings import CheckSettings
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan.fingerprint import contact_fingerprint
from gomoq.progress import CancelFn, ProgressFn, check_cancel
from gomoq.state import db, decisions, trend

SEVERITY_RANK = {"error": 0, "warn": 1, "info": 2}


@dataclass(frozen=True)
class CheckSummary:
    """One check's outcome: findings shown by severity, decided and hidden counts, time."""

    name: str
    error: int = 0
    warn: int = 0
    info: int = 0
    decided: int = 0
    dismissed_hidden: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Findings shown (dismissed ones excluded unless asked for)."""
        return self.error + self.warn + self.info


@dataclass(frozen=True)
class SnapshotChanges:
    """Counts of what changed between the previous snapshot and the current one."""

    contacts_added: int
    contacts_removed: int
    contacts_updated: int
    calls_added: int


@dataclass
class RunSummary:
    """The summary of a check run."""

    checks: dict[str, CheckSummary] = field(default_factory=dict)
    unknown_statuses: dict[str, int] = field(default_factory=dict)
    changes: SnapshotChanges | None = None
    contacts: int = 0
    seconds: float = 0.0
    """Wall time of the whole run; the checks' own `seconds` overlap (they run side by side)."""

    def count(self, severity: str) -> int:
        """Findings of `severity` over every check."""
        return sum(getattr(s, severity) for s in self.checks.values())


@dataclass
class CheckRun:
    """Findings (with `decision`) and their summary."""

    profile: str
    findings: pl.DataFrame
    summary: RunSummary
    manifest: dict[str, Any] = field(default_factory=dict)
    severity_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """`{check: {severity: count}}` over every finding, dismissed ones included (the trend)."""

    def reaches(self, level: str) -> bool:
        """True when some undismissed finding is at least as severe as `level` (dismissed
        ones never count, even when shown with `include_dismissed`)."""
        wanted = [s for s in SEVERITIES if SEVERITY_RANK[s] <= SEVERITY_RANK[level]]
        live = pl.col("decision").fill_null("") != "dismissed"
        return bool(self.findings.filter(pl.col("severity").is_in(wanted) & live).height)


def settings_for(profile: Profile) -> CheckSettings:
    """The profile's check settings (its `[checks]` table and default region)."""
    return CheckSettings.from_mapping(profile.checks, region=profile.region)


def open_snapshot(profile_name: str, which: str = "current") -> Snapshot:
    """The cache snapshot of `profile_name` (`NoCache`, a `UsageError`, when never synced)."""
    return Snapshot.open(profile_name, which)


def _previous(profile_name: str) -> Snapshot | None:
    try:
        return open_snapshot(profile_name, "previous")
    except UsageError:
        return None


def run_checks(
    profile: Profile,
    *,
    checks: list[str] | None = None,
    include_dismissed: bool = False,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
    settings: CheckSettings | None = None,
) -> CheckRun:
    """Run the checks on `profile`'s current snapshot (see the module docstring).

    Raises `UsageError` ("No cache for profile X yet: run `gomoq sync`.") without a cache.
    """
    cfg = settings or settings_for(profile)
    snapshot = open_snapshot(profile.name)
    tables = CheckInput.from_snapshot(snapshot)
    run = run_checks_on(
        tables,
        cfg,
        profile=profile.name,
        checks=checks,
        include_dismissed=include_dismissed,
        progress=progress,
        should_cancel=should_cancel,
    )
    run.manifest = dict(getattr(snapshot, "manifest", {}) or {})
    if checks is None:  # a full run: one point of the findings trend (`gomoq.state.trend`)
        trend.record(profile.name, trend.sync_time(run.manifest), run.severity_counts)
    previous = _previous(profile.name)
    if previous is not None:
        check_cancel(should_cancel)
        run.summary.changes = snapshot_changes(CheckInput.from_snapshot(previous), tables)
    return run


def run_checks_on(
    tables: CheckInput,
    settings: CheckSettings,
    *,
    profile: str | None = None,
    checks: list[str] | None = None,
    include_dismissed: bool = False,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> CheckRun:
    """Run the checks on in-memory tables; decisions of `profile` applied when given."""
    started = time.perf_counter()
    settings = settings.pinned()
    names = registry.resolve(checks, settings)
    results = registry.run_all(
        names, tables, settings, progress=progress, should_cancel=should_cancel
    )
    loaded = _load_decisions(profile)
    also = None
    if loaded.height:
        every = pl.concat([r.findings for r in results], how="vertical")
        also = _contact_fingerprints(tables, every, loaded)
    summary = RunSummary()
    every_count: dict[str, dict[str, int]] = {}
    shown_frames: list[pl.DataFrame] = []
    # Per check, not on all findings at once: a million findings in one frame cost ~0.3 s
    # more to decide, count and order.
    for result in results:
        mine = decisions.apply_decisions(
            result.findings, loaded, include_dismissed=True, also_current=also
        )
        shown = (
            mine
            if include_dismissed
            else mine.filter(pl.col("decision").fill_null("") != "dismissed")
        )
        counts = dict(shown.group_by("severity").len().iter_rows())
        summary.checks[result.name] = CheckSummary(
            name=result.name,
            error=int(counts.get("error", 0)),
            warn=int(counts.get("warn", 0)),
            info=int(counts.get("info", 0)),
            decided=int(shown["decision"].is_not_null().sum()),
            dismissed_hidden=0 if include_dismissed else mine.height - shown.height,
            seconds=result.seconds,
        )
        shown_frames.append(shown)
        if mine.height:
            by_severity = dict.fromkeys(SEVERITIES, 0)
            for severity, n in mine.group_by("severity").len().iter_rows():
                by_severity[str(severity)] = int(n)
            every_count[result.name] = by_severity
    if "call_failures" in names:
        summary.unknown_statuses = unknown_status_counts(tables, settings)
    summary.contacts = int(tables.contacts.select(pl.len()).collect().item())
    ordered = _by_severity(shown_frames)
    summary.seconds = time.perf_counter() - started
    return CheckRun(profile or "", ordered, summary, severity_counts=every_count)


def _by_severity(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The findings of every check, most severe first; within a severity, checks in their
    canonical order and each check's rows in its own order. (A stable sort of a million
    findings on the severity costs ~0.2 s; taking each check's rows of each severity in turn
    gives the same order without sorting.)"""
    if not frames:
        schema = {**registry.RESULT_SCHEMA, "decision": pl.String()}
        return pl.DataFrame(schema=schema)
    severity = pl.col("severity")
    parts = [f.filter(severity == level) for level in SEVERITIES for f in frames]
    odd = ~severity.is_in(list(SEVERITIES)) | severity.is_null()
    parts += [f.filter(odd) for f in frames]  # never expected; last, as the sort had them
    return pl.concat(parts, how="vertical")


def _load_decisions(profile: str | None) -> pl.DataFrame:
    if profile is None:
        return pl.DataFrame(schema=decisions.LOADED_SCHEMA)
    conn = db.connect()
    try:
        return decisions.load(conn, profile)
    finally:
        conn.close()


def _contact_fingerprints(
    tables: CheckInput, findings: pl.DataFrame, loaded: pl.DataFrame
) -> pl.DataFrame | None:
    """The contact-version fingerprints the app records with decisions, for decided findings.

    The app stores `gomoq.plan.fingerprint.contact_fingerprint` of the contact(s) the operator
    saw ("+"-joined and sorted for a cluster); a decision stored that way holds while those
    contacts are unchanged.
    """
    decided = findings.filter(pl.col("finding_id").is_in(loaded["finding_id"].implode()))
    if decided.height == 0:
        return None
    ids = decided["contact_id"].drop_nulls().unique().implode()
    rows = tables.contacts.filter(pl.col("id").is_in(ids)).collect()
    by_id = {r["id"]: str(contact_fingerprint(r)) for r in rows.iter_rows(named=True)}
    out: dict[str, list[str]] = {}
    for finding_id, contact_id in decided.select("finding_id", "contact_id").iter_rows():
        if contact_id in by_id:
            out.setdefault(finding_id, []).append(by_id[contact_id])
    return pl.DataFrame(
        {
            "finding_id": list(out),
            "data_fingerprint": [
                p[0] if len(p) == 1 else "+".join(sorted(p)) for p in out.values()
            ],
        },
        schema={"finding_id": pl.String(), "data_fingerprint": pl.String()},
    )


def snapshot_changes(previous: CheckInput, current: CheckInput) -> SnapshotChanges:
    """Contacts added, removed and updated (by `updated_at`) between two snapshots, by id (one
    full join), and calls added: those created after the previous snapshot's latest call (calls
    are append-only, and comparing 5 million call ids would cost seconds)."""
    before = previous.contacts.select("id", pl.col("updated_at").alias("before"))
    after = current.contacts.select(
        "id", pl.col("updated_at").alias("after"), pl.lit(True).alias("now")
    )
    counts = (
        after.join(
            before.with_columns(pl.lit(True).alias("then")), on="id", how="full", coalesce=True
        )
        .select(
            (pl.col("now") & pl.col("then").is_null()).sum().alias("added"),
            (pl.col("then") & pl.col("now").is_null()).sum().alias("removed"),
            (pl.col("now") & pl.col("then") & ~pl.col("after").eq_missing(pl.col("before")))
            .sum()
            .alias("updated"),
        )
        .collect()
        .row(0)
    )
    latest = previous.calls.select(pl.col("created_at").max()).collect().item()
    new_calls = (
        current.calls.select(
            (pl.col("created_at") > latest).sum() if latest is not None else pl.len()
        )
        .collect()
        .item()
    )
    added, removed, updated = (int(c or 0) for c in counts)
    return SnapshotChanges(added, removed, updated, int(new_calls or 0))


def record_decision(
    profile: Profile,
    finding_ids: Sequence[str],
    decision: str,
    *,
    note: str | None = None,
    payload: dict[str, Any] | None = None,
) -> list[str]:
    """Record `decision` on each finding id present in the current findings (headless).

    Returns the ids decided; raises `UsageError` naming any id not among the findings.
    """
    run = run_checks(profile, include_dismissed=True)
    present = run.findings.filter(pl.col("finding_id").is_in(list(finding_ids)))
    missing = sorted(set(finding_ids) - set(present["finding_id"].to_list()))
    if missing:
        raise UsageError(
            f"No current finding with id {', '.join(missing)} in profile {profile.name}; "
            "run `gomoq check --format json` to list the ids."
        )
    record_decisions_on(profile, present, finding_ids, decision, note=note, payload=payload)
    return list(dict.fromkeys(finding_ids))


def forget_decision(profile: Profile, finding_ids: Sequence[str]) -> list[str]:
    """Take back the decisions on these ids; returns those that had one."""
    conn = db.connect()
    try:
        return [f for f in dict.fromkeys(finding_ids) if decisions.forget(conn, profile.name, f)]
    finally:
        conn.close()


def record_decisions_on(
    profile: Profile,
    findings: pl.DataFrame,
    finding_ids: Sequence[str],
    decision: str,
    *,
    note: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Save `decision` on each of `finding_ids` found in `findings`, each written at once.

    Each decision carries the fingerprint of the finding's data as `findings` shows it (what the
    operator saw), so it lapses when that data changes. The app passes the findings on screen;
    `record_decision` passes freshly computed ones.
    """
    subset = findings.filter(pl.col("finding_id").is_in(list(finding_ids)))
    prints = dict(decisions.fingerprints(subset.drop("decision", strict=False)).iter_rows())
    per_finding = subset.group_by("finding_id", maintain_order=True).agg(
        pl.col("check").first(), pl.col("contact_id").drop_nulls().unique(maintain_order=True)
    )
    conn = db.connect()
    try:
        for finding_id, check, contact_ids in per_finding.iter_rows():
            decisions.record(
                conn,
                profile.name,
                finding_id,
                decision,
                data_fingerprint=prints[finding_id],
                note=note,
                payload=payload,
                check=check,
                contact_ids=list(contact_ids),
            )
    finally:
        conn.close()
