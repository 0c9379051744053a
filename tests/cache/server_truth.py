"""The sandbox database read directly, as cache frames: what a correct sync must produce."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from gomoq.cache.convert import attributes_frame, compact_json
from gomoq.cache.schema import TABLE_ORDER, TABLES
from gomoq.cache.store import Snapshot

SORT_KEYS = {
    "contacts": ["id"],
    "attributes": ["contact_id", "name"],
    "attribute_defs": ["id"],
    "audiences": ["id"],
    "audience_members": ["audience_id", "contact_id"],
    "calls": ["id"],
}


def _times(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(name).str.to_datetime(time_unit="ms", time_zone="UTC")
        for name, dtype in TABLES[table].items()
        if isinstance(dtype, pl.Datetime)
    )


def server_tables(db_path: Path) -> dict[str, pl.DataFrame]:
    """Every cache table as the server's database holds it now (live rows only)."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM contacts WHERE deleted_at IS NULL")]
        for row in rows:
            row["channels"] = json.loads(row["channels"] or "[]")
            row["custom_attributes"] = compact_json(json.loads(row["custom_attributes"] or "{}"))
        schema = {
            k: (pl.String() if k.endswith("_at") else v) for k, v in TABLES["contacts"].items()
        }
        contacts = _times(
            pl.DataFrame([{k: r[k] for k in schema} for r in rows], schema=schema), "contacts"
        )

        def table(name: str, sql: str) -> pl.DataFrame:
            schema = {
                k: (pl.String() if isinstance(v, pl.Datetime) else v)
                for k, v in TABLES[name].items()
            }
            data = [{k: r[k] for k in schema} for r in conn.execute(sql)]
            return _times(pl.DataFrame(data, schema=schema), name)

        return {
            "contacts": contacts,
            "attributes": attributes_frame(contacts),
            "attribute_defs": table(
                "attribute_defs", "SELECT * FROM custom_attributes WHERE deleted_at IS NULL"
            ),
            "audiences": table("audiences", "SELECT * FROM audiences WHERE deleted_at IS NULL"),
            "audience_members": table(
                "audience_members",
                "SELECT m.audience_id, m.contact_id, m.status FROM audience_members m "
                "JOIN contacts c ON c.id = m.contact_id JOIN audiences a ON a.id = m.audience_id "
                "WHERE c.deleted_at IS NULL AND a.deleted_at IS NULL",
            ),
            "calls": table("calls", "SELECT * FROM calls"),
        }
    finally:
        conn.close()


def assert_cache_equals_server(
    profile: str, db_path: Path, tables: list[str] | None = None
) -> None:
    """The current snapshot holds exactly the server's rows, every field equal."""
    snapshot = Snapshot.open(profile)
    truth = server_tables(db_path)
    for name in tables or list(TABLES):
        keys = SORT_KEYS[name]
        stored = snapshot.read(name)
        if name in TABLE_ORDER:  # written in its order (calls by contact: see the schema)
            order = list(TABLE_ORDER[name])
            assert_frame_equal(stored, stored.sort(order, nulls_last=True), check_row_order=True)
        got = stored.sort(keys)
        want = truth[name].sort(keys)
        assert got.schema == pl.Schema(TABLES[name]), name
        assert_frame_equal(got, want, check_row_order=True)
