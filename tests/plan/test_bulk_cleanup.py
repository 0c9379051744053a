"""Bulk upsert: a row that created a contact (its phone changed since review) is cleaned up, and
the operator is told what really happened to that contact (issue 12, item 7)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from gomoq.api import ApiError, UpsertResult
from gomoq.plan.bulk import _send_batch
from gomoq.plan.journal import StepRow
from gomoq.plan.own_writes import OwnWrites

PHONE = "+212600000001"


class FakeClient:
    """Upsert lands the row on a contact it creates; deleting that contact may fail."""

    def __init__(self, *, delete_fails: bool) -> None:
        self.delete_fails = delete_fails
        self.deleted: list[str] = []

    async def upsert_contacts(self, rows: list[dict[str, Any]]) -> UpsertResult:
        created = {"id": "new-1", "primaryPhone": rows[0]["primaryPhone"]}
        return UpsertResult(created=1, updated=0, errors=[], raw={"data": [created]})

    async def delete_contact(self, contact_id: str) -> dict[str, Any]:
        if self.delete_fails:
            raise ApiError("the server failed (500)", status=500)
        self.deleted.append(contact_id)
        return {}


class FakeJournal:
    def mark_step(self, *_args: Any, **_kwargs: Any) -> None: ...
    def set_afters(self, *_args: Any) -> None: ...
    def add_steps(self, *_args: Any) -> None: ...

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield


@dataclass
class FakeEngine:
    client: Any
    journal: Any = field(default_factory=FakeJournal)
    run_id: str = "run"
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    attributes_update: str = "merge"
    cache_lookup: Any = None
    shared_phones: Mapping[str, Sequence[str]] | None = None
    own: OwnWrites = field(default_factory=OwnWrites)
    finished: list[tuple[list[int], str, str | None]] = field(default_factory=list)

    def finish_units(self, seqs: Sequence[int], state: str, message: str | None = None) -> None:
        if seqs:
            self.finished.append((list(seqs), state, message))

    def transport_failed(self, error: ApiError) -> None: ...


def _step() -> StepRow:
    row = {"primaryPhone": PHONE, "customAttributes": {"dq_flag": "x"}}
    items = [{"seq": 7, "contact_id": "c1", "row": row}]
    return StepRow(
        seq=1, action_seq=None, kind="upsert", payload={"rows": items}, state="pending", result=None
    )


@pytest.mark.parametrize("delete_fails", [False, True])
async def test_a_contact_created_by_mistake_is_reported_as_it_is(delete_fails: bool) -> None:
    engine = FakeEngine(FakeClient(delete_fails=delete_fails))
    await _send_batch(engine, _step())  # type: ignore[arg-type]
    [(seqs, state, message)] = engine.finished
    assert (seqs, state) == ([7], "conflict")
    assert message is not None and message.startswith("contact c1: its phone changed since review")
    if delete_fails:
        assert "new-1, which could not be removed" in message
        assert "removed)" not in message
    else:
        assert engine.client.deleted == ["new-1"]
        assert message.endswith("(the upsert created a contact, removed)")
