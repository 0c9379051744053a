"""The steps of an `audience_sync` unit: the live difference only, in batches of 1,000, a
missing audience created (or one of that name adopted), a live audience refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gomoq.api.models import Page, PageMeta
from gomoq.plan.audience_steps import MEMBER_BATCH, prepare_audience_sync
from gomoq.plan.conflict import UnitConflict
from gomoq.plan.journal import ActionRow


class FakeClient:
    def __init__(self, audiences: list[dict[str, Any]]) -> None:
        self.audiences = audiences

    async def list_audiences(self, page: int, limit: int = 100) -> Page:
        meta = PageMeta(page, limit, len(self.audiences), 1, False, page > 1)
        return Page(self.audiences if page == 1 else [], meta)


class FakeEngine:
    def __init__(self, audiences: list[dict[str, Any]], members: dict[str, list[str]]) -> None:
        self.client = FakeClient(audiences)
        self._members = members

    async def memberships(self) -> dict[str, list[str]]:
        return self._members


def unit(**data: Any) -> ActionRow:
    return ActionRow(1, "a1", "audience_sync", None, {"name": "Segment", **data}, "pending", None)


def prepare(engine: FakeEngine, row: ActionRow) -> tuple[Any, list[Any], list[str]]:
    return asyncio.run(prepare_audience_sync(engine, row))  # type: ignore[arg-type]


def test_only_the_live_difference_in_batches_of_1000() -> None:
    adds = [f"c{i}" for i in range(2500)]
    engine = FakeEngine([], {"c0": ["A"], "c1": ["A"], "old": ["A"], "kept": ["A"]})
    _, steps, notes = prepare(engine, unit(audience="A", add=adds, remove=["old", "gone"]))
    assert [(k, len(p["contact_ids"])) for k, p in steps] == [
        ("add_members", MEMBER_BATCH),
        ("add_members", MEMBER_BATCH),
        ("add_members", 498),  # c0 and c1 are members already
        ("remove_members", 1),  # "gone" is not a member: nothing to send
    ]
    assert all(p["audience_id"] == "A" for _, p in steps)
    assert notes == ["3 membership change(s) already true on the server; not sent"]


def test_a_missing_audience_is_created_first_or_adopted_by_name() -> None:
    _, steps, _ = prepare(FakeEngine([], {}), unit(add=["c1", "c2"]))
    assert steps[0] == (
        "create_audience",
        {"ref": "new-audience:a1", "name": "Segment", "description": None},
    )
    assert steps[1] == (
        "add_members",
        {"audience_id": "new-audience:a1", "contact_ids": ["c1", "c2"]},
    )
    existing = FakeEngine([{"id": "X", "name": "Segment", "type": "static"}], {"c1": ["X"]})
    _, steps, notes = prepare(existing, unit(add=["c1", "c2"]))
    assert steps == [("add_members", {"audience_id": "X", "contact_ids": ["c2"]})]
    assert "already existed" in notes[0]
    live = FakeEngine([{"id": "L", "name": "Segment", "type": "live"}], {})
    with pytest.raises(UnitConflict, match="live audience"):
        prepare(live, unit(add=["c1"]))
