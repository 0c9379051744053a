"""Where the view models read the cache from, and how a cell value reads as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import polars as pl

from gomoq.cache.schema import empty_frame


class TableSource(Protocol):
    """Where the cache tables come from: `gomoq.cache.store.Snapshot` or a `FrameSource`."""

    @property
    def manifest(self) -> dict[str, Any]:
        """The snapshot's manifest (sync time, counts)."""
        ...

    def scan(self, table: str) -> pl.LazyFrame:
        """A lazy frame over one cache table."""
        ...


@dataclass
class FrameSource:
    """An in-memory `TableSource` (tests, benchmark): missing tables are empty."""

    frames: dict[str, pl.DataFrame]
    manifest: dict[str, Any] = field(default_factory=dict)

    def scan(self, table: str) -> pl.LazyFrame:
        """The frame for `table`, or an empty one of its schema."""
        frame = self.frames.get(table)
        return (frame if frame is not None else empty_frame(table)).lazy()


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
