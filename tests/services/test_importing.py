"""`gomoq import` end to end on the in-process sandbox: a file with a new contact, a known
contact under another phone format, an unchanged one and an unreviewed duplicate becomes a
plan that defines the attribute first, creates once, updates only what differs, leaves the
duplicate alone; apply, re-import (nothing left to do), undo."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gomoq.api.testing import in_process
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.phones import reference_row
from gomoq.plan.import_steps import created_ids
from gomoq.plan.journal import Journal, connect
from gomoq.plan.model import CreateContactsAction, DefineAttributeAction, Plan, UpdateContactsAction
from gomoq.services import plan as svc
from gomoq.services.importing import ImportOptions, build_import
from gomoq.services.sync import sync


@pytest.fixture
def org(sandbox_app: Any, sandbox_key: str) -> Iterator[tuple[Profile, sqlite3.Connection]]:
    conn: sqlite3.Connection = sandbox_app.sandbox.conn
    rows = conn.execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY seq").fetchall()
    ids = [str(r[0]) for r in rows]
    # a known contact stored in national format, one unchanged, and an unreviewed duplicate
    conn.execute(
        "UPDATE contacts SET primary_phone = '0611223344', city = 'Rabat', first_name = 'Ali' "
        "WHERE id = ?",
        (ids[0],),
    )
    conn.execute(
        "UPDATE contacts SET primary_phone = '+212611223355', city = 'Fès' WHERE id = ?",
        (ids[1],),
    )
    conn.execute(
        "UPDATE contacts SET primary_phone = '0611223366' WHERE id IN (?, ?)", (ids[2], ids[3])
    )
    with in_process(sandbox_app):
        profile = Profile("imp", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
        sync(profile)
        yield profile, conn


def _row(conn: sqlite3.Connection, phone: str) -> list[dict[str, Any]]:
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row  # the sandbox's own connection: leave its factory alone
    cur.execute("SELECT * FROM contacts WHERE deleted_at IS NULL AND primary_phone = ?", (phone,))
    return [dict(r) for r in cur.fetchall()]


CRM = """\
phone,city,crm_id
+212 6 11 22 33 44,Meknès,A1
06 11 22 33 55,Fès,A2
0611223366,Tanger,A3
0699887766,Agadir,A4
"""


def test_import_apply_reimport_undo(
    org: tuple[Profile, sqlite3.Connection], tmp_path: Path
) -> None:
    profile, conn = org
    source = tmp_path / "crm.csv"
    source.write_text(CRM, encoding="utf-8")
    options = ImportOptions(maps=("crm_id=attr:crm_id",))
    result = build_import(profile, source, options)
    plan = result.plan
    assert result.matched.summary() == {"new": 1, "changed": 2, "unchanged": 0, "ambiguous": 1}
    assert [a.kind for a in plan.actions] == [
        "define_attribute",
        "create_contacts",
        "update_contacts",
    ]
    define, create, update = plan.actions
    assert isinstance(define, DefineAttributeAction) and define.type == "text"
    assert isinstance(create, CreateContactsAction)
    assert create.rows == (
        {"primaryPhone": "+212699887766", "city": "Agadir", "customAttributes": {"crm_id": "A4"}},
    )
    assert isinstance(update, UpdateContactsAction)
    sets = {r["phone"]: r["set"] for r in update.rows}
    # only what differs: Ali keeps his name, gets Meknès; the Fès contact only gets its crm_id
    assert sets["0611223344"] == {"city": "Meknès", "customAttributes": {"crm_id": "A1"}}
    assert sets["+212611223355"] == {"customAttributes": {"crm_id": "A2"}}
    assert result.matched.ambiguous["contacts"].list.len().to_list() == [2]
    assert any("matches 2 contacts" in line for line in result.lines())

    saved = tmp_path / "plan.json"
    plan.save(saved)
    applied = svc.apply(profile, Plan.load(saved))
    assert applied.ok and applied.done == 4, applied.messages
    [new] = _row(conn, "+212699887766")
    assert new["city"] == "Agadir" and json.loads(new["custom_attributes"]) == {"crm_id": "A4"}
    [ali] = _row(conn, "0611223344")  # no second contact under the E.164 form
    assert not _row(conn, "+212611223344")
    assert (ali["city"], ali["first_name"]) == ("Meknès", "Ali")
    assert json.loads(ali["custom_attributes"])["crm_id"] == "A1"
    for twin in _row(conn, "0611223366"):
        assert "crm_id" not in json.loads(twin["custom_attributes"])
        assert twin["city"] != "Tanger"
    assert created_ids(Journal(connect()), applied.run_id) == [new["id"]]

    # the cache was patched: the same file again has nothing left to do
    again = build_import(profile, source, options)
    assert again.matched.summary() == {"new": 0, "changed": 0, "unchanged": 3, "ambiguous": 1}
    assert [a.kind for a in again.plan.actions] == []

    undone = svc.undo(profile, applied.run_id)
    assert undone.ok, undone.messages
    assert not _row(conn, "+212699887766")
    [ali] = _row(conn, "0611223344")
    assert ali["city"] == "Rabat"
    assert "crm_id" not in json.loads(ali["custom_attributes"])


def test_a_column_that_does_not_fit_its_definition_stops_the_import(
    org: tuple[Profile, sqlite3.Connection], tmp_path: Path
) -> None:
    profile, _conn = org
    source = tmp_path / "crm.csv"
    source.write_text(CRM, encoding="utf-8")
    # loyalty_points is a number attribute in the sandbox organisation
    with pytest.raises(UsageError, match="Gomobile defines it as number, but 4 of its 4 values"):
        build_import(profile, source, ImportOptions(maps=("city=attr:loyalty_points",)))


def test_without_a_cache_the_import_says_so(
    sandbox_app: Any, sandbox_key: str, tmp_path: Path
) -> None:
    source = tmp_path / "crm.csv"
    source.write_text(CRM, encoding="utf-8")
    profile = Profile("nocache", "http://sandbox.test/api", sandbox_key)
    with pytest.raises(UsageError, match=r"No cache for profile nocache yet.*--sync"):
        build_import(profile, source, ImportOptions())


def test_phone_formats_in_the_fixture_are_what_the_test_means() -> None:
    assert reference_row("+212 6 11 22 33 44")["e164"] == reference_row("0611223344")["e164"]


def test_a_field_changed_since_the_plan_is_a_conflict(
    org: tuple[Profile, sqlite3.Connection], tmp_path: Path
) -> None:
    profile, conn = org
    source = tmp_path / "crm.csv"
    source.write_text(CRM, encoding="utf-8")
    plan = build_import(profile, source, ImportOptions()).plan
    [ali] = _row(conn, "0611223344")
    conn.execute("UPDATE contacts SET city = 'Salé' WHERE id = ?", (ali["id"],))
    sync(profile)  # the cache now holds what someone changed after the review
    result = svc.apply(profile, plan)
    assert result.conflicts == 1
    assert any(ali["id"] in m and "changed since review" in m for m in result.messages)
    [ali] = _row(conn, "0611223344")
    assert ali["city"] == "Salé"  # not overwritten
