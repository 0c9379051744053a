"""The cache's tables: the contract between sync (writer) and checks, plans and the app (readers).

A snapshot is a folder holding one zstd Parquet file per table, named
`<table>.v<SCHEMA_VERSION>.parquet`, and `manifest.json`. A reader that finds no file of the
current version treats the cache as absent ("run `gomoq sync`"), never as a crash.

Column conventions:
- ids are the API's UUID strings; timestamps are UTC `Datetime("ms", "UTC")`;
- `contacts.primary_phone` is the phone **as stored** on the server (raw, never normalised here);
- `contacts.custom_attributes` is the contact's attribute map as compact JSON text, exactly as
  the API returned it; `attributes` is the same data in long form, one row per (contact, name);
  `attributes.value` is the value as text (a string as-is, anything else JSON-encoded) and
  `attributes.json_type` says what JSON type the API sent (string, number, boolean, null, array,
  object), so that a `number` attribute holding the string "12" can be told from 12.

Row order: `calls` is written sorted by `CALLS_ORDER` (contact, then time). Readers never rely
on it for correctness (they sort what they show), but it is what makes per-contact work cheap:
grouping 5 M calls by contact costs half as much when each contact's calls lie together, and a
filter on one contact reads one Parquet row group (its min/max statistics) instead of all.
"""

from __future__ import annotations

from typing import Final, TypeVar

import polars as pl

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

SCHEMA_VERSION: Final = 1

UTC_MS = pl.Datetime("ms", "UTC")

CONTACTS: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),
    "organization_id": pl.String(),
    "primary_phone": pl.String(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "full_name": pl.String(),
    "primary_email": pl.String(),
    "address": pl.String(),
    "city": pl.String(),
    "state": pl.String(),
    "zip": pl.String(),
    "occupation": pl.String(),
    "preferred_channel": pl.String(),
    "gender": pl.String(),
    "channels": pl.List(pl.String()),
    "custom_attributes": pl.String(),
    "created_at": UTC_MS,
    "updated_at": UTC_MS,
}

ATTRIBUTES: Final[dict[str, pl.DataType]] = {
    "contact_id": pl.String(),
    "name": pl.String(),
    "value": pl.String(),
    "json_type": pl.String(),
}

ATTRIBUTE_DEFS: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),
    "name": pl.String(),
    "display_name": pl.String(),
    "description": pl.String(),
    "type": pl.String(),
    "created_at": UTC_MS,
    "updated_at": UTC_MS,
}

AUDIENCES: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),
    "name": pl.String(),
    "description": pl.String(),
    "type": pl.String(),
    "created_at": UTC_MS,
    "updated_at": UTC_MS,
}

AUDIENCE_MEMBERS: Final[dict[str, pl.DataType]] = {
    "audience_id": pl.String(),
    "contact_id": pl.String(),
    "status": pl.String(),
}

CALLS: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),
    "contact_id": pl.String(),
    "phone_number": pl.String(),
    "status": pl.String(),
    "direction": pl.String(),
    "created_at": UTC_MS,
    "answered_at": UTC_MS,
    "ended_at": UTC_MS,
    "duration_ms": pl.Int64(),
}

CALLS_ORDER: Final = ("contact_id", "created_at", "id")
"""The order calls are written in (see the module docstring)."""

TABLE_ORDER: Final[dict[str, tuple[str, ...]]] = {"calls": CALLS_ORDER}
"""The tables written in a set order, and that order."""

TABLES: Final[dict[str, dict[str, pl.DataType]]] = {
    "contacts": CONTACTS,
    "attributes": ATTRIBUTES,
    "attribute_defs": ATTRIBUTE_DEFS,
    "audiences": AUDIENCES,
    "audience_members": AUDIENCE_MEMBERS,
    "calls": CALLS,
}


def table_file_name(table: str) -> str:
    """File name of `table` in a snapshot folder, carrying the schema version."""
    return f"{table}.v{SCHEMA_VERSION}.parquet"


def in_write_order(frame: FrameT, table: str) -> FrameT:
    """`frame` (eager or lazy) sorted as `table` is written (`TABLE_ORDER`); as it is for the
    other tables. Every writer of a whole table goes through it."""
    order = TABLE_ORDER.get(table)
    if not order:
        return frame
    return frame.sort(list(order), nulls_last=True)


def empty_frame(table: str) -> pl.DataFrame:
    """A zero-row frame of `table`'s schema (tests, and tables a partial sync skipped)."""
    return pl.DataFrame(schema=TABLES[table])
