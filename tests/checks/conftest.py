"""Helpers to build small check inputs by hand: contacts and calls at fixed days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from gomoq.checks.base import CheckInput

NOW = datetime(2026, 4, 30, 12, 0, tzinfo=UTC)


def at(days_ago: float) -> datetime:
    """An instant `days_ago` days before NOW."""
    return NOW - timedelta(days=days_ago)


def contacts(*ids: str, **columns: list[Any]) -> pl.DataFrame:
    """Contacts with the given ids, phones +2126000000<n> unless given, other columns as given."""
    data: dict[str, list[Any]] = {"id": list(ids)}
    data.setdefault("primary_phone", [f"+21261234{i:04d}" for i in range(len(ids))])
    data.update(columns)
    return pl.DataFrame(data)


def calls(*rows: tuple[str, str | None, float]) -> pl.DataFrame:
    """Calls from (contact_id, status, days_ago); answered ones get answered_at = created_at."""
    return pl.DataFrame(
        {
            "id": [f"call{i}" for i in range(len(rows))],
            "contact_id": [r[0] for r in rows],
            "phone_number": ["+212612340000" for _ in rows],
            "status": [r[1] for r in rows],
            "created_at": [at(r[2]) for r in rows],
            "answered_at": [at(r[2]) if r[1] == "answered" else None for r in rows],
        },
        schema_overrides={
            "created_at": pl.Datetime("ms", "UTC"),
            "answered_at": pl.Datetime("ms", "UTC"),
        },
    )


def make_input(**frames: pl.DataFrame) -> CheckInput:
    """A CheckInput from the given tables (others empty)."""
    return CheckInput.from_frames(**frames)
