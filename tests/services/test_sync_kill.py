"""`gomoq sync` killed with SIGKILL at random points against a real sandbox process, then
resumed: the cache equals the server's database, and the key is in no output or file."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gomoq.cache.store import NoCache, Snapshot
from gomoq.config import Profile, save_profile
from gomoq.sandbox.runner import start_background
from gomoq.sandbox.settings import SandboxSettings
from tests.cache.server_truth import assert_cache_equals_server


def gomoq(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gomoq", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume(sandbox_db: Path, isolated_home: Path) -> None:
    settings = SandboxSettings(rate_limit=0, latency_ms=40, export_delay_ms=200)
    with start_background(sandbox_db, settings=settings) as running:
        save_profile(
            Profile(name="org", base_url=running.base_url, api_key=running.api_key, rate_limit=8),
            store_key=True,
            activate=True,
        )
        rng = random.Random(2026)
        outputs: list[str] = []
        root = isolated_home / "cache" / "org"
        killed = []
        for _ in range(3):
            process = gomoq("sync", "--quiet")
            deadline = time.monotonic() + 30
            while not list(root.glob("work-*")) and time.monotonic() < deadline:
                time.sleep(0.02)  # wait until the sync is really under way
            time.sleep(rng.uniform(0.0, 1.2))
            was_alive = process.poll() is None
            if was_alive:
                process.send_signal(signal.SIGKILL)
            out, err = process.communicate(timeout=30)
            outputs += [out, err]
            killed.append(was_alive)
            if was_alive and not any("Synced" in o for o in outputs):
                with pytest.raises(NoCache):  # killed before any swap: still no cache
                    Snapshot.open("org")
        assert any(killed)
        final = gomoq("sync", "--format", "json")
        out, err = final.communicate(timeout=60)
        outputs += [out, err]
        assert final.returncode == 0, err
        if killed[-1]:
            assert '"resumed": true' in out
        assert_cache_equals_server("org", sandbox_db)
        key = running.api_key
        assert all(key not in text for text in outputs)
        for root, _dirs, files in os.walk(isolated_home / "cache"):
            for name in files:
                assert key.encode() not in (Path(root) / name).read_bytes()
