"""The apply journal: every run, action and step, in the state database (SQLite, WAL).

Tables (all `journal_*`, created by `ensure_schema`):

- `journal_runs`: one row per apply or undo run (`kind`), the plan it ran, its state
  (`running` → `done` | `partial` | `cancelled`) and its counts;
- `journal_actions`: one row per unit of work — a merge, or one contact of a delete / flag /
  set_attribute / remove_from_audiences action — with its state:
  `pending` → `running` → `done` | `conflict` | `failed`;
- `journal_steps`: the requests an action needs, in order. A step is written `planned`, set
  `pending` *before* it is sent and `done` (with the answer) *after*; a step found `pending`
  on resume may or may not have reached the server and is checked there before anything is
  sent again (`gomoq.plan.engine`);
- `journal_images`: the before-image of every contact a run touches (full JSON, custom
  attributes and static-audience memberships) and, once its action is done, its after-image;
- `journal_idmap`: for undo, the id of each re-created contact against its old id.

Every state change is its own committed transaction, so a kill at any point leaves the journal
describing exactly what was sent and what was confirmed.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from gomoq.state import db as state_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal_runs (
    id           TEXT PRIMARY KEY,
    profile      TEXT NOT NULL,
    kind         TEXT NOT NULL,             -- apply | undo
    plan_path    TEXT,
    plan_json    TEXT NOT NULL,
    undo_of      TEXT,
    options_json TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL,             -- running | done | partial | cancelled
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE TABLE IF NOT EXISTS journal_actions (
    run_id      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    action_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    contact_id  TEXT,
    data_json   TEXT NOT NULL,
    state       TEXT NOT NULL,              -- pending | running | done | conflict | failed
    message     TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS journal_steps (
    run_id       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    action_seq   INTEGER,                   -- NULL for steps shared by many actions (upserts)
    kind         TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    state        TEXT NOT NULL,             -- planned | pending | done | failed | skipped
    result_json  TEXT,
    error        TEXT,
    started_at   TEXT,
    finished_at  TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS journal_steps_action ON journal_steps (run_id, action_seq);
CREATE TABLE IF NOT EXISTS journal_images (
    run_id      TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    image_json  TEXT NOT NULL,
    after_json  TEXT,
    taken_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, contact_id)
);
CREATE TABLE IF NOT EXISTS journal_idmap (
    run_id  TEXT NOT NULL,
    old_id  TEXT NOT NULL,
    new_id  TEXT NOT NULL,
    PRIMARY KEY (run_id, old_id)
);
"""

ACTION_FINAL = ("done", "conflict", "failed")
STEP_FINAL = ("done", "failed", "skipped")


def utc_now() -> str:
    """Now, as ISO-8601 UTC with milliseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the journal's tables if they are missing (idempotent)."""
    conn.executescript(SCHEMA)


def connect() -> sqlite3.Connection:
    """Open the state database (`gomoq.state.db`, its pragmas) with the journal's tables."""
    conn = state_db.connect()
    conn.row_factory = sqlite3.Row
    ensure_schema(conn)
    return conn


def _loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def _dumps(value: Any) -> str:
    # orjson: a 10,000-contact bulk run writes 30,000 JSON documents; json.dumps took seconds
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


@dataclass
class StepRow:
    """One journaled step."""

    seq: int
    action_seq: int | None
    kind: str
    payload: dict[str, Any]
    state: str
    result: Any


@dataclass
class ActionRow:
    """One journaled unit of work."""

    seq: int
    action_id: str
    kind: str
    contact_id: str | None
    data: dict[str, Any]
    state: str
    message: str | None


class Journal:
    """Typed access to the journal tables over one connection (autocommit; explicit
    transactions through `transaction()`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.row_factory = sqlite3.Row
        if conn.isolation_level is not None:
            conn.isolation_level = None
        ensure_schema(conn)
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one committed transaction (re-entrant)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    # runs ---------------------------------------------------------------------------------
    def new_run(
        self,
        profile: str,
        kind: str,
        plan: Mapping[str, Any],
        *,
        plan_path: str | None = None,
        undo_of: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> str:
        """Record a new run and return its id (`YYYYMMDD-HHMMSS-xxxx`)."""
        run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
        now = utc_now()
        self.conn.execute(
            "INSERT INTO journal_runs(id, profile, kind, plan_path, plan_json, undo_of,"
            " options_json, state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                profile,
                kind,
                plan_path,
                _dumps(plan),
                undo_of,
                _dumps(dict(options or {})),
                "running",
                now,
                now,
            ),
        )
        return run_id

    def run(self, run_id: str) -> sqlite3.Row | None:
        """The run's row, or None."""
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM journal_runs WHERE id = ?", (run_id,)
        ).fetchone()
        return row

    def runs(self, profile: str | None = None) -> list[sqlite3.Row]:
        """Every run (of `profile`), newest first."""
        if profile is None:
            return list(self.conn.execute("SELECT * FROM journal_runs ORDER BY created_at DESC"))
        return list(
            self.conn.execute(
                "SELECT * FROM journal_runs WHERE profile = ? ORDER BY created_at DESC", (profile,)
            )
        )

    def set_run_state(self, run_id: str, state: str, *, finished: bool = False) -> None:
        """Change a run's state (and stamp its end)."""
        now = utc_now()
        self.conn.execute(
            "UPDATE journal_runs SET state = ?, updated_at = ?, finished_at = ? WHERE id = ?",
            (state, now, now if finished else None, run_id),
        )

    def counts(self, run_id: str) -> dict[str, int]:
        """How many of the run's actions are in each state."""
        rows = self.conn.execute(
            "SELECT state, COUNT(*) FROM journal_actions WHERE run_id = ? GROUP BY state",
            (run_id,),
        )
        return {str(state): int(n) for state, n in rows}

    # actions ------------------------------------------------------------------------------
    def add_actions(
        self, run_id: str, rows: Iterable[tuple[str, str, str | None, dict[str, Any]]]
    ) -> None:
        """Record the run's units of work: (action id, kind, contact id or None, data)."""
        now = utc_now()
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO journal_actions(run_id, seq, action_id, kind, contact_id, data_json,"
                " state, updated_at) VALUES (?,?,?,?,?,?,'pending',?)",
                (
                    (run_id, i, aid, kind, cid, _dumps(data), now)
                    for i, (aid, kind, cid, data) in enumerate(rows)
                ),
            )

    def actions(self, run_id: str, *, states: tuple[str, ...] | None = None) -> list[ActionRow]:
        """The run's units of work in order (only those in `states` when given)."""
        sql = "SELECT * FROM journal_actions WHERE run_id = ?"
        args: list[Any] = [run_id]
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args += list(states)
        return [
            ActionRow(
                r["seq"],
                r["action_id"],
                r["kind"],
                r["contact_id"],
                _loads(r["data_json"]),
                r["state"],
                r["message"],
            )
            for r in self.conn.execute(sql + " ORDER BY seq", args)
        ]

    def set_action_state(
        self, run_id: str, seqs: int | Iterable[int], state: str, message: str | None = None
    ) -> None:
        """Change the state (and message) of one or many actions."""
        seq_list = [seqs] if isinstance(seqs, int) else list(seqs)
        now = utc_now()
        with self.transaction():
            self.conn.executemany(
                "UPDATE journal_actions SET state = ?, message = ?, updated_at = ?"
                " WHERE run_id = ? AND seq = ?",
                ((state, message, now, run_id, s) for s in seq_list),
            )

    # steps --------------------------------------------------------------------------------
    def add_steps(
        self, run_id: str, action_seq: int | None, steps: Iterable[tuple[str, dict[str, Any]]]
    ) -> list[int]:
        """Append `planned` steps (kind, payload); returns their seqs."""
        row = self.conn.execute(
            "SELECT COALESCE(MAX(seq), -1) FROM journal_steps WHERE run_id = ?", (run_id,)
        ).fetchone()
        start = int(row[0]) + 1
        items = list(steps)
        self.conn.executemany(
            "INSERT INTO journal_steps(run_id, seq, action_seq, kind, payload_json, state)"
            " VALUES (?,?,?,?,?,'planned')",
            (
                (run_id, start + i, action_seq, kind, _dumps(payload))
                for i, (kind, payload) in enumerate(items)
            ),
        )
        return list(range(start, start + len(items)))

    def steps(
        self, run_id: str, action_seq: int | None = None, *, shared: bool = False
    ) -> list[StepRow]:
        """Steps of one action (or, with `shared`, the steps belonging to no single action)."""
        if shared:
            cur = self.conn.execute(
                "SELECT * FROM journal_steps WHERE run_id = ? AND action_seq IS NULL ORDER BY seq",
                (run_id,),
            )
        elif action_seq is None:
            cur = self.conn.execute(
                "SELECT * FROM journal_steps WHERE run_id = ? ORDER BY seq", (run_id,)
            )
        else:
            cur = self.conn.execute(
                "SELECT * FROM journal_steps WHERE run_id = ? AND action_seq = ? ORDER BY seq",
                (run_id, action_seq),
            )
        return [
            StepRow(
                r["seq"],
                r["action_seq"],
                r["kind"],
                _loads(r["payload_json"]),
                r["state"],
                None if r["result_json"] is None else _loads(r["result_json"]),
            )
            for r in cur
        ]

    def set_payload(self, run_id: str, seq: int, payload: Mapping[str, Any]) -> None:
        """Rewrite a step's payload (a request narrowed after a refusal, before it is resent)."""
        self.conn.execute(
            "UPDATE journal_steps SET payload_json = ? WHERE run_id = ? AND seq = ?",
            (_dumps(dict(payload)), run_id, seq),
        )

    def units_with_steps(self, run_id: str) -> set[int]:
        """The units of `run_id` that have steps of their own."""
        return {
            int(r[0])
            for r in self.conn.execute(
                "SELECT DISTINCT action_seq FROM journal_steps"
                " WHERE run_id = ? AND action_seq IS NOT NULL",
                (run_id,),
            )
        }

    def mark_step(
        self,
        run_id: str,
        seq: int,
        state: str,
        *,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        """Move a step to `pending` (about to be sent) or a final state (with its answer)."""
        now = utc_now()
        if state == "pending":
            self.conn.execute(
                "UPDATE journal_steps SET state = 'pending', started_at = ?"
                " WHERE run_id = ? AND seq = ?",
                (now, run_id, seq),
            )
        else:
            self.conn.execute(
                "UPDATE journal_steps SET state = ?, result_json = ?, error = ?, finished_at = ?"
                " WHERE run_id = ? AND seq = ?",
                (state, None if result is None else _dumps(result), error, now, run_id, seq),
            )

    # images -------------------------------------------------------------------------------
    def save_image(self, run_id: str, contact_id: str, image: Mapping[str, Any]) -> None:
        """Keep the before-image of a contact; the first one recorded in a run wins."""
        self.conn.execute(
            "INSERT OR IGNORE INTO journal_images(run_id, contact_id, image_json, taken_at)"
            " VALUES (?,?,?,?)",
            (run_id, contact_id, _dumps(dict(image)), utc_now()),
        )

    def save_images(self, run_id: str, images: Mapping[str, Mapping[str, Any]]) -> None:
        """Keep many before-images in one transaction."""
        now = utc_now()
        with self.transaction():
            self.conn.executemany(
                "INSERT OR IGNORE INTO journal_images(run_id, contact_id, image_json, taken_at)"
                " VALUES (?,?,?,?)",
                ((run_id, cid, _dumps(dict(img)), now) for cid, img in images.items()),
            )

    def set_after(self, run_id: str, contact_id: str, after: Mapping[str, Any] | None) -> None:
        """Record the contact as the run left it (`{"deleted": true}` for soft-deleted ones)."""
        self.conn.execute(
            "UPDATE journal_images SET after_json = ? WHERE run_id = ? AND contact_id = ?",
            (None if after is None else _dumps(dict(after)), run_id, contact_id),
        )

    def images(self, run_id: str) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None]]:
        """contact id → (before-image, after-image or None)."""
        out: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        for r in self.conn.execute(
            "SELECT contact_id, image_json, after_json FROM journal_images WHERE run_id = ?",
            (run_id,),
        ):
            after = None if r["after_json"] is None else _loads(r["after_json"])
            out[r["contact_id"]] = (_loads(r["image_json"]), after)
        return out

    def afters(self, run_id: str) -> dict[str, dict[str, Any]]:
        """contact id → after-image, for the contacts the run changed."""
        return {
            r["contact_id"]: _loads(r["after_json"])
            for r in self.conn.execute(
                "SELECT contact_id, after_json FROM journal_images"
                " WHERE run_id = ? AND after_json IS NOT NULL",
                (run_id,),
            )
        }

    def set_afters(self, run_id: str, afters: Mapping[str, Mapping[str, Any]]) -> None:
        """`set_after` for many contacts at once."""
        self.conn.executemany(
            "UPDATE journal_images SET after_json = ? WHERE run_id = ? AND contact_id = ?",
            ((_dumps(dict(a)), run_id, cid) for cid, a in afters.items()),
        )

    def image(self, run_id: str, contact_id: str) -> dict[str, Any] | None:
        """One before-image, or None."""
        row = self.conn.execute(
            "SELECT image_json FROM journal_images WHERE run_id = ? AND contact_id = ?",
            (run_id, contact_id),
        ).fetchone()
        return None if row is None else dict(_loads(row[0]))

    # id map (undo) ------------------------------------------------------------------------
    def map_id(self, run_id: str, old_id: str, new_id: str) -> None:
        """Record that `old_id` was re-created as `new_id`."""
        self.conn.execute(
            "INSERT OR REPLACE INTO journal_idmap(run_id, old_id, new_id) VALUES (?,?,?)",
            (run_id, old_id, new_id),
        )

    def save_created(self, run_id: str, afters: Mapping[str, Mapping[str, Any]]) -> None:
        """Record contacts the run created: a `{"_created": true}` before-image and the
        contact as created, in one statement per contact."""
        now = utc_now()
        before = _dumps({"_created": True})
        self.conn.executemany(
            "INSERT OR REPLACE INTO journal_images(run_id, contact_id, image_json, after_json,"
            " taken_at) VALUES (?,?,?,?,?)",
            ((run_id, cid, before, _dumps(dict(a)), now) for cid, a in afters.items()),
        )

    def map_ids(self, run_id: str, pairs: Mapping[str, str]) -> None:
        """`map_id` for many ids at once (an import's batch of created contacts)."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO journal_idmap(run_id, old_id, new_id) VALUES (?,?,?)",
            ((run_id, old, new) for old, new in pairs.items()),
        )

    def id_map(self, run_id: str) -> dict[str, str]:
        """old id → new id for the contacts `run_id` re-created."""
        return {
            r["old_id"]: r["new_id"]
            for r in self.conn.execute(
                "SELECT old_id, new_id FROM journal_idmap WHERE run_id = ?", (run_id,)
            )
        }
