"""API JSON (camelCase) → cache frames (snake_case, exact `gomoq.cache.schema` types, UTC times).

Reading is tolerant: unknown fields are ignored, a missing field is null, a number where a
string is expected becomes its text, an unparseable time becomes null. Unknown enum values
(call statuses, audience types) are kept as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from gomoq.cache.schema import (
    ATTRIBUTE_DEFS,
    ATTRIBUTES,
    AUDIENCE_MEMBERS,
    AUDIENCES,
    CALLS,
    CONTACTS,
)

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    """`primaryPhone` → `primary_phone`."""
    return _CAMEL.sub("_", name).lower()


def camel(name: str) -> str:
    """`primary_phone` → `primaryPhone`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def compact_json(value: Any) -> str:
    """The one JSON text form the cache uses (also `gomoq.plan.cachepatch`'s)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return compact_json(value)


def _frame(rows: list[dict[str, Any]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Rows whose values are already Python str/int/list: typed, times parsed from text."""
    times = [n for n, t in schema.items() if isinstance(t, pl.Datetime)]
    raw_schema = {n: (pl.String() if n in times else t) for n, t in schema.items()}
    frame = pl.DataFrame(rows, schema=raw_schema)
    if times:
        frame = frame.with_columns(
            pl.col(n).str.to_datetime(time_unit="ms", time_zone="UTC", strict=False) for n in times
        )
    return frame


def _pick(item: Mapping[str, Any], schema: Mapping[str, pl.DataType]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, dtype in schema.items():
        value = item.get(camel(column))
        if isinstance(dtype, pl.Int64):
            out[column] = value if isinstance(value, int) and not isinstance(value, bool) else None
        elif isinstance(dtype, pl.List):
            out[column] = [_text(v) for v in value] if isinstance(value, list) else []
        else:
            out[column] = _text(value)
    return out


def contacts_frame(items: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Contacts (as listed with `include=customAttributes`) as `contacts` rows."""
    rows = []
    for item in items:
        row = _pick(item, CONTACTS)
        attrs = item.get("customAttributes")
        row["custom_attributes"] = compact_json(attrs if isinstance(attrs, dict) else {})
        rows.append(row)
    return _frame(rows, CONTACTS)


_JSON_TYPES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    list: "array",
    dict: "object",
}


def attribute_rows(contact_id: str, attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The long-form `attributes` rows of one contact's custom-attribute map."""
    out = []
    for name, value in attrs.items():
        kind = _JSON_TYPES.get(type(value), "null")
        text = value if isinstance(value, str) else (None if value is None else compact_json(value))
        out.append({"contact_id": contact_id, "name": name, "value": text, "json_type": kind})
    return out


def attributes_frame(contacts: pl.DataFrame) -> pl.DataFrame:
    """The `attributes` table of some `contacts` rows (from their `custom_attributes` JSON)."""
    rows: list[dict[str, Any]] = []
    for contact_id, text in contacts.select("id", "custom_attributes").iter_rows():
        try:
            attrs = json.loads(text) if text else {}
        except ValueError:
            continue
        if isinstance(attrs, dict):
            rows.extend(attribute_rows(contact_id, attrs))
    return pl.DataFrame(rows, schema=ATTRIBUTES)


def attribute_defs_frame(items: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """`GET /custom-attributes` items as `attribute_defs` rows."""
    return _frame([_pick(i, ATTRIBUTE_DEFS) for i in items], ATTRIBUTE_DEFS)


def audiences_frame(items: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """`GET /audience` items as `audiences` rows."""
    return _frame([_pick(i, AUDIENCES) for i in items], AUDIENCES)


def members_frame(audience_id: str, items: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """`GET /audience/{id}/contacts` items (contacts + membershipStatus) as member rows."""
    rows = [
        {
            "audience_id": audience_id,
            "contact_id": _text(i.get("id")),
            "status": _text(i.get("membershipStatus")) or "active",
        }
        for i in items
    ]
    return pl.DataFrame(rows, schema=AUDIENCE_MEMBERS)


def calls_frame(items: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """`GET /calls` items as `calls` rows."""
    return _frame([_pick(i, CALLS) for i in items], CALLS)


def calls_from_csv(path: Path) -> pl.LazyFrame:
    """The calls export CSV (camelCase header) as a lazy `calls` frame, read as text first.

    Columns absent from the file are null; extra ones are ignored.
    """
    header = path.open(encoding="utf-8").readline().strip().split(",")
    present = {h.strip().strip('"') for h in header}
    scan = pl.scan_csv(
        path,
        infer_schema=False,  # every column as text: no guessing, no lost leading zeros
        empty_string_is_null=True,
    )
    columns = []
    for column, dtype in CALLS.items():
        name = camel(column)
        if name not in present:
            columns.append(pl.lit(None, dtype).alias(column))
            continue
        source = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            expr = source.str.to_datetime(time_unit="ms", time_zone="UTC", strict=False)
        elif isinstance(dtype, pl.Int64):
            expr = source.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
        else:
            expr = source
        columns.append(expr.alias(column))
    return scan.select(columns)
