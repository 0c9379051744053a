"""The live state of one sandbox app: `app.state.sandbox` is a `SandboxState`.

Tests and benchmarks reach the switches in-process through it (`state.settings`,
`state.settings.faults`, `state.editor_log`, `state.limiter`); over HTTP the same objects are
behind `/_admin/*`. All route handlers run on the event loop thread and use the one SQLite
connection in turn, so no lock is needed around it.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from gomoq.sandbox import db as sdb
from gomoq.sandbox.ratelimit import RateLimiter
from gomoq.sandbox.settings import SandboxSettings

# Server-side additions to the shared schema (idempotent): a partial index over the live
# contacts in createdAt order makes deep pages and counts index-only (see paging.py).
SERVER_SCHEMA = """
CREATE INDEX IF NOT EXISTS contacts_live_created ON contacts (created_at, seq)
    WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS audience_members_aud ON audience_members (audience_id, status);
"""


@dataclass(frozen=True)
class AttributeDef:
    """One live custom-attribute definition."""

    id: str
    name: str
    type: str


@dataclass
class SandboxState:
    """Everything a request handler needs; one per app."""

    db_path: Path
    conn: sqlite3.Connection
    settings: SandboxSettings
    org: dict[str, str]
    api_key: str
    limiter: RateLimiter = field(default_factory=RateLimiter)
    fault_rng: random.Random = field(default_factory=random.Random)
    editor_rng: random.Random = field(default_factory=random.Random)
    request_count: int = 0
    contacts_generation: int = 0
    order_generation: int = 0
    attributes_generation: int = 0
    editor_log: list[dict[str, Any]] = field(default_factory=list)
    editor_last_ms: float = field(default_factory=lambda: time.monotonic() * 1000)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    _count_cache: tuple[int, int] | None = None
    _defs_cache: tuple[int, dict[str, AttributeDef]] | None = None
    page_index: Any = None  # paging.BoundaryMap of live contacts
    calls_index: Any = None  # paging.BoundaryMap of calls
    calls_total: int | None = None
    warmed: bool = False  # set once the start-up page-map build is over (runner only)

    def contacts_changed(self, *, map_kept: bool = False) -> None:
        """Call after any write that adds, removes or re-orders live contacts.

        `map_kept`: the page map was adjusted to the change (or the change, a contact added
        after every other in createdAt order, moved no position), so it stays valid.
        """
        self.contacts_generation += 1
        if not map_kept:
            self.order_generation += 1

    def live_count(self) -> int:
        """Number of live contacts (cached until the next membership change)."""
        cached = self._count_cache
        if cached and cached[0] == self.contacts_generation:
            return cached[1]
        row = self.conn.execute("SELECT count(*) FROM contacts WHERE deleted_at IS NULL").fetchone()
        self._count_cache = (self.contacts_generation, int(row[0]))
        return int(row[0])

    def attribute_defs(self) -> dict[str, AttributeDef]:
        """Live custom-attribute definitions by slug (cached until the next definition change)."""
        cached = self._defs_cache
        if cached and cached[0] == self.attributes_generation:
            return cached[1]
        rows = self.conn.execute(
            "SELECT id, name, type FROM custom_attributes WHERE deleted_at IS NULL"
        ).fetchall()
        defs = {r["name"]: AttributeDef(r["id"], r["name"], r["type"]) for r in rows}
        self._defs_cache = (self.attributes_generation, defs)
        return defs

    def reseed(self, seed: int | None) -> None:
        """Restart the fault and editor random streams from `seed` (repeatable runs)."""
        self.fault_rng.seed(seed)
        self.editor_rng.seed(None if seed is None else seed + 1)


def open_state(db_path: Path, settings: SandboxSettings | None = None) -> SandboxState:
    """Open the database, read the organisation, and build the state for `create_app`."""
    conn = sdb.connect(db_path)
    conn.executescript(SERVER_SCHEMA)
    settings = settings or SandboxSettings()
    org = {
        row["key"]: row["value"] for row in conn.execute("SELECT key, value FROM meta").fetchall()
    }
    for key, default in (
        ("org_id", "00000000-0000-4000-8000-000000000001"),
        ("org_name", "Sandbox Organisation"),
        ("org_slug", "sandbox-organisation"),
        ("user_id", "00000000-0000-4000-8000-000000000002"),
        ("user_email", "owner@sandbox.invalid"),
    ):
        org.setdefault(key, default)
    api_key = settings.api_key or org.get("api_key")
    if not api_key:
        raise ValueError(f"The sandbox database {db_path} has no API key; pass one in settings.")
    # An export left half-done by a previous run will never finish: say so.
    conn.execute(
        "UPDATE call_exports SET status = 'failed' WHERE status IN ('queued', 'processing')"
    )
    state = SandboxState(db_path=db_path, conn=conn, settings=settings, org=org, api_key=api_key)
    state.reseed(settings.faults.seed)
    return state


def dumps(value: Any) -> str:
    """Compact JSON text for the database's JSON columns."""
    return orjson.dumps(value).decode()
