"""Each action applied against the in-process sandbox, checked in the sandbox's own database."""

from __future__ import annotations

from gomoq.config import Profile
from gomoq.plan.model import (
    DeleteAction,
    FlagAction,
    MergeAction,
    Plan,
    RemoveFromAudiencesAction,
    SetAttributeAction,
)
from gomoq.services import plan as svc

from .conftest import Server


def test_flag_set_delete_remove(profile: Profile, server: Server) -> None:
    a, b, c, d, e = server.live_ids()[:5]
    audience = server.static_audiences()[0]
    server.add_member(audience, d)
    attrs_a = server.contact(a)["custom_attributes"]
    plan = Plan(
        profile="test",
        actions=[
            FlagAction("f1", (a, b), attribute="dq_flag", value="invalid_phone"),
            SetAttributeAction("s1", (c,), attribute="dq_flag", value="fixed"),
            DeleteAction("d1", (e,)),
            RemoveFromAudiencesAction("r1", (d,)),
        ],
    )
    result = svc.apply(profile, plan)
    assert result.ok, result.messages
    assert (result.done, result.conflicts, result.failed) == (5, 0, 0)
    assert server.contact(a)["custom_attributes"]["dq_flag"] == "invalid_phone"
    assert server.contact(b)["custom_attributes"]["dq_flag"] == "invalid_phone"
    assert server.contact(c)["custom_attributes"]["dq_flag"] == "fixed"
    assert server.contact(e)["deleted_at"] is not None
    assert audience not in server.memberships(d)
    # the flag went through upsert without touching other attributes
    after_a = dict(server.contact(a)["custom_attributes"])
    after_a.pop("dq_flag")
    assert after_a == attrs_a
    history = svc.history(profile)
    assert history[0].run_id == result.run_id and history[0].state == "done"


def test_merge_moves_memberships_and_deletes_losers(profile: Profile, server: Server) -> None:
    s, loser = server.live_ids()[10:12]
    audience = server.static_audiences()[0]
    server.add_member(audience, loser)
    server.edit(s, city=None)
    plan = Plan(
        profile="test", actions=[MergeAction("m1", s, (loser,), fields={"firstName": "Chosen"})]
    )
    result = svc.apply(profile, plan)
    assert result.ok, result.messages
    surv = server.contact(s)
    assert surv["first_name"] == "Chosen"
    assert surv["city"] == server.contact(loser)["city"]
    assert audience in server.memberships(s)
    assert server.contact(loser)["deleted_at"] is not None
    assert surv["primary_phone"].startswith("+")


def test_phone_ordering_merge(profile: Profile, server: Server) -> None:
    """The survivor's new E.164 phone is the loser's stored phone: no 409, nothing lost."""
    s, loser = server.live_ids()[20:22]
    server.edit(s, primary_phone="06 99 88 77 66")
    server.edit(loser, primary_phone="+212699887766")
    plan = Plan(profile="test", actions=[MergeAction("m1", s, (loser,))])
    result = svc.apply(profile, plan)
    assert result.ok, result.messages
    assert server.contact(s)["primary_phone"] == "+212699887766"
    assert server.contact(loser)["deleted_at"] is not None


def test_apply_then_undo_restores_everything(profile: Profile, server: Server) -> None:
    ids = server.live_ids()
    audience = server.static_audiences()[0]
    s, l1, l2, d, f1, f2, r = ids[30:37]
    server.edit(s, primary_phone="0611223344", city=None)
    server.edit(l1, primary_phone="+212611223344")
    for cid in (l1, l2, r):
        server.add_member(audience, cid)
    before = server.state()
    plan = Plan(
        profile="test",
        actions=[
            MergeAction("m1", s, (l1, l2), fields={"lastName": "Merged"}),
            DeleteAction("d1", (d,)),
            FlagAction(
                "f1", (f1, f2), attribute="is_active", value=False, attribute_type="boolean"
            ),
            RemoveFromAudiencesAction("r1", (r,)),
        ],
    )
    applied = svc.apply(profile, plan)
    assert applied.ok, applied.messages
    assert server.state() != before
    undone = svc.undo(profile, applied.run_id)
    assert undone.ok, undone.messages
    assert server.state() == before


def test_merge_keeps_phone_held_by_an_outside_contact(profile: Profile, server: Server) -> None:
    """The survivor's E.164 already belongs to a contact outside the merge: the merge is done,
    the survivor keeps its phone, and the operator is told (no 409 failure, nothing lost)."""
    s, loser, outsider = server.live_ids()[40:43]
    server.edit(s, primary_phone="0612121212")
    server.edit(outsider, primary_phone="+212612121212")
    plan = Plan(profile="test", actions=[MergeAction("m1", s, (loser,), fields={"city": "Fès"})])
    result = svc.apply(profile, plan)
    assert result.ok and result.done == 1, result.messages
    assert any("keeps its phone" in m for m in result.messages)
    assert server.contact(s)["primary_phone"] == "0612121212"
    assert server.contact(s)["city"] == "Fès"
    assert server.contact(loser)["deleted_at"] is not None


def test_undo_cannot_recreate_a_phone_held_by_another(profile: Profile, server: Server) -> None:
    """A deleted contact whose phone another live contact holds (a household number) cannot be
    re-created through the API (409): undo reports it as a conflict instead of failing forever."""
    gone, other = server.live_ids()[50:52]
    server.edit(gone, primary_phone="+212611000111")
    applied = svc.apply(profile, Plan(profile="test", actions=[DeleteAction("d1", (gone,))]))
    assert applied.ok
    server.edit(other, primary_phone="+212611000111")  # the household member keeps the number
    undone = svc.undo(profile, applied.run_id)
    assert (undone.done, undone.conflicts, undone.failed) == (0, 1, 0)
    assert any("cannot be re-created" in m for m in undone.messages)


def test_cancel_then_resume(profile: Profile, server: Server) -> None:
    """Cancelling stops between steps; the run resumes to the end, nothing done twice."""
    ids = server.live_ids()[60:72]
    plan = Plan(profile="test", actions=[DeleteAction("d1", tuple(ids))])
    seen: list[int] = []

    def cancel_soon() -> bool:
        return len(seen) >= 3

    result = svc.apply(
        profile,
        plan,
        concurrency=1,
        should_cancel=cancel_soon,
        progress=lambda e: seen.append(e.done),
    )
    assert result.state == "cancelled" and 0 < result.done < len(ids)
    assert svc.history(profile)[0].state == "cancelled"
    resumed = svc.resume(profile, result.run_id)
    assert resumed.ok and resumed.done == len(ids)
    assert all(server.contact(c)["deleted_at"] is not None for c in ids)


def test_replace_mode_keeps_other_attributes(profile: Profile, server: Server) -> None:
    """A server that replaces customAttributes on update: gomoq sends full maps, so a flag or a
    merge never wipes the other attributes, and undo still restores everything."""
    server.app.sandbox.settings.custom_attributes_update = "replace"
    a, s, loser = server.live_ids()[80:83]
    before = server.state()
    attrs_a = server.contact(a)["custom_attributes"]
    plan = Plan(
        profile="test",
        actions=[FlagAction("f1", (a,), value="r"), MergeAction("m1", s, (loser,))],
    )
    applied = svc.apply(profile, plan, attributes_update="replace")
    assert applied.ok, applied.messages
    assert server.contact(a)["custom_attributes"] == {**attrs_a, "dq_flag": "r"}
    undone = svc.undo(profile, applied.run_id)
    assert undone.ok, undone.messages
    assert server.state() == before
