"""`gomoq reconcile` on the in-process sandbox: classification by a source key inside a scope,
the gone contacts flagged / deleted / removed per `--deleted`, the `--max-deletes` guard, and a
second reconcile after apply that plans nothing."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gomoq.api.testing import in_process
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.services import plan as svc
from gomoq.services.importing import ImportOptions
from gomoq.services.reconciling import ReconcileOptions, build_reconcile
from gomoq.services.sync import sync

N = 20


@pytest.fixture
def crm(
    sandbox_app: Any, sandbox_key: str, tmp_path: Path
) -> Iterator[tuple[Profile, list[str], Path]]:
    """20 contacts carrying a crm_id (the scope), and a source file that knows 18 of them
    (two with a new city), plus two new people."""
    conn: sqlite3.Connection = sandbox_app.sandbox.conn
    org = conn.execute("SELECT organization_id FROM contacts LIMIT 1").fetchone()[0]
    conn.execute(
        "INSERT INTO custom_attributes (id, organization_id, name, display_name, type, created_at,"
        " updated_at) VALUES (?, ?, 'crm_id', 'crm_id', 'text', '2024-01-01T00:00:00.000Z',"
        " '2024-01-01T00:00:00.000Z')",
        (str(uuid.uuid4()), org),
    )
    ids = [
        str(r[0])
        for r in conn.execute(
            "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY seq LIMIT ?", (N,)
        )
    ]
    lines = ["phone,crm_id,city"]
    for i, cid in enumerate(ids):
        phone = f"+2126880{i:05d}"
        attrs = json.loads(
            conn.execute("SELECT custom_attributes FROM contacts WHERE id = ?", (cid,)).fetchone()[
                0
            ]
        )
        attrs["crm_id"] = f"C{i}"
        conn.execute(
            "UPDATE contacts SET primary_phone = ?, city = 'Rabat', custom_attributes = ?"
            " WHERE id = ?",
            (phone, json.dumps(attrs), cid),
        )
        if i < 18:  # C18 and C19 are gone from the source
            lines.append(f"0{phone[4:]},C{i},{'Fès' if i < 2 else 'Rabat'}")
    lines += ["0688099998,N1,Agadir", "0688099999,N2,Agadir"]
    source = tmp_path / "crm.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with in_process(sandbox_app):
        profile = Profile("rec", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
        sync(profile)
        yield profile, ids, source


OPTS = ImportOptions(maps=("crm_id=attr:crm_id",))


def test_key_scope_flag_then_nothing_left(crm: tuple[Profile, list[str], Path]) -> None:
    profile, ids, source = crm
    rec = ReconcileOptions(
        key="attr:crm_id", scope="attr:crm_id", deleted="flag:is_active=false", max_deletes="2"
    )
    result = build_reconcile(profile, source, OPTS, rec)
    counts = result.extra["reconcile"]["counts"]
    assert counts == {
        "new": 2,
        "changed": 2,
        "unchanged": 16,
        "ambiguous": 0,
        "gone": 2,
        "gone_acted": 2,
        "scope": N,
    }
    kinds = [a.kind for a in result.plan.actions]
    assert kinds == ["create_contacts", "update_contacts", "flag"]
    flag = result.plan.actions[-1]
    assert sorted(flag.contact_ids()) == sorted(ids[18:])
    assert flag.value is False  # type: ignore[union-attr]
    applied = svc.apply(profile, result.plan)
    assert applied.ok, applied.messages
    again = build_reconcile(profile, source, OPTS, rec)
    assert again.plan.actions == []
    assert again.extra["reconcile"]["counts"]["gone"] == 2  # still gone, already flagged


def test_the_guard_refuses_a_truncated_export(crm: tuple[Profile, list[str], Path]) -> None:
    profile, _ids, source = crm
    rec = ReconcileOptions(key="attr:crm_id", scope="attr:crm_id", deleted="soft-delete")
    # default guard: 5 % of a scope of 20 is 1 contact; 2 are gone
    with pytest.raises(UsageError, match=r"would delete 2 of the 20 contacts in scope.*\(1\)"):
        build_reconcile(profile, source, OPTS, rec)
    ok = ReconcileOptions(
        key="attr:crm_id", scope="attr:crm_id", deleted="soft-delete", max_deletes="10%"
    )
    result = build_reconcile(profile, source, OPTS, ok)
    assert result.plan.actions[-1].kind == "delete"
    applied = svc.apply(profile, result.plan)
    assert applied.ok, applied.messages
    assert build_reconcile(profile, source, OPTS, ok).plan.actions == []


def test_by_phone_with_scope_all_sees_the_whole_organisation_gone(
    crm: tuple[Profile, list[str], Path],
) -> None:
    profile, _ids, source = crm
    # the file knows 18 of ~300 contacts: deleting the rest is what the guard is for
    with pytest.raises(UsageError, match="Refused: the plan would remove from audiences"):
        build_reconcile(profile, source, OPTS, ReconcileOptions(deleted="remove-from-audiences"))
    result = build_reconcile(profile, source, OPTS, ReconcileOptions())
    counts = result.extra["reconcile"]["counts"]
    assert counts["new"] == 2 and counts["changed"] == 2 and counts["gone"] == counts["scope"] - 18


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "crm"}, "--key must be phone or attr:SLUG"),
        ({"scope": "some"}, "--scope must be all or attr:SLUG"),
        ({"deleted": "purge"}, "--deleted must be one of"),
        ({"deleted": "flag:is_active"}, "--deleted must be one of"),
        ({"max_deletes": "lots"}, "--max-deletes takes a count"),
    ],
)
def test_bad_options(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ReconcileOptions(**kwargs)
