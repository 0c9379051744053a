"""The operator's decisions on findings, remembered per (profile, finding id).

A decision says what to do about one finding: `dismissed` ("not a duplicate", "value is fine"),
`merge`, `flag`, `delete`, `set_attribute`, `remove_from_audiences`, `skip`; `payload` holds the
choices as JSON (survivor, field values, new value); `note` a free comment. Each decision stores
the *data fingerprint* of what the operator saw; when the same finding comes back with other
data (a new failed call, a changed value, another member in a cluster) the decision no longer
applies and the finding is shown undecided again.

Every `record` is written at once (autocommit connection: a crash loses none) and also appended
to `decisions_log`, so `forget` never loses the history and `take_back` can walk it back: taking
back a decision restores the one it replaced ("skipped", then "merge", then `u`: skipped again),
or leaves the finding open when there was none. A log row with `undoes` set records a take-back
(it cancels the row it names); the other rows are decisions (`decision` NULL: forgotten).

`apply_decisions(findings, decisions)` is what runs after every check run.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl

from gomoq.checks.ids import finding_id_expr
from gomoq.errors import UsageError

DECISIONS: Final = (
    "dismissed",
    "merge",
    "flag",
    "delete",
    "set_attribute",
    "remove_from_audiences",
    "set_phone",  # rewrite the stored phone to its E.164 form (gomoq.plan.phone_steps)
    "skip",
)

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS decisions_current (
    profile TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    data_fingerprint TEXT NOT NULL,
    note TEXT,
    payload TEXT,
    check_name TEXT,
    contact_ids TEXT,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (profile, finding_id)
);
CREATE TABLE IF NOT EXISTS decisions_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    decision TEXT,
    data_fingerprint TEXT,
    note TEXT,
    payload TEXT,
    at TEXT NOT NULL
);
"""

# Columns added to decisions_log after its first release (a take-back restores them).
_LOG_COLUMNS: Final = (("check_name", "TEXT"), ("contact_ids", "TEXT"), ("undoes", "INTEGER"))

LOADED_SCHEMA: Final[dict[str, pl.DataType]] = {
    "finding_id": pl.String(),
    "decision": pl.String(),
    "data_fingerprint": pl.String(),
    "note": pl.String(),
    "payload": pl.String(),
    "check": pl.String(),
    "contact_ids": pl.List(pl.String()),
    "decided_at": pl.String(),
}


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the decision tables if missing, and add newer log columns (idempotent)."""
    conn.executescript(SCHEMA)
    have = {row[1] for row in conn.execute("PRAGMA table_info(decisions_log)")}
    for name, kind in _LOG_COLUMNS:
        if name not in have:
            try:
                conn.execute(f"ALTER TABLE decisions_log ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:
                # Two connections (the app's workers, or a CLI beside the app) can both see the
                # column missing; the second ALTER then finds it added, which is what it wanted.
                if "duplicate column name" not in str(exc):
                    raise


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(
    conn: sqlite3.Connection,
    profile: str,
    finding_id: str,
    decision: str,
    *,
    data_fingerprint: str,
    note: str | None = None,
    payload: dict[str, Any] | None = None,
    check: str | None = None,
    contact_ids: Sequence[str] | None = None,
) -> None:
    """Remember `decision` on `finding_id` (replacing an earlier one), committed at once."""
    if decision not in DECISIONS:
        raise UsageError(f"Unknown decision {decision!r}; use one of {', '.join(DECISIONS)}.")
    ensure_schema(conn)
    payload_text = None if payload is None else json.dumps(payload, ensure_ascii=False, default=str)
    ids_text = None if contact_ids is None else json.dumps(list(contact_ids))
    at = _now()
    with _transaction(conn):
        conn.execute(
            "INSERT INTO decisions_current (profile, finding_id, decision, data_fingerprint,"
            " note, payload, check_name, contact_ids, decided_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (profile, finding_id) DO UPDATE SET decision = excluded.decision,"
            " data_fingerprint = excluded.data_fingerprint, note = excluded.note,"
            " payload = excluded.payload,"
            " check_name = coalesce(excluded.check_name, decisions_current.check_name),"
            " contact_ids = coalesce(excluded.contact_ids, decisions_current.contact_ids),"
            " decided_at = excluded.decided_at",
            (
                profile,
                finding_id,
                decision,
                data_fingerprint,
                note,
                payload_text,
                check,
                ids_text,
                at,
            ),
        )
        conn.execute(
            "INSERT INTO decisions_log (profile, finding_id, decision, data_fingerprint, note,"
            " payload, at, check_name, contact_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                profile,
                finding_id,
                decision,
                data_fingerprint,
                note,
                payload_text,
                at,
                check,
                ids_text,
            ),
        )


def forget(conn: sqlite3.Connection, profile: str, finding_id: str) -> bool:
    """Take back the decision on `finding_id` (undo); False when there was none."""
    ensure_schema(conn)
    with _transaction(conn):
        cur = conn.execute(
            "DELETE FROM decisions_current WHERE profile = ? AND finding_id = ?",
            (profile, finding_id),
        )
        if cur.rowcount:
            conn.execute(
                "INSERT INTO decisions_log (profile, finding_id, decision, at)"
                " VALUES (?, ?, NULL, ?)",
                (profile, finding_id, _now()),
            )
    return cur.rowcount > 0


def _stack(conn: sqlite3.Connection, profile: str, finding_id: str) -> list[sqlite3.Row]:
    """The log of `finding_id` replayed: each decision pushed, each take-back pops one."""
    conn_rows = conn.execute(
        "SELECT seq, decision, data_fingerprint, note, payload, at, check_name, contact_ids,"
        " undoes FROM decisions_log WHERE profile = ? AND finding_id = ? ORDER BY seq",
        (profile, finding_id),
    ).fetchall()
    stack: list[sqlite3.Row] = []
    for row in conn_rows:
        if row[8] is None:
            stack.append(row)
        elif stack:
            stack.pop()
    return stack


def take_back(conn: sqlite3.Connection, profile: str, finding_id: str) -> str | None:
    """Take back the decision in force on `finding_id`: the one it replaced comes back (with the
    fingerprint, payload and time it had), or the finding is open again when there was none.

    Returns the decision now in force (None: open). Raises `UsageError` when `finding_id` has no
    decision to take back.
    """
    ensure_schema(conn)
    with _transaction(conn):
        current = conn.execute(
            "SELECT check_name, contact_ids FROM decisions_current"
            " WHERE profile = ? AND finding_id = ?",
            (profile, finding_id),
        ).fetchone()
        if current is None:
            raise UsageError(f"Finding {finding_id} has no decision to take back.")
        stack = _stack(conn, profile, finding_id)
        popped = stack.pop() if stack else None
        previous = stack[-1] if stack else None
        restored = None if previous is None else previous[1]
        if previous is None or restored is None:
            conn.execute(
                "DELETE FROM decisions_current WHERE profile = ? AND finding_id = ?",
                (profile, finding_id),
            )
        else:
            _seq, decision, fingerprint, note, payload, at, check, ids, _u = previous
            conn.execute(
                "UPDATE decisions_current SET decision = ?, data_fingerprint = ?, note = ?,"
                " payload = ?, check_name = coalesce(?, check_name),"
                " contact_ids = coalesce(?, contact_ids), decided_at = ?"
                " WHERE profile = ? AND finding_id = ?",
                (decision, fingerprint, note, payload, check, ids, at, profile, finding_id),
            )
        conn.execute(
            "INSERT INTO decisions_log (profile, finding_id, decision, at, check_name,"
            " contact_ids, undoes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                profile,
                finding_id,
                restored,
                _now(),
                current[0],
                current[1],
                -1 if popped is None else popped[0],
            ),
        )
    return restored


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT on an autocommit connection (nested: joins the outer one)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.owned = False

    def __enter__(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.owned = True

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self.owned:
            return
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


def load(conn: sqlite3.Connection, profile: str) -> pl.DataFrame:
    """Every current decision of `profile` (columns `LOADED_SCHEMA`; payload as JSON text)."""
    ensure_schema(conn)
    rows = conn.execute(
        "SELECT finding_id, decision, data_fingerprint, note, payload, check_name, contact_ids,"
        " decided_at FROM decisions_current WHERE profile = ? ORDER BY finding_id",
        (profile,),
    ).fetchall()
    columns: dict[str, list[Any]] = {name: [] for name in LOADED_SCHEMA}
    for row in rows:
        values = list(row)
        values[6] = None if values[6] is None else json.loads(values[6])
        for name, value in zip(LOADED_SCHEMA, values, strict=True):
            columns[name].append(value)
    return pl.DataFrame(columns, schema=LOADED_SCHEMA)


def history(conn: sqlite3.Connection, profile: str, finding_id: str) -> list[dict[str, Any]]:
    """Every decision ever recorded on `finding_id`, oldest first (decision None = undone)."""
    ensure_schema(conn)
    cur = conn.execute(
        "SELECT decision, data_fingerprint, note, payload, at FROM decisions_log"
        " WHERE profile = ? AND finding_id = ? ORDER BY seq",
        (profile, finding_id),
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def default_fingerprints(findings: pl.DataFrame) -> pl.DataFrame:
    """finding_id -> data fingerprint computed from the findings' own rows.

    A finding's fingerprint is the hash of its rows' (contact, kind, field, value, evidence),
    rows in contact order (a duplicate cluster has one row per member). Checks that know better
    supply a `data_fingerprint` column instead (e.g. inactivity, whose evidence counts days).
    """
    if findings.height == 0:
        return pl.DataFrame(schema={"finding_id": pl.String(), "data_fingerprint": pl.String()})
    rows = findings.select(
        "finding_id",
        "contact_id",
        finding_id_expr("row", "kind", "contact_id", "field", "value", "evidence").alias("fp"),
    )
    return (
        rows.sort("finding_id", "contact_id", "fp")
        .group_by("finding_id", maintain_order=True)
        .agg(pl.col("fp").str.join("+"))
        .select(
            "finding_id",
            pl.when(pl.col("fp").str.len_chars() <= 16)
            .then(pl.col("fp"))
            .otherwise(finding_id_expr("rows", "joined", "fp"))
            .alias("data_fingerprint"),
        )
    )


def fingerprints(findings: pl.DataFrame) -> pl.DataFrame:
    """finding_id -> the data fingerprint to store with a decision on it (and compare later).

    Uses the findings' `data_fingerprint` column where a check filled it, else
    `default_fingerprints`.
    """
    supplied = pl.DataFrame(schema={"finding_id": pl.String(), "data_fingerprint": pl.String()})
    rest = findings
    if "data_fingerprint" in findings.columns:
        given = findings.filter(pl.col("data_fingerprint").is_not_null())
        supplied = given.group_by("finding_id").agg(pl.col("data_fingerprint").sort().str.join("+"))
        rest = findings.filter(~pl.col("finding_id").is_in(given["finding_id"].implode()))
    return pl.concat([supplied, default_fingerprints(rest)], how="vertical")


def apply_decisions(
    findings: pl.DataFrame,
    decisions: pl.DataFrame,
    *,
    include_dismissed: bool = False,
    also_current: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """`findings` with a `decision` column (null when undecided), dismissed ones dropped.

    A decision applies only while its stored fingerprint equals the finding's current one
    (`fingerprints`) or one of `also_current` (finding_id, data_fingerprint: other accepted
    forms, e.g. the contact fingerprints the app stores); otherwise the finding comes back
    undecided. With `include_dismissed`, dismissed findings are kept (decision `dismissed`).
    """
    if decisions.height == 0 or findings.height == 0:
        return findings.with_columns(pl.lit(None, dtype=pl.String).alias("decision"))
    decided = findings.filter(pl.col("finding_id").is_in(decisions["finding_id"].implode()))
    current = fingerprints(decided)
    if also_current is not None and also_current.height:
        current = pl.concat(
            [current, also_current.select("finding_id", "data_fingerprint")], how="vertical"
        )
    holding = (
        decisions.select("finding_id", "decision", pl.col("data_fingerprint").alias("stored"))
        .join(current, on="finding_id", how="inner")
        .filter(pl.col("stored") == pl.col("data_fingerprint"))
        .unique("finding_id")
        .select("finding_id", "decision")
    )
    out = findings.join(holding, on="finding_id", how="left", maintain_order="left")
    if not include_dismissed:
        out = out.filter(pl.col("decision").fill_null("") != "dismissed")
    return out
