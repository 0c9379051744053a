"""The Overview's data: counts per check and severity, call outcomes, sync age, trend."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from gomoq.checks.findings import SEVERITIES
from gomoq.tui.data.source import TableSource


@dataclass(frozen=True)
class CheckCard:
    """One check's counts by severity, with the counts of the previous sync when known."""

    check: str
    counts: dict[str, int]
    previous: dict[str, int] | None

    @property
    def total(self) -> int:
        """Findings of every severity."""
        return sum(self.counts.values())

    def change(self) -> int | None:
        """Total now minus total at the previous sync (None when unknown)."""
        if self.previous is None:
            return None
        return self.total - sum(self.previous.values())


def severity_counts(findings: pl.DataFrame) -> dict[str, dict[str, int]]:
    """`{check: {severity: count}}` over `findings` (every severity present, zero when none)."""
    out: dict[str, dict[str, int]] = {}
    if findings.height:
        grouped = findings.group_by("check", "severity").len()
        for check, severity, n in grouped.iter_rows():
            out.setdefault(str(check), dict.fromkeys(SEVERITIES, 0))[str(severity)] = int(n)
    return out


def overview_cards(
    findings: pl.DataFrame,
    previous: Mapping[str, Mapping[str, int]] | None,
    checks: Sequence[str] = (),
) -> list[CheckCard]:
    """A card per check (those in `checks` always, plus any with findings)."""
    counts = severity_counts(findings)
    names = list(dict.fromkeys([*checks, *sorted(counts)]))
    return [
        CheckCard(
            name,
            counts.get(name, dict.fromkeys(SEVERITIES, 0)),
            dict(previous[name]) if previous is not None and name in previous else None,
        )
        for name in names
    ]


def call_outcomes(source: TableSource) -> dict[str, int]:
    """Number of calls per status, most frequent first."""
    frame = source.scan("calls").group_by("status").len().sort("len", descending=True).collect()
    return {str(s): int(n) for s, n in frame.iter_rows()}


def sync_time(manifest: Mapping[str, Any]) -> datetime | None:
    """When the snapshot was taken, from whichever timestamp key the manifest carries."""
    for key in ("finished_at", "synced_at", "created_at", "started_at"):
        value = manifest.get(key)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def describe_age(when: datetime | None, now: datetime | None = None) -> str:
    """`"3 min ago"`-style age of a snapshot, or "never"."""
    if when is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def trend_file(profile_name: str) -> Any:
    """Where the per-sync finding counts of `profile_name` are kept."""
    from gomoq import paths

    return paths.data_dir() / "tui" / f"{profile_name}.trend.json"


def record_trend(
    profile_name: str, synced: datetime | None, counts: dict[str, dict[str, int]], keep: int = 30
) -> list[dict[str, Any]]:
    """Store this sync's counts (replacing an entry for the same sync) and return the history."""
    path = trend_file(profile_name)
    try:
        history: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        history = []
    key = synced.isoformat() if synced else "unknown"
    entry = {"synced_at": key, "counts": counts}
    if history and history[-1].get("synced_at") == key:
        history[-1] = entry
    else:
        history.append(entry)
    history = history[-keep:]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(history), encoding="utf-8")
    tmp.replace(path)
    return history


def trend_totals(history: Sequence[Mapping[str, Any]]) -> list[int]:
    """Total findings per recorded sync, oldest first."""
    return [sum(sum(c.values()) for c in h.get("counts", {}).values()) for h in history]
