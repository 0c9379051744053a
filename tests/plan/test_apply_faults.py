"""Conflicts (a colleague edits meanwhile) and faults (429, 5xx, dropped connections) during apply:
the server must end exactly as after a clean run, and nothing reviewed may be overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from gomoq.api.testing import in_process
from gomoq.config import Profile
from gomoq.plan.model import DeleteAction, FlagAction, MergeAction, Plan, RemoveFromAudiencesAction
from gomoq.sandbox.app import create_app
from gomoq.sandbox.settings import Faults, SandboxSettings
from gomoq.services import plan as svc

from ..sandbox_fixtures import copy_db
from .conftest import Server, fingerprints


def _plan(server: Server) -> Plan:
    ids = server.live_ids()
    audience = server.static_audiences()[0]
    for cid in ids[100:114]:
        server.add_member(audience, cid)
    actions = [
        MergeAction(f"m{i}", ids[100 + 2 * i], (ids[101 + 2 * i],), fields={"lastName": f"M{i}"})
        for i in range(5)
    ]
    actions += [
        DeleteAction("d1", tuple(ids[120:126])),
        FlagAction("f1", tuple(ids[130:142]), value="faulty"),
        RemoveFromAudiencesAction("r1", tuple(ids[111:114])),
    ]
    return Plan("test", actions)


def test_conflict_is_skipped_and_not_overwritten(profile: Profile, server: Server) -> None:
    ids = server.live_ids()
    plan = Plan(
        "test",
        [
            MergeAction("m1", ids[0], (ids[1],), fields={"firstName": "Plan"}),
            MergeAction("m2", ids[2], (ids[3],), fields={"firstName": "Plan"}),
            FlagAction("f1", (ids[4], ids[5]), value="x"),
        ],
        fingerprints=fingerprints(server.app, ids[:6]),
    )
    server.edit(ids[0], first_name="Colleague")  # edited after review
    server.edit(ids[5], city="Edited")
    result = svc.apply(profile, plan)
    assert (result.done, result.conflicts, result.failed) == (2, 2, 0)
    assert any("changed since review" in m for m in result.messages)
    assert server.contact(ids[0])["first_name"] == "Colleague"
    assert server.contact(ids[1])["deleted_at"] is None  # the conflicted merge did nothing
    assert server.contact(ids[2])["first_name"] == "Plan"
    assert "dq_flag" not in server.contact(ids[5])["custom_attributes"]
    assert server.contact(ids[4])["custom_attributes"]["dq_flag"] == "x"


def test_concurrent_editor_never_overwritten(profile: Profile, server: Server) -> None:
    ids = server.live_ids()[:80]
    plan = Plan(
        "test",
        [
            MergeAction(f"m{i}", ids[2 * i], (ids[2 * i + 1],), fields={"lastName": "Merged"})
            for i in range(20)
        ]
        + [FlagAction("f1", tuple(ids[40:80]), value="x")],
        fingerprints=fingerprints(server.app, ids),
    )
    server.app.sandbox.settings.faults = Faults(editor_every_requests=1, seed=11)
    server.app.sandbox.reseed(11)
    result = svc.apply(profile, plan, concurrency=4)
    log = server.app.sandbox.editor_log
    edited = {e["contactId"] for e in log if e["kind"] == "edit"}
    assert result.failed == 0
    conflicted = {m.split("contact ")[1].split(" ")[0] for m in result.messages}
    assert conflicted <= edited
    assert result.conflicts >= 1
    # every edit on a contact that is still live is still there: nothing overwritten blindly
    columns = {"firstName": "first_name", "city": "city", "occupation": "occupation"}
    last: dict[tuple[str, str], object] = {}
    for e in log:
        if e["kind"] == "edit":
            last[(e["contactId"], e["field"])] = e["new"]
    for (cid, field), new in last.items():
        row = server.contact(cid)
        if row["deleted_at"] is not None or field == "lastName":
            continue
        if field.startswith("customAttributes."):
            assert row["custom_attributes"].get(field.split(".", 1)[1]) == new
        else:
            assert row[columns[field]] == new, (cid, field)


@pytest.mark.slow
def test_faults_end_like_a_clean_run(sandbox_db: Path, tmp_path: Path, sandbox_key: str) -> None:
    clean_db = copy_db(sandbox_db, tmp_path / "clean.sqlite3")
    faulty_db = copy_db(sandbox_db, tmp_path / "faulty.sqlite3")
    states = []
    requests = []
    for db, settings in (
        (clean_db, SandboxSettings(rate_limit=0)),
        (
            faulty_db,
            SandboxSettings(
                rate_limit=40,
                faults=Faults(error_rate=0.15, drop_rate=0.1, phase="after", seed=5),
            ),
        ),
    ):
        app = create_app(db, settings)
        app.sandbox.reseed(5)
        server = Server(app)
        plan = _plan(server)
        with in_process(app):
            profile = Profile("test", "http://sandbox.test/api", sandbox_key, rate_limit=1000.0)
            result = svc.apply(profile, plan)
            sent = result.requests
            while not result.ok:  # a step may fail after all retries: resume finishes it
                result = svc.resume(profile, result.run_id)
                sent += result.requests
            assert result.conflicts == 0, result.messages
        states.append(server.state())
        requests.append(sent)
        app.close()
    clean_requests, faulty_requests = requests
    assert faulty_requests > clean_requests  # the faults did strike and were retried
    assert states[0] == states[1]
