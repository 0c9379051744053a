"""The journal's tables and state changes: what a resume relies on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gomoq.plan.journal import Journal, ensure_schema


def _journal(tmp_path: Path) -> Journal:
    return Journal(sqlite3.connect(tmp_path / "state.sqlite3", isolation_level=None))


def test_schema_is_idempotent(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    ensure_schema(j.conn)
    ensure_schema(j.conn)
    names = {r[0] for r in j.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "journal_runs",
        "journal_actions",
        "journal_steps",
        "journal_images",
        "journal_idmap",
    } <= names


def test_step_and_action_states(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    run = j.new_run("p", "apply", {"actions": []}, plan_path="plan.json")
    j.add_actions(run, [("m1", "merge", "s", {"survivor": "s"}), ("d1", "delete", "x", {})])
    seqs = j.add_steps(run, 0, [("update", {"contact_id": "s"}), ("delete", {"contact_id": "l"})])
    assert seqs == [0, 1]
    assert j.add_steps(run, None, [("upsert", {"rows": []})]) == [2]
    j.mark_step(run, 0, "pending")
    assert [s.state for s in j.steps(run, 0)] == ["pending", "planned"]
    j.mark_step(run, 0, "done", result={"id": "s"})
    assert j.steps(run, 0)[0].result == {"id": "s"}
    assert [s.kind for s in j.steps(run, shared=True)] == ["upsert"]
    assert j.units_with_steps(run) == {0}
    j.set_action_state(run, [0, 1], "done")
    assert j.counts(run) == {"done": 2}


def test_images_first_wins_and_after(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    run = j.new_run("p", "apply", {})
    j.save_image(run, "c", {"firstName": "before"})
    j.save_images(run, {"c": {"firstName": "later"}, "d": {"firstName": "d"}})
    j.set_after(run, "c", {"firstName": "after"})
    assert j.images(run)["c"] == ({"firstName": "before"}, {"firstName": "after"})
    assert j.image(run, "d") == {"firstName": "d"}
    j.map_id(run, "old", "new")
    assert j.id_map(run) == {"old": "new"}


def test_transaction_rolls_back(tmp_path: Path) -> None:
    j = _journal(tmp_path)
    run = j.new_run("p", "apply", {})
    with pytest.raises(RuntimeError), j.transaction():
        j.add_steps(run, 0, [("delete", {"contact_id": "x"})])
        raise RuntimeError("killed")
    assert j.steps(run) == []
    assert j.runs("p")[0]["state"] == "running"
