"""The findings trend: per profile and sync, how many findings each check had, by severity.

Written by `gomoq.services.checks.run_checks` (so a headless `gomoq check` from cron feeds it as
the app does) and read by the Overview's sparkline. One row per (profile, sync): a second run on
the same snapshot replaces its row. Counts cover every finding, dismissed ones included (what
the app shows), as `{check: {severity: count}}`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from gomoq.state import db

KEEP = 30  # syncs remembered per profile

SCHEMA = """
CREATE TABLE IF NOT EXISTS trend_counts (
    profile TEXT NOT NULL,
    synced_at TEXT NOT NULL,
    counts TEXT NOT NULL,
    PRIMARY KEY (profile, synced_at)
);
"""

Counts = Mapping[str, Mapping[str, int]]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the trend's table if it is missing (idempotent)."""
    conn.executescript(SCHEMA)


def sync_time(manifest: Mapping[str, Any]) -> datetime | None:
    """When a snapshot was taken, from whichever timestamp key its manifest carries."""
    for key in ("finished_at", "synced_at", "created_at", "started_at"):
        value = manifest.get(key)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def record(
    profile: str,
    synced: datetime | None,
    counts: Counts,
    *,
    keep: int = KEEP,
    conn: sqlite3.Connection | None = None,
) -> list[dict[str, Any]]:
    """Store this sync's counts (replacing the row of the same sync), keep the last `keep`
    syncs, and return the history, oldest first (`history`)."""
    own = conn or db.connect()
    try:
        ensure_schema(own)
        key = synced.isoformat() if synced else "unknown"
        with own:
            own.execute(
                "DELETE FROM trend_counts WHERE profile = ? AND synced_at = ?", (profile, key)
            )
            own.execute(
                "INSERT INTO trend_counts (profile, synced_at, counts) VALUES (?, ?, ?)",
                (profile, key, json.dumps(counts, sort_keys=True)),
            )
            own.execute(
                "DELETE FROM trend_counts WHERE profile = ? AND rowid NOT IN (SELECT rowid FROM"
                " trend_counts WHERE profile = ? ORDER BY rowid DESC LIMIT ?)",
                (profile, profile, keep),
            )
        return history(profile, conn=own)
    finally:
        if conn is None:
            own.close()


def history(profile: str, *, conn: sqlite3.Connection | None = None) -> list[dict[str, Any]]:
    """`[{"synced_at", "counts"}]` of `profile`, oldest first."""
    own = conn or db.connect()
    try:
        ensure_schema(own)
        rows = own.execute(
            "SELECT synced_at, counts FROM trend_counts WHERE profile = ? ORDER BY rowid",
            (profile,),
        ).fetchall()
    finally:
        if conn is None:
            own.close()
    return [{"synced_at": str(s), "counts": json.loads(c)} for s, c in rows]


def totals(entries: Sequence[Mapping[str, Any]]) -> list[int]:
    """Total findings per recorded sync, oldest first."""
    return [sum(sum(c.values()) for c in e.get("counts", {}).values()) for e in entries]
