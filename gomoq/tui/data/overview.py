"""The Overview's data: counts per check and severity, call outcomes, sync age, trend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from gomoq.checks.findings import SEVERITIES
from gomoq.state import trend
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


def record_trend(
    profile_name: str, synced: datetime | None, counts: dict[str, dict[str, int]], keep: int = 30
) -> list[dict[str, Any]]:
    """Store this sync's counts in the state database (`gomoq.state.trend`; replacing the entry
    of the same sync) and return the history."""
    return trend.record(profile_name, synced, counts, keep=keep)


def trend_totals(history: Sequence[Mapping[str, Any]]) -> list[int]:
    """Total findings per recorded sync, oldest first."""
    return trend.totals(history)
