"""Contact rows: reading, writing and turning them into the API's camelCase JSON.

Shared by the contact routes, the audience member list and the concurrent editor.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from gomoq.sandbox import paging
from gomoq.sandbox.db import now_iso
from gomoq.sandbox.state import SandboxState, dumps

# API name -> column, for the plain string fields.
FIELD_COLUMNS: dict[str, str] = {
    "primaryPhone": "primary_phone",
    "firstName": "first_name",
    "lastName": "last_name",
    "fullName": "full_name",
    "primaryEmail": "primary_email",
    "address": "address",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "occupation": "occupation",
    "preferredChannel": "preferred_channel",
    "gender": "gender",
}
COLUMNS = (
    "seq, id, organization_id, primary_phone, first_name, last_name, full_name, primary_email, "
    "address, city, state, zip, occupation, preferred_channel, gender, channels, "
    "custom_attributes, created_at, updated_at, deleted_at"
)


def contact_json(state: SandboxState, row: sqlite3.Row, *, with_attributes: bool) -> dict[str, Any]:
    """The API object of one contact row."""
    out: dict[str, Any] = {"id": row["id"], "organizationId": row["organization_id"]}
    for api_name, column in FIELD_COLUMNS.items():
        out[api_name] = row[column]
    out["channels"] = _loads(row["channels"], [])
    if with_attributes:
        attrs = _loads(row["custom_attributes"], {})
        if state.settings.hide_orphan_attributes and isinstance(attrs, dict):
            defs = state.attribute_defs()
            attrs = {k: v for k, v in attrs.items() if k in defs}
        out["customAttributes"] = attrs
    out["createdAt"] = row["created_at"]
    out["updatedAt"] = row["updated_at"]
    if state.settings.deleted_contacts == "shown":
        out["deletedAt"] = row["deleted_at"]
    return out


def _loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return default


def fetch(state: SandboxState, contact_id: str, *, include_deleted: bool) -> sqlite3.Row | None:
    """The row of `contact_id`; soft-deleted ones only with `include_deleted`."""
    row: sqlite3.Row | None = state.conn.execute(
        f"SELECT {COLUMNS} FROM contacts WHERE id = ?", (contact_id,)
    ).fetchone()
    if row is None or (row["deleted_at"] is not None and not include_deleted):
        return None
    return row


def phone_owner(state: SandboxState, phone: str, *, exclude_id: str | None = None) -> str | None:
    """The id of the oldest live contact whose stored phone is exactly `phone`."""
    row = state.conn.execute(
        "SELECT id FROM contacts WHERE primary_phone = ? AND deleted_at IS NULL AND id != ? "
        "ORDER BY seq LIMIT 1",
        (phone, exclude_id or ""),
    ).fetchone()
    return None if row is None else str(row[0])


def insert(
    state: SandboxState,
    body: dict[str, Any],
    attributes: dict[str, Any],
    *,
    created_at: str | None = None,
    contact_id: str | None = None,
) -> sqlite3.Row:
    """Insert a new contact from a validated body and accepted attribute values."""
    contact_id = contact_id or str(uuid.uuid4())
    stamp = now_iso()
    values = {column: body.get(api_name) for api_name, column in FIELD_COLUMNS.items()}
    attrs = {k: v for k, v in attributes.items() if v is not None}
    last = state.conn.execute(
        "SELECT max(created_at) FROM contacts WHERE deleted_at IS NULL"
    ).fetchone()[0]
    appended = last is None or (created_at or stamp) >= last
    state.conn.execute(
        "INSERT INTO contacts (id, organization_id, "
        + ", ".join(values)
        + ", channels, custom_attributes, created_at, updated_at) VALUES (?, ?, "
        + ", ".join("?" for _ in values)
        + ", ?, ?, ?, ?)",
        (
            contact_id,
            state.org["org_id"],
            *values.values(),
            dumps(body.get("channels") or []),
            dumps(attrs),
            created_at or stamp,
            stamp,
        ),
    )
    row = fetch(state, contact_id, include_deleted=True)
    assert row is not None
    if appended:
        state.contacts_changed(map_kept=True)
    else:
        _adjust_map(state, lambda m: paging.after_insert(state.conn, m, _key(row)))
    return row


def _key(row: sqlite3.Row) -> tuple[str, int]:
    return (row["created_at"], row["seq"])


def _adjust_map(state: SandboxState, adjust: Callable[[paging.BoundaryMap], None]) -> None:
    """Keep the page map right after a create or delete in the middle of createdAt order."""
    current = state.page_index
    if current is not None and current.generation == state.order_generation:
        adjust(current)
        state.contacts_changed(map_kept=True)
    else:
        state.contacts_changed()


def update(
    state: SandboxState,
    row: sqlite3.Row,
    body: dict[str, Any],
    attributes: dict[str, Any],
) -> sqlite3.Row:
    """Apply a validated partial update; customAttributes merged or replaced per the switch."""
    sets: dict[str, Any] = {}
    for api_name, column in FIELD_COLUMNS.items():
        if api_name in body and body[api_name] != row[column]:
            sets[column] = body[api_name]
    if "channels" in body:
        channels = dumps(body["channels"] or [])
        if channels != row["channels"]:
            sets["channels"] = channels
    if "customAttributes" in body:
        current = _loads(row["custom_attributes"], {})
        if state.settings.custom_attributes_update == "replace":
            merged = {k: v for k, v in attributes.items() if v is not None}
        else:
            merged = dict(current)
            for key, value in attributes.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
        if merged != current:
            sets["custom_attributes"] = dumps(merged)
    if not sets:
        return row
    sets["updated_at"] = now_iso()
    assignments = ", ".join(f"{column} = ?" for column in sets)
    state.conn.execute(
        f"UPDATE contacts SET {assignments} WHERE id = ?", (*sets.values(), row["id"])
    )
    fresh = fetch(state, row["id"], include_deleted=True)
    assert fresh is not None
    return fresh


def soft_delete(state: SandboxState, contact_id: str) -> str:
    """Mark a contact deleted; returns the deletion time."""
    stamp = now_iso()
    row = state.conn.execute(
        "SELECT created_at, seq FROM contacts WHERE id = ?", (contact_id,)
    ).fetchone()
    state.conn.execute(
        "UPDATE contacts SET deleted_at = ?, updated_at = ? WHERE id = ?",
        (stamp, stamp, contact_id),
    )
    if row is None:
        state.contacts_changed()
    else:
        _adjust_map(state, lambda m: paging.after_delete(state.conn, m, _key(row)))
    return stamp
