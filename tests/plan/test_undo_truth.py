"""Undo never claims more than it did (issue 13, items 1 and 2): a step confirmed after a
garbled or lost answer still leaves the after-image undo needs, a unit undo cannot do is named
and makes the run fail, and the cache patch after a resume holds every contact re-created."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from gomoq.api import ApiError
from gomoq.config import Profile
from gomoq.plan import journal as jr
from gomoq.plan.engine import RunResult
from gomoq.plan.model import DeleteAction, FlagAction, Plan
from gomoq.sandbox.settings import Faults
from gomoq.services import plan as svc

from .conftest import Server, api_contact


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's backoff in milliseconds, not seconds (the faults here strike often)."""
    import gomoq.api

    real = gomoq.api.open_client

    def fast(profile: Profile, **overrides: object) -> Any:
        quick = {"backoff_base": 0.01, "backoff_cap": 0.05, "retry_after_cap": 1.0}
        return real(profile, **{**quick, **overrides})

    monkeypatch.setattr(gomoq.api, "open_client", fast)


def _until_done(profile: Profile, run: RunResult) -> RunResult:
    while not run.ok:
        run = svc.resume(profile, run.run_id)
    return run


def _apply_tolerant(profile: Profile, plan: Plan) -> str:
    """Apply under faults; a crash mid-run (a garbled read) leaves a run to resume."""
    try:
        return svc.apply(profile, plan).run_id
    except ApiError:
        runs = svc.history(profile)
        return runs[0].run_id


def _by_id(monkeypatch: pytest.MonkeyPatch, server: Server, ids: list[str]) -> None:
    """Before-images from a 'cache' that is always up to date (read without the API, so no
    fault strikes it), and every phone shared with someone outside the plan, so each flag is
    an update by id (the path of a household number)."""
    shared = {str(api_contact(server.app, c)["primaryPhone"]): [c, "someone-else"] for c in ids}

    def lookup(wanted: Sequence[str]) -> Mapping[str, dict[str, Any]]:
        return {c: {**api_contact(server.app, c), "_memberships": []} for c in wanted}

    monkeypatch.setattr(svc, "_cache_lookup", lambda _profile: lookup)
    monkeypatch.setattr(svc, "shared_phones", lambda _name: shared)


def test_flag_verified_after_garbled_answer_is_undone(
    profile: Profile, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flags written one by one by id, half the answers garbled: the resumed run confirms the
    garbled ones by re-reading the contact, and undo removes every flag."""
    ids = server.live_ids()[:40]
    plan = Plan("test", [FlagAction("f1", tuple(ids), value="x")])
    _by_id(monkeypatch, server, ids)
    server.app.sandbox.settings.faults = Faults(malformed_rate=0.5, seed=5)
    server.app.sandbox.reseed(5)
    run_id = _apply_tolerant(profile, plan)
    server.app.sandbox.settings.faults = Faults()
    applied = svc.resume(profile, run_id)
    assert applied.ok, applied.messages
    assert all(server.contact(c)["custom_attributes"].get("dq_flag") == "x" for c in ids)
    undone = svc.undo(profile, run_id)
    assert (undone.done, undone.conflicts, undone.failed) == (len(ids), 0, 0), undone.messages
    left = [c for c in ids if "dq_flag" in server.contact(c)["custom_attributes"]]
    assert left == []


def test_undo_names_a_change_without_after_image(profile: Profile, server: Server) -> None:
    """A done change the journal has no after-image for (an older journal, a lost answer) is
    never skipped in silence: the undo run names it, counts it and does not end well."""
    ids = server.live_ids()[:3]
    applied = svc.apply(profile, Plan("test", [FlagAction("f1", tuple(ids), value="x")]))
    assert applied.ok
    journal = jr.Journal(jr.connect())
    journal.set_after(applied.run_id, ids[1], None)
    undone = svc.undo(profile, applied.run_id)
    assert (undone.done, undone.not_undone, undone.conflicts) == (2, 1, 0)
    assert not undone.ok and undone.state == "partial"
    assert any(ids[1] in m and "not undone" in m for m in undone.messages)
    assert "1 not undone" in undone.headline()
    assert server.contact(ids[1])["custom_attributes"].get("dq_flag") == "x"


def _cached_ids() -> set[str]:
    from gomoq.cache.store import Snapshot

    return set(Snapshot.open("test").scan("contacts").select("id").collect()["id"].to_list())


def _live_ids(server: Server) -> set[str]:
    rows = server.conn.execute("SELECT id FROM contacts WHERE deleted_at IS NULL")
    return {str(r[0]) for r in rows}


@pytest.mark.slow  # the sandbox's injected 503s ask for a 1 s pause each (Retry-After)
def test_cache_after_undo_under_lost_answers_holds_recreated(
    profile: Profile, server: Server
) -> None:
    """Deletes undone while answers are lost after the server acted: every re-created contact
    reaches the cache (the patch after each resume is what the journal knows), and a value
    the server refuses to take back is named even when the create's own answer was lost."""
    from gomoq.services.sync import sync

    sync(profile, client_options={"backoff_base": 0.01, "backoff_cap": 0.05})
    restorable = set(server.live_ids(restorable=True))
    unrestorable = [c for c in server.live_ids() if c not in restorable][:2]
    assert unrestorable, "the generated organisation has values the server refuses today"
    targets = [*server.live_ids(restorable=True)[:10], *unrestorable]
    plan = Plan("test", [DeleteAction("d1", tuple(targets))])
    sandbox = server.app.sandbox
    sandbox.settings.faults = Faults(error_rate=0.25, phase="after", seed=7)
    sandbox.reseed(7)
    applied = _until_done(profile, svc.apply(profile, plan))
    assert _cached_ids() == _live_ids(server)
    sandbox.settings.faults = Faults(error_rate=0.25, drop_rate=0.1, phase="after", seed=9)
    sandbox.reseed(9)
    undone = svc.undo(profile, applied.run_id)
    # What the operator was told, over the undo and each resume: a refusal is said in the pass
    # where the contact was re-created, which depends on where the seeded faults fall.
    said = list(undone.messages)
    while undone.failed or undone.pending:
        undone = svc.resume(profile, undone.run_id)
        said += undone.messages
    sandbox.settings.faults = Faults()
    assert len(_live_ids(server)) == 300
    assert _cached_ids() == _live_ids(server)
    for cid in unrestorable:
        assert any(cid in m and "refused to restore" in m for m in said), cid


def test_one_run_per_profile_at_a_time(profile: Profile, server: Server) -> None:
    """Issue 13 item 14: a second apply, resume or undo while a run holds the profile is
    refused with a sentence naming the other run; nothing is sent or journaled."""
    from gomoq.plan.runlock import RunLocked, run_lock

    ids = server.live_ids()[:2]
    plan = Plan("test", [FlagAction("f1", tuple(ids), value="x")])
    done = svc.apply(profile, plan)
    with run_lock("test", "an apply") as announce:  # another terminal's run
        announce("20260101-000000-abcd")
        for attempt in (
            lambda: svc.apply(profile, plan),
            lambda: svc.resume(profile, done.run_id),
            lambda: svc.undo(profile, done.run_id),
        ):
            with pytest.raises(RunLocked, match=r"run 20260101-000000-abcd .* another terminal"):
                attempt()
    assert len(svc.history(profile)) == 1
    assert all(server.contact(c)["custom_attributes"]["dq_flag"] == "x" for c in ids)
    assert svc.undo(profile, done.run_id).ok  # the lock is free again


def _defs(server: Server) -> set[str]:
    return {str(r[0]) for r in server.conn.execute("SELECT name FROM custom_attributes")}


def test_no_write_before_the_plans_organisation_is_checked(
    profile: Profile, server: Server
) -> None:
    """Issue 13 item 15: a plan made for another organisation (by its own record, or by the
    cache it was made from) is refused before anything is written: not even the flag's
    attribute definition is created, and no run is recorded."""
    from gomoq.cache.store import write_snapshot
    from gomoq.plan.model import PlanError

    ids = server.live_ids()[:3]
    assert "dq_flag" not in _defs(server)
    plan = Plan(
        "test", [FlagAction("f1", tuple(ids), value="x")], organization_id="another-organisation"
    )
    with pytest.raises(PlanError, match="made for organisation another-organisation"):
        svc.apply(profile, plan)
    write_snapshot("test", {}, {"organization_id": "another-organisation"})
    with pytest.raises(PlanError, match="nothing was sent"):
        svc.apply(profile, Plan("test", [FlagAction("f1", tuple(ids), value="x")]))
    assert "dq_flag" not in _defs(server) and svc.history(profile) == []
    plan = Plan("test", [FlagAction("f1", tuple(ids), value="x")])
    plan.organization_id = str(server.app.sandbox.org["org_id"])
    assert svc.apply(profile, plan).ok  # its own organisation: applied


@pytest.mark.slow  # each injected 503 makes the client pause 1 s (Retry-After): about a minute
def test_a_server_down_mid_apply_stops_the_run_early(
    profile: Profile, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13 item 13: the server goes away after the first change; the run stops after a
    few failures in a row instead of trying every remaining unit, says so, and a resume
    finishes it once the server is back."""
    import gomoq.api
    from gomoq.progress import ProgressEvent

    fast = gomoq.api.open_client  # the fixture's; each request tried twice, no long pauses

    def once(p: Profile, **overrides: object) -> Any:
        return fast(p, **{"max_retries": 1, "retry_after_cap": 0.05, **overrides})

    monkeypatch.setattr(gomoq.api, "open_client", once)
    ids = server.live_ids(restorable=True)[:40]
    plan = Plan("test", [DeleteAction("d1", tuple(ids))])
    sandbox = server.app.sandbox

    def down_after_first(event: ProgressEvent) -> None:
        if event.done >= 1:
            sandbox.settings.faults = Faults(error_rate=1.0)

    stopped = svc.apply(profile, plan, progress=down_after_first, concurrency=4)
    assert stopped.pending > 20, stopped.headline()  # most units were never tried
    assert stopped.messages[0].startswith("Stopped early: 5 requests in a row")
    assert f"gomoq apply --resume {stopped.run_id}" in stopped.messages[0]
    assert stopped.requests < 200
    sandbox.settings.faults = Faults()
    resumed = _until_done(profile, svc.resume(profile, stopped.run_id))
    assert resumed.done == len(ids)
    assert all(server.contact(c)["deleted_at"] is not None for c in ids)
