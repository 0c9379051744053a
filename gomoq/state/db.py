"""Opening the state database (`gomoq.paths.state_db_file()`).

One SQLite file under the data dir holds what gomoq remembers: the operator's decisions
(`gomoq.state.decisions`), the apply journal (`gomoq.plan.journal`), the phones memo index...
Each module that keeps tables here owns an idempotent `ensure_schema(conn)` (tables prefixed
by module: `decisions_*`, `journal_*`, `phones_*`) and calls it itself.

Connections are in autocommit mode (`isolation_level=None`): every statement outside an
explicit `BEGIN ... COMMIT` is its own committed transaction, so a crash right after a write
loses nothing. WAL lets the app read while a headless run writes; `busy_timeout` makes a
second writer wait instead of failing; foreign keys are on.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gomoq import paths
from gomoq.errors import GomoqError

BUSY_TIMEOUT_MS = 10_000


class StateError(GomoqError):
    """The state database cannot be opened or is damaged."""


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the state database at `path` or `paths.state_db_file()`."""
    target = path or paths.state_db_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
    except (OSError, sqlite3.Error) as exc:
        raise StateError(f"Cannot open the state database {target}: {exc}.") from exc
    return conn
