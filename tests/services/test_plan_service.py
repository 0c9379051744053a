"""Plan services over a synced cache: bulk writes read before-images from the cache, the cache is
patched after apply and undo, and plans come from decisions and from auto rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from gomoq.api.testing import in_process
from gomoq.cache.store import Snapshot
from gomoq.config import Profile
from gomoq.plan.journal import Journal, connect
from gomoq.plan.model import DeleteAction, FlagAction, MergeAction, Plan
from gomoq.services import plan as svc
from gomoq.services.sync import sync
from gomoq.state import decisions


@pytest.fixture
def synced(sandbox_app: Any, sandbox_key: str) -> Iterator[Profile]:
    with in_process(sandbox_app):
        profile = Profile("svc", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
        sync(profile)
        yield profile


def _contact(profile: Profile, cid: str) -> dict[str, Any] | None:
    frame = Snapshot.open(profile.name).read("contacts").filter(pl.col("id") == cid)
    return frame.to_dicts()[0] if frame.height else None


def test_cache_is_used_and_patched(synced: Profile) -> None:
    ids = Snapshot.open(synced.name).read("contacts")["id"].to_list()
    flagged = ids[:50]
    plan = Plan(
        "svc", [FlagAction("f", tuple(flagged), value="svc"), DeleteAction("d", (ids[60],))]
    )
    result = svc.apply(synced, plan)
    assert result.ok and result.done == 51, result.messages
    # 50 flags from cached before-images: defs list + def create + 1 upsert, no GET per contact
    assert result.requests < 20
    row = _contact(synced, flagged[0])
    assert row is not None and '"dq_flag":"svc"' in row["custom_attributes"]
    assert _contact(synced, ids[60]) is None
    attrs = Snapshot.open(synced.name).read("attributes")
    assert attrs.filter((pl.col("name") == "dq_flag") & (pl.col("value") == "svc")).height == 50
    # the definition the apply created is in the cache too (no "undefined dq_flag" until a sync)
    defs = Snapshot.open(synced.name).read("attribute_defs")
    assert defs.filter(pl.col("name") == "dq_flag")["type"].to_list() == ["text"]

    undone = svc.undo(synced, result.run_id)
    assert undone.ok, undone.messages
    row = _contact(synced, flagged[0])
    assert row is not None and "dq_flag" not in row["custom_attributes"]
    assert undone.requests < 40
    history = svc.history(synced)
    assert [h.kind for h in history] == ["undo", "apply"] and history[0].undo_of == result.run_id
    with pytest.raises(Exception, match="already undone"):
        svc.undo(synced, result.run_id)


def test_plan_from_decisions(synced: Profile) -> None:
    ids = Snapshot.open(synced.name).read("contacts")["id"].to_list()
    conn = connect()
    decisions.record(
        conn,
        "svc",
        "f1",
        "merge",
        data_fingerprint="x",
        payload={"survivor": ids[1], "fields": {"firstName": "Kept"}},
        contact_ids=[ids[0], ids[1]],
    )
    decisions.record(
        conn,
        "svc",
        "f2",
        "flag",
        data_fingerprint="x",
        payload={"attribute": "dq_flag", "value": "bad"},
        contact_ids=[ids[2]],
    )
    decisions.record(
        conn,
        "svc",
        "f3",
        "flag",
        data_fingerprint="x",
        payload={"attribute": "dq_flag", "value": "bad"},
        contact_ids=[ids[3]],
    )
    decisions.record(conn, "svc", "f4", "dismissed", data_fingerprint="x", contact_ids=[ids[4]])
    plan = svc.plan_from_decisions(synced)
    kinds = sorted(a.kind for a in plan.actions)
    assert kinds == ["flag", "merge"]
    merge = next(a for a in plan.actions if isinstance(a, MergeAction))
    assert merge.survivor == ids[1] and merge.losers == (ids[0],)
    flag = next(a for a in plan.actions if isinstance(a, FlagAction))
    assert flag.contacts == (ids[2], ids[3])
    assert set(plan.fingerprints) == set(ids[:4])
    rows = svc.describe(plan)
    assert any(r.field == "firstName" and r.after == "Kept" for r in rows)


def test_plan_auto(synced: Profile) -> None:
    plan = svc.plan_auto(
        synced, ["merge-exact:confidence>=0.5:survivor=most-recent", "flag-invalid-phones"]
    )
    merges = [a for a in plan.actions if isinstance(a, MergeAction)]
    flags = [a for a in plan.actions if isinstance(a, FlagAction)]
    assert merges and flags  # the generated org plants both problems
    seen: set[str] = set()
    for m in merges:  # no contact is in two merges
        assert not seen & set(m.contact_ids())
        seen |= set(m.contact_ids())
    assert all(c in plan.fingerprints for c in seen)
    with pytest.raises(Exception, match="Unknown rule"):
        svc.plan_auto(synced, ["merge-everything"])


def test_flag_on_a_shared_phone_goes_by_id(sandbox_app: Any, sandbox_key: str) -> None:
    """Upsert would hit the oldest contact holding the phone: such contacts go one by one."""
    conn = sandbox_app.sandbox.conn
    rows = conn.execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY seq").fetchall()
    older, newer, other = (str(r[0]) for r in rows[:3])
    conn.execute(
        "UPDATE contacts SET primary_phone = '0600000001' WHERE id IN (?, ?)", (older, newer)
    )
    with in_process(sandbox_app):
        profile = Profile("svc", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
        sync(profile)
        result = svc.apply(profile, Plan("svc", [FlagAction("f", (newer, other), value="one")]))
    assert result.ok and result.done == 2, result.messages

    def attrs(cid: str) -> str:
        return str(
            conn.execute("SELECT custom_attributes FROM contacts WHERE id = ?", (cid,)).fetchone()[
                0
            ]
        )

    assert '"dq_flag":"one"' in attrs(newer).replace(" ", "")
    assert '"dq_flag":"one"' in attrs(other).replace(" ", "")
    assert "dq_flag" not in attrs(older)


def test_flag_every_holder_of_a_shared_phone(sandbox_app: Any, sandbox_key: str) -> None:
    """All holders flagged alike: one upsert row lands on one of them, the other goes by id."""
    conn = sandbox_app.sandbox.conn
    rows = conn.execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY seq").fetchall()
    a, b = (str(r[0]) for r in rows[5:7])
    conn.execute("UPDATE contacts SET primary_phone = '0600000002' WHERE id IN (?, ?)", (a, b))
    with in_process(sandbox_app):
        profile = Profile("svc", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
        sync(profile)
        result = svc.apply(profile, Plan("svc", [FlagAction("f", (b, a), value="both")]))
    assert result.ok and result.done == 2, result.messages
    for cid in (a, b):
        text = str(
            conn.execute("SELECT custom_attributes FROM contacts WHERE id = ?", (cid,)).fetchone()[
                0
            ]
        )
        assert '"dq_flag":"both"' in text.replace(" ", "")
    kinds = [s.kind for s in Journal(connect()).steps(result.run_id)]
    assert kinds.count("upsert") == 1 and kinds.count("update") == 1


def test_applied_decisions_leave_the_next_plan_and_undo_reopens_them(synced: Profile) -> None:
    """After an apply the same decisions must not be proposed again; its undo takes them back
    (their findings are open again), so no plan re-proposes what the operator just undid."""
    ids = Snapshot.open(synced.name).read("contacts")["id"].to_list()
    conn = connect()
    decisions.record(
        conn,
        "svc",
        "m1",
        "merge",
        data_fingerprint="x",
        payload={"survivor": ids[5]},
        contact_ids=[ids[5], ids[6]],
    )
    decisions.record(
        conn,
        "svc",
        "f1",
        "flag",
        data_fingerprint="x",
        payload={"attribute": "dq_flag", "value": "bad"},
        contact_ids=[ids[7]],
    )
    plan = svc.plan_from_decisions(synced)
    assert sorted(a.kind for a in plan.actions) == ["flag", "merge"]
    result = svc.apply(synced, plan)
    assert result.ok, result.messages

    assert svc.plan_from_decisions(synced).actions == []

    undone = svc.undo(synced, result.run_id)
    assert undone.ok
    assert any("2 decision(s) behind run" in m for m in undone.messages), undone.messages
    assert svc.plan_from_decisions(synced).actions == []
    assert decisions.load(connect(), "svc").height == 0


def test_normalise_phones_rule(synced: Profile) -> None:
    from gomoq.phones import reference_row
    from gomoq.plan.model import SetPhoneAction

    notes: list[str] = []
    plan = svc.plan_auto(synced, ["normalise-phones"], notes=notes)
    (action,) = plan.actions
    assert isinstance(action, SetPhoneAction)
    contacts = Snapshot.open(synced.name).read("contacts")
    stored = dict(zip(contacts["id"].to_list(), contacts["primary_phone"].to_list(), strict=True))
    read = {cid: reference_row(p, "MA") for cid, p in stored.items() if p}
    e164 = {cid: str(r["e164"]) for cid, r in read.items() if r["valid"]}
    holders: dict[str, int] = {}
    for value in e164.values():
        if value:
            holders[value] = holders.get(value, 0) + 1
    for cid, phone in action.phones.items():
        assert phone == e164[cid] != stored[cid]
        assert holders[phone] == 1  # a number another contact holds is left to merging
    left_out = [c for c, p in e164.items() if p != stored[c] and holders[p] > 1]
    assert left_out and notes and str(len(left_out)) in notes[0]
    assert set(action.contacts) <= set(plan.fingerprints)
