"""Fast deep pages in createdAt order (the order a full sync reads), for contacts and calls.

`LIMIT 100 OFFSET 999900` makes SQLite step over a million index entries (~100 ms). Instead we
keep a boundary map: the `(created_at, seq)` key of every STEP-th row, built by one index-only
scan and rebuilt lazily after the set of rows changes (a contact created or deleted; calls never
change). A page then starts from the nearest boundary: two index range searches fetch the
rowids from there, and the page's rows are read by rowid. Shallow pages skip the map entirely.
"""

from __future__ import annotations

import bisect
import sqlite3
from dataclasses import dataclass
from typing import Any

from gomoq.sandbox import db as sdb

STEP = 1000
MAP_FROM_OFFSET = 2 * STEP  # below this offset a plain OFFSET is already cheap


@dataclass(frozen=True)
class Ordered:
    """A table read in (created_at, seq) order through `index`, restricted by `where`."""

    table: str
    index: str
    where: str


LIVE_CONTACTS = Ordered("contacts", "contacts_live_created", "deleted_at IS NULL")
ALL_CALLS = Ordered("calls", "calls_created", "1 = 1")


@dataclass
class BoundaryMap:
    """Keys of the rows at positions 0, STEP, 2*STEP, ... for one data generation."""

    generation: int
    keys: list[tuple[str, int]]


def build_map(
    conn: sqlite3.Connection, generation: int, spec: Ordered = LIVE_CONTACTS
) -> BoundaryMap:
    """Scan the index once and keep every STEP-th key.

    The numbering runs inside SQLite (a window function), which releases the GIL: a build in a
    worker thread does not stall the event loop serving requests.
    """
    rows = conn.execute(
        f"SELECT created_at, seq FROM (SELECT created_at, seq, "
        f"row_number() OVER (ORDER BY created_at, seq) AS rn "
        f"FROM {spec.table} INDEXED BY {spec.index} WHERE {spec.where}) "
        f"WHERE rn % {STEP} = 1 ORDER BY created_at, seq"
    ).fetchall()
    return BoundaryMap(generation, [(row[0], row[1]) for row in rows])


def _neighbour(
    conn: sqlite3.Connection, spec: Ordered, key: tuple[str, int], *, after: bool
) -> tuple[str, int] | None:
    """The key just after (or before) `key` among the rows now in the index."""
    created_at, seq = key
    head = f"SELECT created_at, seq FROM {spec.table} INDEXED BY {spec.index} WHERE {spec.where}"
    if after:
        row = (
            conn.execute(
                f"{head} AND created_at = ? AND seq > ? ORDER BY seq LIMIT 1", (created_at, seq)
            ).fetchone()
            or conn.execute(
                f"{head} AND created_at > ? ORDER BY created_at, seq LIMIT 1", (created_at,)
            ).fetchone()
        )
    else:
        row = (
            conn.execute(
                f"{head} AND created_at = ? AND seq < ? ORDER BY seq DESC LIMIT 1",
                (created_at, seq),
            ).fetchone()
            or conn.execute(
                f"{head} AND created_at < ? ORDER BY created_at DESC, seq DESC LIMIT 1",
                (created_at,),
            ).fetchone()
        )
    return None if row is None else (row[0], row[1])


def after_delete(
    conn: sqlite3.Connection,
    boundary: BoundaryMap,
    key: tuple[str, int],
    spec: Ordered = LIVE_CONTACTS,
) -> None:
    """Adjust the map in place after the row `key` left the index: every later boundary moves
    one row forward (one index probe per boundary, instead of a full rebuild)."""
    first = bisect.bisect_left(boundary.keys, key)
    keys = boundary.keys[:first]
    for old in boundary.keys[first:]:
        new = _neighbour(conn, spec, old, after=True)
        if new is None:
            break
        keys.append(new)
    boundary.keys = keys


def after_insert(
    conn: sqlite3.Connection,
    boundary: BoundaryMap,
    key: tuple[str, int],
    spec: Ordered = LIVE_CONTACTS,
) -> None:
    """Adjust the map in place after the row `key` entered the index: every later boundary
    moves one row back."""
    first = bisect.bisect_right(boundary.keys, key)
    for index in range(first, len(boundary.keys)):
        new = _neighbour(conn, spec, boundary.keys[index], after=False)
        if new is not None:
            boundary.keys[index] = new


def rows_asc(
    conn: sqlite3.Connection,
    boundary: BoundaryMap | None,
    start: int,
    count: int,
    columns: str,
    spec: Ordered = LIVE_CONTACTS,
) -> list[sqlite3.Row]:
    """`count` rows from position `start` in (created_at, seq) ascending order.

    `columns` must include `seq`.
    """
    if count <= 0:
        return []
    slot = start // STEP
    if boundary is not None:
        slot = min(slot, len(boundary.keys) - 1)  # rows appended since the map was built
    if boundary is None or slot <= 0:
        return conn.execute(
            f"SELECT {columns} FROM {spec.table} INDEXED BY {spec.index} WHERE {spec.where} "
            "ORDER BY created_at, seq LIMIT ? OFFSET ?",
            (count, start),
        ).fetchall()
    created_at, seq = boundary.keys[slot]
    skip = start - slot * STEP
    need = skip + count
    # Two index range searches rather than one row-value comparison: SQLite uses only the
    # first column of `(created_at, seq) >= (?, ?)`, which scans every tie of created_at.
    keys = conn.execute(
        f"SELECT seq FROM {spec.table} INDEXED BY {spec.index} "
        f"WHERE {spec.where} AND created_at = ? AND seq >= ? ORDER BY seq LIMIT ?",
        (created_at, seq, need),
    ).fetchall()
    if len(keys) < need:
        keys += conn.execute(
            f"SELECT seq FROM {spec.table} INDEXED BY {spec.index} "
            f"WHERE {spec.where} AND created_at > ? ORDER BY created_at, seq LIMIT ?",
            (created_at, need - len(keys)),
        ).fetchall()
    wanted = [k[0] for k in keys[skip:]]
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    rows = conn.execute(
        f"SELECT {columns} FROM {spec.table} WHERE seq IN ({marks})", wanted
    ).fetchall()
    by_seq = {row["seq"]: row for row in rows}
    return [by_seq[s] for s in wanted if s in by_seq]


def page_rows(
    conn: sqlite3.Connection,
    current: BoundaryMap | None,
    generation: int,
    *,
    offset: int,
    limit: int,
    total: int,
    descending: bool,
    columns: str,
    spec: Ordered = LIVE_CONTACTS,
) -> tuple[list[sqlite3.Row], BoundaryMap | None]:
    """One page (asc or desc) and the boundary map to keep (built or rebuilt when needed)."""
    if offset >= total:
        return [], current
    count = min(limit, total - offset)
    start = total - offset - count if descending else offset
    boundary = None
    if start >= MAP_FROM_OFFSET:
        if current is None or current.generation != generation:
            current = build_map(conn, generation, spec)
        boundary = current
    rows = rows_asc(conn, boundary, start, count, columns, spec)
    return (rows[::-1] if descending else rows), current


def warm(state: Any) -> None:
    """Build the contacts page map ahead of the first deep page (server start-up).

    (The calls map is built on the first deep page of calls: at 5 calls per contact it takes
    several seconds, and clients read calls in bulk through the export.)

    Runs in a worker thread with its own connection; a map is labelled with the generation seen
    before its scan, so one that raced a write is simply rebuilt on demand.
    """
    conn = sdb.connect(state.db_path, create=False)
    try:
        generation = state.order_generation
        contacts = build_map(conn, generation, LIVE_CONTACTS)
        if state.page_index is None:
            state.page_index = contacts
    finally:
        conn.close()
        state.warmed = True
