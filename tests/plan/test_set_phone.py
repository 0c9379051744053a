"""`set_phone`: a stored phone rewritten to E.164, undone to the exact stored string, and a phone
another live contact already holds reported as duplicates (not a failure)."""

from __future__ import annotations

import pytest

from gomoq.config import Profile
from gomoq.plan.model import Plan, PlanError, SetPhoneAction
from gomoq.services import plan as svc

from .conftest import Server, fingerprints


def test_rewrite_then_undo_puts_the_stored_string_back(profile: Profile, server: Server) -> None:
    a, b = server.live_ids()[30:32]
    server.edit(a, primary_phone="06 12 34 56 78")
    server.edit(b, primary_phone="(0661) 22-33-44")
    plan = Plan(
        profile="test",
        actions=[
            SetPhoneAction("p1", (a, b), {a: "+212612345678", b: "+212661223344"}),
        ],
        fingerprints=fingerprints(server.app, [a, b]),
    )
    before = {c: server.contact(c) for c in (a, b)}
    result = svc.apply(profile, plan)
    assert result.ok and (result.done, result.conflicts, result.duplicates) == (2, 0, 0)
    assert server.contact(a)["primary_phone"] == "+212612345678"
    assert server.contact(b)["primary_phone"] == "+212661223344"
    # nothing but the phone was sent
    for cid in (a, b):
        after = {k: v for k, v in server.contact(cid).items() if k not in ("primary_phone",)}
        want = {k: v for k, v in before[cid].items() if k not in ("primary_phone",)}
        assert {k: v for k, v in after.items() if k != "updated_at"} == {
            k: v for k, v in want.items() if k != "updated_at"
        }
    undone = svc.undo(profile, result.run_id)
    assert undone.ok, undone.messages
    assert server.contact(a)["primary_phone"] == "06 12 34 56 78"
    assert server.contact(b)["primary_phone"] == "(0661) 22-33-44"


def test_phone_held_by_another_contact_is_reported_as_duplicates(
    profile: Profile, server: Server
) -> None:
    a, b = server.live_ids()[40:42]
    server.edit(a, primary_phone="0611223344")
    server.edit(b, primary_phone="+212611223344")
    plan = Plan(profile="test", actions=[SetPhoneAction("p1", (a,), {a: "+212611223344"})])
    result = svc.apply(profile, plan)
    # not a failure, not a conflict: the run is done and says the two are duplicates
    assert result.ok and result.state == "done"
    assert (result.done, result.conflicts, result.failed, result.duplicates) == (1, 0, 0, 1)
    assert server.contact(a)["primary_phone"] == "0611223344"
    assert any(b in m and "duplicates" in m for m in result.messages), result.messages
    assert "kept its phone" in result.headline()
    # undo has nothing to put back for it
    assert svc.undo(profile, result.run_id).ok
    assert server.contact(a)["primary_phone"] == "0611223344"


def test_already_in_e164_sends_nothing(profile: Profile, server: Server) -> None:
    a = server.live_ids()[50]
    server.edit(a, primary_phone="+212612000111")
    plan = Plan(profile="test", actions=[SetPhoneAction("p1", (a,), {a: "+212612000111"})])
    result = svc.apply(profile, plan)
    assert result.ok and result.done == 1
    assert server.contact(a)["primary_phone"] == "+212612000111"


@pytest.mark.parametrize(
    "phones",
    [{}, {"x": "+212612345678"}, {"c1": ""}, {"c1": 5}],
)
def test_set_phone_needs_one_phone_per_contact(phones: dict[str, object]) -> None:
    data = {
        "version": 1,
        "profile": "p",
        "actions": [{"kind": "set_phone", "id": "p1", "contacts": ["c1"], "phones": phones}],
    }
    with pytest.raises(PlanError, match="set_phone p1"):
        Plan.from_dict(data)


def test_set_phone_round_trips_through_json() -> None:
    plan = Plan(profile="p", actions=[SetPhoneAction("p1", ("c1",), {"c1": "+212612345678"})])
    again = Plan.from_json(plan.to_json())
    assert again.actions == plan.actions
