"""Plans that never fight themselves (issue 14, item 6): every `--auto` rule in one plan, on a
freshly generated sandbox organisation, applies with no conflict; a genuine concurrent edit is
still a conflict; undo puts every contact back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gomoq.api.testing import in_process
from gomoq.config import Profile
from gomoq.services import plan as svc
from gomoq.services.sync import sync
from tests.plan.conftest import Server

EVERY_RULE = [
    "merge-exact:confidence>=0.9:survivor=most-complete",
    "normalise-phones",
    "flag-invalid-phones",
    "flag-repeated-failures",
    "flag-inactive",
    "remove-inactive-from-audiences",
    "delete-invalid-phones",
    "delete-inactive",
]


@pytest.fixture
def synced(sandbox_app: Any, sandbox_key: str) -> Iterator[Profile]:
    with in_process(sandbox_app):
        profile = Profile("together", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
        sync(profile)
        yield profile


@pytest.mark.slow  # ~25 s: 300 contacts through every rule, apply and undo
def test_every_rule_in_one_plan_applies_without_conflicts(
    synced: Profile, sandbox_app: Any
) -> None:
    server = Server(sandbox_app)
    before = server.state()
    plan = svc.plan_auto(synced, EVERY_RULE)
    kinds = {a.kind for a in plan.actions}
    assert {"merge", "set_phone", "flag", "delete", "remove_from_audiences"} <= kinds
    # the rules overlap: some contacts are in several actions (what used to conflict)
    seen: dict[str, int] = {}
    for action in plan.actions:
        for cid in set(action.contact_ids()):
            seen[cid] = seen.get(cid, 0) + 1
    assert sum(1 for n in seen.values() if n > 1) > 10
    result = svc.apply(synced, plan)
    assert (result.conflicts, result.failed, result.pending) == (0, 0, 0), result.messages
    assert result.ok and result.state == "done"
    undone = svc.undo(synced, result.run_id)
    assert undone.ok and undone.conflicts == 0, undone.messages
    assert server.state() == before


def test_a_concurrent_edit_is_still_a_conflict(synced: Profile, sandbox_app: Any) -> None:
    plan = svc.plan_auto(synced, EVERY_RULE)
    faults = sandbox_app.state.sandbox.settings.faults
    faults.editor_every_requests = 7
    faults.seed = 3
    result = svc.apply(synced, plan)
    faults.editor_every_requests = 0
    edited = {str(e["contactId"]) for e in sandbox_app.state.sandbox.editor_log}
    assert edited
    conflicted = [m for m in result.messages if "conflict" in m]
    assert result.conflicts > 0 and conflicted
    # every conflict names a contact someone else edited, none is the plan's own write
    for message in conflicted:
        assert any(cid in message for cid in edited), message
