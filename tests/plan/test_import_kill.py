"""kill -9 during `gomoq apply` of an import (creates by upsert), then resume, twice: every new
contact exists exactly once, every one is recorded for undo, and undo removes them all."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from gomoq.config import Profile, save_profile
from gomoq.plan.import_steps import created_ids
from gomoq.plan.journal import Journal, connect
from gomoq.plan.model import CreateContactsAction, Plan, UpdateContactsAction
from gomoq.sandbox.runner import start_background
from gomoq.sandbox.settings import SandboxSettings

from ..sandbox_fixtures import copy_db
from .conftest import Server
from .test_kill_resume import _journal_is_clean, _kill_then_finish

pytestmark = pytest.mark.slow

N = 200


@pytest.mark.parametrize("seed", [1])
def test_kill_during_import_apply(
    sandbox_db: Path, tmp_path: Path, sandbox_key: str, seed: int
) -> None:
    rng = random.Random(seed)
    db = copy_db(sandbox_db, tmp_path / "killed.sqlite3")
    server = Server.from_db(db)
    before = len(server.live_ids())
    some = server.live_ids()[:5]
    phones = {
        cid: str(
            server.conn.execute(
                "SELECT primary_phone FROM contacts WHERE id = ?", (cid,)
            ).fetchone()[0]
        )
        for cid in some
    }
    rows = tuple({"primaryPhone": f"+2126991{i:05d}", "fullName": f"Kill {i}"} for i in range(N))
    updates = tuple(
        {"contact": cid, "phone": phone, "set": {"city": "Killville"}}
        for cid, phone in phones.items()
    )
    plan = Plan(
        "k",
        [CreateContactsAction("c", rows, batch_size=20), UpdateContactsAction("u", updates, 20)],
    )
    path = tmp_path / "plan.json"
    plan.save(path)
    settings = SandboxSettings(rate_limit=0, latency_ms=40)
    with start_background(db, settings=settings) as running:
        save_profile(Profile("k", running.base_url, sandbox_key), activate=True)
        run_id = _kill_then_finish(["apply", str(path), "--yes", "--profile", "k"], "apply", rng, 3)
        _journal_is_clean(run_id)
        held = Counter(
            str(r[0])
            for r in server.conn.execute(
                "SELECT primary_phone FROM contacts WHERE deleted_at IS NULL"
                " AND primary_phone LIKE '+2126991%'"
            )
        )
        assert len(held) == N and set(held.values()) == {1}  # nothing created twice
        assert len(server.live_ids()) == before + N
        for cid in some:
            assert server.contact(cid)["city"] == "Killville"
        assert len(set(created_ids(Journal(connect()), run_id))) == N

        undo_id = _kill_then_finish(["undo", run_id, "--yes", "--profile", "k"], "undo", rng, 1)
        _journal_is_clean(undo_id)
        assert len(server.live_ids()) == before
        for cid in some:
            assert server.contact(cid)["city"] != "Killville"
