"""Fast deep pages of live contacts in createdAt order (the order a full sync reads).

`LIMIT 100 OFFSET 999900` makes SQLite step over a million index entries (~100 ms). Instead we
keep a boundary map: the `(created_at, seq)` key of every STEP-th live contact, built by one
index-only scan and rebuilt lazily after the set of live contacts changes (a create, a delete).
A page then starts from the nearest boundary with a small OFFSET (< STEP) on the partial index
`contacts_live_created`. Shallow pages skip the map entirely.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

STEP = 1000
MAP_FROM_OFFSET = 2 * STEP  # below this offset a plain OFFSET is already cheap


@dataclass
class BoundaryMap:
    """Keys of live contacts at positions 0, STEP, 2*STEP, ... for one contacts generation."""

    generation: int
    keys: list[tuple[str, int]]


def build_map(conn: sqlite3.Connection, generation: int) -> BoundaryMap:
    """Scan the live-contacts index once and keep every STEP-th key."""
    keys: list[tuple[str, int]] = []
    cursor = conn.execute(
        "SELECT created_at, seq FROM contacts INDEXED BY contacts_live_created "
        "WHERE deleted_at IS NULL ORDER BY created_at, seq"
    )
    position = 0
    while True:
        rows = cursor.fetchmany(10_000)
        if not rows:
            break
        for row in rows[(-position) % STEP :: STEP]:
            keys.append((row[0], row[1]))
        position += len(rows)
    return BoundaryMap(generation, keys)


def live_rows_asc(
    conn: sqlite3.Connection,
    boundary: BoundaryMap | None,
    start: int,
    count: int,
    columns: str,
) -> list[sqlite3.Row]:
    """`count` live contacts from position `start` in (created_at, seq) ascending order."""
    if count <= 0:
        return []
    base = (
        f"SELECT {columns} FROM contacts INDEXED BY contacts_live_created WHERE deleted_at IS NULL"
    )
    slot = start // STEP
    if boundary is None or slot == 0 or slot >= len(boundary.keys):
        sql = f"{base} ORDER BY created_at, seq LIMIT ? OFFSET ?"
        return conn.execute(sql, (count, start)).fetchall()
    created_at, seq = boundary.keys[slot]
    need = start - slot * STEP + count
    # Two index range searches rather than one row-value comparison: SQLite uses only the
    # first column of `(created_at, seq) >= (?, ?)`, which scans every tie of created_at.
    keys = conn.execute(
        "SELECT seq FROM contacts INDEXED BY contacts_live_created "
        "WHERE deleted_at IS NULL AND created_at = ? AND seq >= ? ORDER BY seq LIMIT ?",
        (created_at, seq, need),
    ).fetchall()
    if len(keys) < need:
        keys += conn.execute(
            "SELECT seq FROM contacts INDEXED BY contacts_live_created "
            "WHERE deleted_at IS NULL AND created_at > ? ORDER BY created_at, seq LIMIT ?",
            (created_at, need - len(keys)),
        ).fetchall()
    wanted = [k[0] for k in keys[start - slot * STEP :]]
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    rows = conn.execute(f"SELECT {columns} FROM contacts WHERE seq IN ({marks})", wanted).fetchall()
    by_seq = {row["seq"]: row for row in rows}
    return [by_seq[s] for s in wanted if s in by_seq]
