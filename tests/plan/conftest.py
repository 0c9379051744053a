"""Fixtures for plan/apply/undo tests: a profile routed in-process to the sandbox, and helpers
that read the sandbox's database directly (the ground truth of what the server holds)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gomoq.api.testing import in_process
from gomoq.config import Profile
from gomoq.sandbox.app import SandboxApp


@pytest.fixture
def profile(sandbox_app: SandboxApp, sandbox_key: str) -> Iterator[Profile]:
    """A profile whose clients talk to `sandbox_app` in-process."""
    with in_process(sandbox_app):
        yield Profile(
            name="test", base_url="http://sandbox.test/api", api_key=sandbox_key, rate_limit=1000.0
        )


class Server:
    """Read-only views of the sandbox database."""

    def __init__(self, app: SandboxApp | None, conn: sqlite3.Connection | None = None) -> None:
        self.app: SandboxApp = app  # type: ignore[assignment]
        self.conn: sqlite3.Connection = conn if conn is not None else app.sandbox.conn  # type: ignore[union-attr]
        self.conn.row_factory = sqlite3.Row

    @classmethod
    def from_db(cls, path: Path) -> Server:
        """Read a sandbox database file directly (a server process may be writing it)."""
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        return cls(None, conn)

    def contact(self, cid: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT * FROM contacts WHERE id = ?", (cid,)).fetchone()
        assert row is not None, cid
        out = dict(row)
        out["custom_attributes"] = json.loads(out["custom_attributes"])
        out["channels"] = json.loads(out["channels"])
        return out

    def live_ids(self, n: int | None = None, *, restorable: bool = False) -> list[str]:
        """Live contacts in creation order; `restorable`: only those whose every attribute
        value the server accepts today (a re-created contact can get exactly these back)."""
        from gomoq.api.contract import validate_value

        types = {
            str(r[0]): str(r[1])
            for r in self.conn.execute(
                "SELECT name, type FROM custom_attributes WHERE deleted_at IS NULL"
            )
        }
        rows = self.conn.execute(
            "SELECT id, custom_attributes FROM contacts WHERE deleted_at IS NULL ORDER BY seq"
        ).fetchall()
        ids = []
        for cid, attrs in rows:
            values = json.loads(attrs or "{}")
            if restorable and any(
                k not in types or validate_value(types[k], v) is not None
                for k, v in values.items()
                if v is not None
            ):
                continue
            ids.append(str(cid))
        return ids if n is None else ids[:n]

    def memberships(self, cid: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT m.audience_id FROM audience_members m JOIN audiences a ON a.id = m.audience_id"
            " WHERE m.contact_id = ? AND m.status = 'active' AND a.type = 'static'",
            (cid,),
        ).fetchall()
        return {str(r[0]) for r in rows}

    def static_audiences(self) -> list[str]:
        rows = self.conn.execute("SELECT id FROM audiences WHERE type = 'static' ORDER BY id")
        return [str(r[0]) for r in rows]

    def state(self) -> list[str]:
        """Every live contact's data and memberships (ids and timestamps aside), sorted."""
        out = []
        for row in self.conn.execute("SELECT * FROM contacts WHERE deleted_at IS NULL"):
            d = dict(row)
            data = {
                k: v
                for k, v in d.items()
                if k not in ("seq", "id", "updated_at", "deleted_at", "created_at")
            }
            data["custom_attributes"] = json.loads(d["custom_attributes"])
            # static audiences only: live ones are the server's to recompute from their rules
            data["memberships"] = sorted(
                r[0]
                for r in self.conn.execute(
                    "SELECT m.audience_id FROM audience_members m JOIN audiences a"
                    " ON a.id = m.audience_id WHERE m.contact_id = ? AND m.status = 'active'"
                    " AND a.type = 'static'",
                    (d["id"],),
                )
            )
            out.append(json.dumps(data, sort_keys=True))
        return sorted(out)

    def add_member(self, audience: str, cid: str) -> None:
        self.conn.execute(
            "INSERT INTO audience_members (audience_id, contact_id, status, joined_at)"
            " VALUES (?, ?, 'active', '2024-01-01T00:00:00.000Z')"
            " ON CONFLICT(audience_id, contact_id) DO UPDATE SET status = 'active'",
            (audience, cid),
        )

    def edit(self, cid: str, **columns: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in columns)
        self.conn.execute(f"UPDATE contacts SET {sets} WHERE id = ?", (*columns.values(), cid))


@pytest.fixture
def server(sandbox_app: SandboxApp) -> Server:
    """The sandbox's database, read directly."""
    return Server(sandbox_app)


def api_contact(app: SandboxApp, cid: str) -> dict[str, Any]:
    """The contact as the API shows it (what an operator reviewed)."""
    from gomoq.sandbox import contacts_db as cdb

    row = cdb.fetch(app.sandbox, cid, include_deleted=False)
    assert row is not None
    return cdb.contact_json(app.sandbox, row, with_attributes=True)


def fingerprints(app: SandboxApp, ids: list[str]) -> dict[str, str]:
    """Plan fingerprints of the contacts as they are now."""
    from gomoq.plan.fingerprint import contact_fingerprint

    return {cid: contact_fingerprint(api_contact(app, cid)) for cid in ids}
