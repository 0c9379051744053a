"""The concurrent editor: another user changing contacts while a client syncs or applies.

Driven by the fault switches (see `Faults`): each `/api` request calls `tick`, which makes the
edits that are due (one every `editor_every_requests` requests; as many as `editor_interval_ms`
periods elapsed since the last tick) and the page-drift creates and deletes. Every change is
appended to `state.editor_log` (`{kind, contactId, field, old, new, at}`) so tests can assert on
exactly what changed. Random choices come from `state.editor_rng` (seeded by `faults.seed`).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson

from gomoq.sandbox import contacts_db as cdb
from gomoq.sandbox.db import now_iso
from gomoq.sandbox.state import SandboxState, dumps

MAX_CATCH_UP = 50  # edits per tick at most, however long the server sat idle
CITIES = ("Casablanca", "Rabat", "Marrakech", "Fès", "Tanger", "Agadir", "Meknès", "Oujda")
OCCUPATIONS = ("Ingénieur", "Commerçant", "Enseignante", "Médecin", "Étudiant", "Artisan")
FIRST_NAMES = ("Yassine", "Fatima", "Omar", "Salma", "Karim", "Nadia", "Mehdi", "Imane")


def tick(state: SandboxState, now_ms: float | None = None) -> None:
    """Make the edits, creates and deletes that are due at this request."""
    faults = state.settings.faults
    edits = 0
    if faults.editor_every_requests and state.request_count % faults.editor_every_requests == 0:
        edits += 1
    if faults.editor_interval_ms:
        now = time.monotonic() * 1000 if now_ms is None else now_ms
        due = int((now - state.editor_last_ms) // faults.editor_interval_ms)
        if due > 0:
            state.editor_last_ms += due * faults.editor_interval_ms
            edits += min(due, MAX_CATCH_UP)
    for _ in range(edits):
        edit_random_contact(state)
    for _ in range(faults.creates_per_request):
        create_contact(state)
    for _ in range(faults.deletes_per_request):
        delete_contact(state)


def _pick(state: SandboxState, where: str) -> Any:
    conn = state.conn
    position = state.settings.faults.drift_position
    if where == "edit" or position == "random":
        bounds = conn.execute("SELECT min(seq), max(seq) FROM contacts").fetchone()
        if bounds[0] is None:
            return None
        seq = state.editor_rng.randint(bounds[0], bounds[1])
        row = conn.execute(
            f"SELECT {cdb.COLUMNS} FROM contacts WHERE seq >= ? AND deleted_at IS NULL "
            "ORDER BY seq LIMIT 1",
            (seq,),
        ).fetchone()
        if row is None:
            row = conn.execute(
                f"SELECT {cdb.COLUMNS} FROM contacts WHERE seq < ? AND deleted_at IS NULL "
                "ORDER BY seq DESC LIMIT 1",
                (seq,),
            ).fetchone()
        return row
    direction = "ASC" if position == "start" else "DESC"
    return conn.execute(
        f"SELECT {cdb.COLUMNS} FROM contacts INDEXED BY contacts_live_created "
        f"WHERE deleted_at IS NULL ORDER BY created_at {direction}, seq {direction} LIMIT 1"
    ).fetchone()


def _log(
    state: SandboxState, kind: str, contact_id: str, name: str | None, old: Any, new: Any
) -> None:
    state.editor_log.append(
        {
            "kind": kind,
            "contactId": contact_id,
            "field": name,
            "old": old,
            "new": new,
            "at": now_iso(),
        }
    )


def edit_random_contact(state: SandboxState) -> None:
    """Change one field or one custom attribute of a random live contact; bump updatedAt."""
    row = _pick(state, "edit")
    if row is None:
        return
    rng = state.editor_rng
    choice = rng.randrange(4)
    stamp = now_iso()
    if choice == 3 and state.attribute_defs():
        defs = sorted(state.attribute_defs().values(), key=lambda d: d.name)
        definition = defs[rng.randrange(len(defs))]
        attrs = orjson.loads(row["custom_attributes"] or "{}")
        old = attrs.get(definition.name)
        new = _attribute_value(definition.type, rng.randrange(1000))
        attrs[definition.name] = new
        state.conn.execute(
            "UPDATE contacts SET custom_attributes = ?, updated_at = ? WHERE seq = ?",
            (dumps(attrs), stamp, row["seq"]),
        )
        _log(state, "edit", row["id"], f"customAttributes.{definition.name}", old, new)
        return
    column, api_name, pool = (
        ("first_name", "firstName", FIRST_NAMES),
        ("city", "city", CITIES),
        ("occupation", "occupation", OCCUPATIONS),
        ("first_name", "firstName", FIRST_NAMES),
    )[choice]
    old = row[column]
    new = pool[rng.randrange(len(pool))]
    if new == old:
        new = f"{new} {rng.randrange(10, 99)}"
    state.conn.execute(
        f"UPDATE contacts SET {column} = ?, updated_at = ? WHERE seq = ?",
        (new, stamp, row["seq"]),
    )
    _log(state, "edit", row["id"], api_name, old, new)


def _attribute_value(kind: str, n: int) -> Any:
    return {
        "number": n,
        "boolean": n % 2 == 0,
        "date": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "phone_number": f"+2126{n:08d}",
        "email": f"editor{n}@example.com",
        "url": f"https://example.com/{n}",
    }.get(kind, f"edited {n}")


def create_contact(state: SandboxState) -> None:
    """Create a contact at the drift position (start, end or random place in createdAt order)."""
    rng = state.editor_rng
    position = state.settings.faults.drift_position
    created_at = None
    if position != "end":
        anchor = _pick(state, "create")
        if anchor is not None:
            created_at = anchor["created_at"]
            if position == "start":
                created_at = _minus_one_ms(created_at)
    n = rng.randrange(10**8)
    body = {
        "primaryPhone": f"+2127{n:08d}",
        "firstName": FIRST_NAMES[n % len(FIRST_NAMES)],
        "lastName": "Drift",
        "channels": ["phone"],
    }
    contact_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))  # repeatable by seed
    row = cdb.insert(state, body, {}, created_at=created_at, contact_id=contact_id)
    _log(state, "create", row["id"], None, None, row["created_at"])


def delete_contact(state: SandboxState) -> None:
    """Soft-delete the live contact at the drift position."""
    row = _pick(state, "delete")
    if row is None:
        return
    stamp = cdb.soft_delete(state, row["id"])
    _log(state, "delete", row["id"], None, None, stamp)


def _minus_one_ms(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) - timedelta(milliseconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
