"""kill -9 at random points during `gomoq apply` and `gomoq undo` (real processes, a real sandbox
server), then resume: the server ends as after an uninterrupted run; nothing twice, nothing lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from gomoq import paths
from gomoq.api.testing import in_process
from gomoq.config import Profile, save_profile
from gomoq.plan.model import DeleteAction, FlagAction, MergeAction, Plan, RemoveFromAudiencesAction
from gomoq.sandbox.app import create_app
from gomoq.sandbox.runner import start_background
from gomoq.sandbox.settings import SandboxSettings
from gomoq.services import plan as svc

from ..sandbox_fixtures import copy_db
from .conftest import Server

pytestmark = pytest.mark.slow


def _make_plan(server: Server) -> Plan:
    ids = server.live_ids(restorable=True)
    audience = server.static_audiences()[0]
    for cid in ids[200:215]:
        server.add_member(audience, cid)
    # the first merge is a phone-ordering one: the survivor's E.164 is its loser's phone
    server.edit(ids[200], primary_phone="0655443322")
    server.edit(ids[201], primary_phone="+212655443322")
    actions = [
        MergeAction(f"m{i}", ids[200 + 2 * i], (ids[201 + 2 * i],), fields={"lastName": f"K{i}"})
        for i in range(5)
    ]
    actions += [
        DeleteAction("d1", tuple(ids[220:228])),
        FlagAction("f1", tuple(ids[232:248]), value="killed"),
        RemoveFromAudiencesAction("r1", tuple(ids[212:215])),
    ]
    return Plan("k", actions)


def _gomoq(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gomoq", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )


def _runs(kind: str) -> list[str]:
    path = paths.state_db_file()
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT id FROM journal_runs WHERE kind = ? ORDER BY created_at", (kind,)
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


def _progress(known: set[str], kind: str) -> int:
    """Steps sent or confirmed so far by the run being tested."""
    runs = [r for r in _runs(kind) if r not in known]
    if not runs:
        return 0
    conn = sqlite3.connect(paths.state_db_file())
    try:
        row = conn.execute(
            "SELECT COUNT(*) FROM journal_steps WHERE run_id = ? AND state != 'planned'",
            (runs[0],),
        ).fetchone()
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()
    return int(row[0])


def _kill_then_finish(first: list[str], kind: str, rng: random.Random, kills: int) -> str:
    """Start `first`, kill -9 it at a random moment; resume (killing again) until it finishes."""
    args = first
    known = set(_runs(kind))
    run_id: str | None = None
    for attempt in range(kills + 1):
        proc = _gomoq(*args)
        if attempt < kills:
            # kill at a random point of progress: after a random number of journaled steps
            # (plus up to 50 ms, to land inside requests too), whatever the machine's speed
            target = rng.randint(1, 18)
            while proc.poll() is None and _progress(known, kind) < target:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.05))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
        _out, err = proc.communicate(timeout=120)
        new = [r for r in _runs(kind) if r not in known]
        assert len(new) <= 1, new  # a kill before the run is recorded must not leave a run
        run_id = run_id or (new[0] if new else None)
        if proc.returncode == 0:
            break
        assert proc.returncode in (-signal.SIGKILL, 1), err.decode()
        if run_id is None:  # killed before the run was even recorded: start again
            continue
        args = ["apply", "--resume", run_id, "--profile", "k"]
    else:
        proc = _gomoq("apply", "--resume", str(run_id), "--profile", "k")
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    assert run_id is not None
    return run_id


def _journal_is_clean(run_id: str) -> None:
    conn = sqlite3.connect(paths.state_db_file())
    states = dict(
        conn.execute(
            "SELECT state, COUNT(*) FROM journal_steps WHERE run_id = ? GROUP BY state", (run_id,)
        ).fetchall()
    )
    conn.close()
    assert set(states) <= {"done"}, states


def _same(got: list[str], want: list[str]) -> None:
    """Equal multisets of contacts; on failure show only the contacts that differ."""
    extra = Counter(got) - Counter(want)
    missing = Counter(want) - Counter(got)
    assert (sorted(extra), sorted(missing)) == ([], [])


def test_kill_during_apply_and_undo(sandbox_db: Path, tmp_path: Path, sandbox_key: str) -> None:
    rng = random.Random(int(os.environ.get("GOMOQ_KILL_SEED", "1")))
    prepared = Server.from_db(sandbox_db)
    plan = _make_plan(prepared)
    prepared.conn.close()
    original = Server.from_db(sandbox_db).state()

    # the reference: the same plan, uninterrupted, in-process
    reference_db = copy_db(sandbox_db, tmp_path / "reference.sqlite3")
    app = create_app(reference_db, SandboxSettings(rate_limit=0))
    with in_process(app):
        done = svc.apply(Profile("k", "http://ref.test/api", sandbox_key), plan)
    assert done.ok and done.conflicts == 0, done.messages
    expected = Server(app).state()
    app.close()

    killed_db = copy_db(sandbox_db, tmp_path / "killed.sqlite3")
    settings = SandboxSettings(rate_limit=50, latency_ms=5)
    with start_background(killed_db, settings=settings) as running:
        save_profile(Profile("k", running.base_url, sandbox_key), activate=True)
        path = tmp_path / "plan.json"
        plan.save(path)
        run_id = _kill_then_finish(["apply", str(path), "--yes", "--profile", "k"], "apply", rng, 2)
        _journal_is_clean(run_id)
        _same(Server.from_db(killed_db).state(), expected)

        undo_id = _kill_then_finish(["undo", run_id, "--yes", "--profile", "k"], "undo", rng, 2)
        _journal_is_clean(undo_id)
        _same(Server.from_db(killed_db).state(), original)
