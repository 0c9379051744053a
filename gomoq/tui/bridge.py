"""The app's only door to the services (sync, checks, decisions, plan/apply/undo). No Textual.

Every function here blocks (I/O, polars), so the app calls them from thread workers. Services are
imported when first used: a service that is not part of this build raises `NotAvailable` with one
sentence the screen shows as it is, instead of the app failing to start.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from gomoq import crashlog
from gomoq.checks.base import CheckInput
from gomoq.checks.findings import empty_findings
from gomoq.config import Profile, load_segments
from gomoq.errors import Cancelled, GomoqError
from gomoq.progress import CancelFn, ProgressFn
from gomoq.secrets import redact
from gomoq.tui.data import TableSource
from gomoq.tui.data.audiences import audience_rows


class NotAvailable(GomoqError):
    """A service the screen needs is not part of this build yet."""


def _service(module: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise NotAvailable(f"{what} is not available yet in this build of gomoq.") from exc
        raise


def open_snapshot(profile_name: str, which: str = "current") -> TableSource:
    """The profile's cache snapshot; `NoCache` (a `UsageError`) when it was never synced."""
    store = _service("gomoq.cache.store", "Reading the cache")
    snapshot: TableSource = store.Snapshot.open(profile_name, which=which)
    return snapshot


def sync(profile: Profile, progress: ProgressFn, should_cancel: CancelFn) -> Any:
    """Run `gomoq.services.sync.sync` and return its `SyncResult`."""
    module = _service("gomoq.services.sync", "Sync")
    return module.sync(profile, progress=progress, should_cancel=should_cancel)


@dataclass(frozen=True)
class ChecksResult:
    """Findings (with their `decision` column) and the services' summary."""

    findings: pl.DataFrame
    summary: Any


def run_checks(
    profile: Profile,
    progress: ProgressFn,
    should_cancel: CancelFn,
    source: TableSource | None = None,
) -> ChecksResult:
    """Run every check (decided and dismissed findings included) on the profile's current
    snapshot, or on `source` when given (tests, screenshots)."""
    module = _service("gomoq.services.checks", "Running the checks")
    if source is None:
        run = module.run_checks(
            profile, include_dismissed=True, progress=progress, should_cancel=should_cancel
        )
    else:
        base = _service("gomoq.checks.base", "Running the checks")
        run = module.run_checks_on(
            base.CheckInput.from_snapshot(source),
            module.settings_for(profile),
            profile=profile.name,
            include_dismissed=True,
            progress=progress,
            should_cancel=should_cancel,
        )
    findings = run.findings if run.findings is not None else empty_findings()
    return ChecksResult(findings, getattr(run, "summary", None))


def record_decisions(
    profile: Profile,
    findings: pl.DataFrame,
    finding_ids: Sequence[str],
    decision: str,
    *,
    payload: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Save `decision` on each finding at once (a crash loses none).

    Each decision carries the fingerprint of the finding's data as the operator saw it
    (`gomoq.state.decisions.fingerprints` over `findings`), so it lapses if the data changes.
    """
    checks = _service("gomoq.services.checks", "Saving decisions")
    checks.record_decisions_on(profile, findings, finding_ids, decision, payload=payload, note=note)


def take_back_decisions(profile: Profile, finding_ids: Sequence[str]) -> dict[str, str | None]:
    """Take back the decisions on those of these findings that have one, whenever they were
    taken: each comes back to the decision it replaced (e.g. "skip"), or to open. Returns
    finding id -> the decision now in force (None: open)."""
    module = _service("gomoq.services.decisions", "Taking back decisions")
    restored: dict[str, str | None] = module.take_back_any(profile, finding_ids)
    return restored


def list_decisions(profile: Profile) -> list[Any]:
    """Every decision in force (`gomoq.services.decisions.DecisionRow`), newest first."""
    module = _service("gomoq.services.decisions", "Listing decisions")
    return list(module.list_decisions(profile))


def build_plan(profile: Profile) -> tuple[Any, list[Any]]:
    """The plan of every pending decision, and its field-by-field description."""
    module = _service("gomoq.services.plan", "Planning")
    plan = module.plan_from_decisions(profile)
    return plan, list(module.describe(plan))


def count_changes(plan: Any) -> int:
    """The units of work an apply of `plan` reports ("5 changes done"): one per merge, one per
    contact of every other action. Pure, cheap: callable from a handler."""
    module = _service("gomoq.services.plan", "Apply")
    return len(module.expand(plan))


def apply_plan(profile: Profile, plan: Any, progress: ProgressFn, should_cancel: CancelFn) -> Any:
    """Apply `plan` through the API and return the services' `RunResult`."""
    module = _service("gomoq.services.plan", "Apply")
    return module.apply(profile, plan, progress=progress, should_cancel=should_cancel)


def export(
    profile: Profile, source: TableSource, findings: pl.DataFrame, request: dict[str, Any]
) -> Any:
    """Export from the open snapshot (`gomoq.services.export`); returns its `ExportResult`.

    `request`: kind, output, fmt, where, attributes, raw (the export dialog's answers)."""
    module = _service("gomoq.services.export", "Export")
    checks = _service("gomoq.services.checks", "Export")
    return module.export_tables(
        CheckInput.from_snapshot(source),
        checks.settings_for(profile),
        request["kind"],
        Path(request["output"]).expanduser(),
        fmt=request.get("fmt"),
        where=request.get("where"),
        attributes=request.get("attributes", "wide"),
        raw=bool(request.get("raw")),
        manifest=dict(source.manifest),
        profile=profile.name,
        findings=lambda: findings,
    )


def audiences_view(profile: Profile, source: TableSource) -> tuple[Any, list[Any]]:
    """(selection, rows) of the Audiences screen (`gomoq.tui.data.audiences`)."""
    checks = _service("gomoq.services.checks", "Audiences")
    selection_module = _service("gomoq.services.selection", "Audiences")
    selection = selection_module.selection_for(source, checks.settings_for(profile))
    saved = load_segments(profile.name)  # `gomoq segment add` may have run since the start
    return selection, audience_rows(selection, profile.segments if saved is None else saved)


def refresh_plan(profile: Profile, selection: Any, names: Sequence[str]) -> Any:
    """The `audience refresh` plan of segments `names` (`gomoq.services.audiences`)."""
    module = _service("gomoq.services.audiences", "Audience refresh")
    saved = load_segments(profile.name)
    if saved is not None:
        profile = replace(profile, segments=saved)
    plan, _states = module.refresh_plan(profile, selection, list(names))
    return plan


def undo_run(profile: Profile, run_id: str, progress: ProgressFn, should_cancel: CancelFn) -> Any:
    """Undo an applied run and return the services' `RunResult`."""
    module = _service("gomoq.services.plan", "Undo")
    return module.undo(profile, run_id, progress=progress, should_cancel=should_cancel)


def history(profile: Profile) -> list[Any]:
    """Applied runs, newest first as the services give them."""
    module = _service("gomoq.services.plan", "History")
    return list(module.history(profile))


# Advice per API error class name (names, so that this module need not import the client).
_ADVICE: dict[str, str] = {
    "Unauthorized": "The API key was refused: check it with `gomoq profile` and try again.",
    "Forbidden": "The key is not allowed to do this: use a key with the right role.",
    "RateLimited": "The API is rate limiting us: wait a minute, or lower the profile's rate limit.",
    "ServerError": "The server failed: try again in a few minutes.",
    "TransportError": "The server could not be reached: check the base URL and your network.",
    "MalformedResponse": "The server's answer was not what the API documents: is the URL right?",
    "NoCache": "Press s on the Overview to sync.",
}


def explain(error: BaseException) -> str:
    """One or two sentences about `error` for the operator, with what to do (never the key)."""
    if isinstance(error, Cancelled):
        return "Cancelled; nothing was left half-done."
    if isinstance(error, GomoqError):
        text = str(error)
        for cls in type(error).__mro__:
            advice = _ADVICE.get(cls.__name__)
            if advice and advice not in text:
                text = f"{text} {advice}"
                break
        return redact(text)
    first = (str(error).strip().splitlines() or [""])[0]
    if len(first) > 120:
        first = first[:119] + "…"
    where = log_failure(error)
    details = f" Details are in {where}." if where else ""
    return redact(f"Unexpected problem ({type(error).__name__}: {first}).{details}")


def log_failure(error: BaseException) -> str | None:
    """Append `error`'s traceback (secrets masked) to the app's log; returns the log's path."""
    return crashlog.write(error, file_name="tui.log")
