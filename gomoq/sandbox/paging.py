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
    sql = f"{base} AND (created_at, seq) >= (?, ?) ORDER BY created_at, seq LIMIT ? OFFSET ?"
    return conn.execute(sql, (created_at, seq, count, start - slot * STEP)).fetchall()
