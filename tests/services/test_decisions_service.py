"""Decisions listed, taken back (to the one they replaced) and released by an undo."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gomoq.api.testing import in_process
from gomoq.cache.store import Snapshot
from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan.journal import connect
from gomoq.services import decisions as svc_dec
from gomoq.services import plan as svc
from gomoq.services.sync import sync
from gomoq.state import decisions


def test_take_back_restores_the_decision_it_replaced() -> None:
    conn = connect()
    decisions.record(conn, "p", "c1", "skip", data_fingerprint="a", contact_ids=["x", "y"])
    decisions.record(conn, "p", "c1", "merge", data_fingerprint="b", payload={"survivor": "x"})
    assert svc_dec.take_back("p", ["c1"]) == {"c1": "skip"}
    row = decisions.load(conn, "p").row(0, named=True)
    assert (row["decision"], row["data_fingerprint"], row["contact_ids"]) == (
        "skip",
        "a",
        ["x", "y"],
    )
    assert svc_dec.take_back("p", ["c1"]) == {"c1": None}
    assert decisions.load(conn, "p").height == 0
    with pytest.raises(UsageError, match="No decision on c1"):
        svc_dec.take_back("p", ["c1"])


def test_take_back_checks_every_id_before_changing_anything() -> None:
    conn = connect()
    decisions.record(conn, "p", "f1", "dismissed", data_fingerprint="a")
    with pytest.raises(UsageError, match="nope"):
        svc_dec.take_back("p", ["f1", "nope"])
    assert decisions.load(conn, "p")["decision"].to_list() == ["dismissed"]


def test_list_spells_values_as_json_and_resolves_prefixes() -> None:
    conn = connect()
    decisions.record(
        conn,
        "p",
        "abcdef123456",
        "set_attribute",
        data_fingerprint="a",
        payload={"attribute": "is_vip", "value": True},
        check="attributes",
        contact_ids=["c1"],
    )
    decisions.record(
        conn,
        "p",
        "abcdef999999",
        "set_attribute",
        data_fingerprint="a",
        payload={"attribute": "age", "value": None},
        contact_ids=["c2"],
    )
    rows = {r.finding_id: r for r in svc_dec.list_decisions("p")}
    assert rows["abcdef123456"].detail == "is_vip = true"
    assert rows["abcdef999999"].detail == "age = null"
    assert rows["abcdef123456"].status == "pending"
    assert svc_dec.resolve("p", ["abcdef12"]) == ["abcdef123456"]
    with pytest.raises(UsageError, match="matches 2 decisions"):
        svc_dec.resolve("p", ["abcdef"])
    with pytest.raises(UsageError, match="abc has no decision"):
        svc_dec.resolve("p", ["abc"])


@pytest.fixture
def synced(sandbox_app: Any, sandbox_key: str) -> Iterator[Profile]:
    with in_process(sandbox_app):
        profile = Profile("svc", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
        sync(profile)
        yield profile


def test_undo_of_deletions_reopens_their_decisions(synced: Profile) -> None:
    """The issue's repro: two contacts deleted by decision, applied, undone. The undo re-creates
    them under new ids; the delete decisions must not stay behind as dead plan rows."""
    ids = Snapshot.open(synced.name).read("contacts")["id"].to_list()
    conn = connect()
    for n, cid in enumerate(ids[10:12]):
        decisions.record(conn, "svc", f"d{n}", "delete", data_fingerprint="x", contact_ids=[cid])
    decisions.record(conn, "svc", "keep", "dismissed", data_fingerprint="x", contact_ids=[ids[10]])
    result = svc.apply(synced, svc.plan_from_decisions(synced))
    assert result.ok and result.done == 2, result.messages
    assert {r.status for r in svc_dec.list_decisions(synced) if r.decision == "delete"} == {
        "applied"
    }
    undone = svc.undo(synced, result.run_id)
    assert undone.ok, undone.messages
    assert svc.plan_from_decisions(synced).actions == []
    left = svc_dec.list_decisions(synced)
    assert [(r.finding_id, r.decision) for r in left] == [("keep", "dismissed")]
    assert any("findings are open again" in m for m in undone.messages)
