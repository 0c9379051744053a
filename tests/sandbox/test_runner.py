"""The real HTTP server: `start_background`, the drop fault over a socket, `gomoq sandbox`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gomoq.cli import main
from gomoq.sandbox.runner import settings_from_json, settings_to_json, start_background
from gomoq.sandbox.settings import Faults, SandboxSettings
from tests.sandbox.conftest import KEY


def test_settings_travel_as_json() -> None:
    settings = SandboxSettings(
        rate_limit=3, update_method="put", faults=Faults(error_rate=0.5, seed=9)
    )
    assert settings_from_json(settings_to_json(settings)) == settings


def test_background_server_answers_and_stops(small_db: Path) -> None:
    running = start_background(small_db, settings=SandboxSettings(rate_limit=50))
    try:
        assert running.base_url.startswith("http://127.0.0.1:")
        assert running.api_key == KEY
        with httpx.Client(base_url=running.base_url, headers={"X-API-Key": KEY}) as c:
            r = c.get("/contact", params={"limit": 5})
            assert r.status_code == 200 and r.json()["meta"]["total"] == 30
            assert r.headers["x-ratelimit-limit"] == "50"
            running.admin("PUT", "faults", {"drop_rate": 1.0})
            with pytest.raises(httpx.TransportError):
                c.get("/contact")
            running.admin("PUT", "faults", {"drop_rate": 0.0})
            assert c.get("/users/me").status_code == 200
    finally:
        running.stop()
    assert not running.alive()


def test_refuses_remote_host(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", "--host", "0.0.0.0", "--port", "0"])
    assert exit_info.value.code == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_cli_generates_on_first_start_and_prints_url_and_key(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "fresh" / "org.sqlite3"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gomoq",
            "sandbox",
            "--db",
            str(db),
            "--port",
            "0",
            "--contacts",
            "40",
            "--seed",
            "3",
            "--api-key",
            "gmq_cli_test_key_123456",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url_line = process.stdout.readline()
        key_line = process.stdout.readline()
        assert url_line.startswith("base URL: http://127.0.0.1:") and url_line.strip().endswith(
            "/api"
        )
        assert key_line.split() == ["API", "key:", "gmq_cli_test_key_123456"]
        base = url_line.split()[-1]
        with httpx.Client(base_url=base, headers={"X-API-Key": "gmq_cli_test_key_123456"}) as c:
            total = c.get("/contact").json()["meta"]["total"]
        assert 0 < total <= 40
        assert db.exists() and not db.with_name(db.name + ".partial").exists()
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert "Generating" in err


@pytest.mark.slow
def test_kill_9_mid_upserts_leaves_a_whole_database(small_db: Path) -> None:
    import signal
    import sqlite3
    import threading
    import time

    running = start_background(small_db, settings=SandboxSettings(rate_limit=0))
    done: list[int] = []

    def hammer() -> None:
        with httpx.Client(base_url=running.base_url, headers={"X-API-Key": KEY}) as c:
            for batch in range(1000):
                rows = [
                    {
                        "primaryPhone": f"+2125{batch:04d}{i:04d}",
                        "firstName": "Kill",
                        "customAttributes": {"loyalty_points": i},
                    }
                    for i in range(1000)
                ]
                try:
                    c.post("/contact/upsert", json={"data": rows}, timeout=30)
                except httpx.TransportError:
                    return
                done.append(batch)

    worker = threading.Thread(target=hammer)
    worker.start()
    deadline = time.monotonic() + 20
    while len(done) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.13)  # land somewhere inside a batch
    running.process.send_signal(signal.SIGKILL)
    running.process.wait(10)
    worker.join(30)
    assert len(done) >= 2
    conn = sqlite3.connect(small_db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        added = conn.execute("SELECT count(*) FROM contacts").fetchone()[0] - 30
    finally:
        conn.close()
    # Each upsert is one transaction: whole batches only, at least those acknowledged.
    assert added % 1000 == 0 and added // 1000 >= len(done)


def test_set_switches_parse_and_bad_ones_are_one_sentence(
    small_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gomoq.cli.sandbox_cmd import _parse_switches

    assert _parse_switches(("update_method=put", "faults.error_rate=0.1", "faults.seed=3")) == {
        "update_method": "put",
        "faults": {"error_rate": 0.1, "seed": 3},
    }
    for bad in ("faults.error_rate=2", "update_method=post", "nonsense=1", "noequals"):
        with pytest.raises(SystemExit) as exit_info:
            main(["sandbox", "--db", str(small_db), "--port", "0", "--set", bad])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("Error: ") and "Traceback" not in err, err


def test_background_generates_first_when_asked(tmp_path: Path) -> None:
    from gomoq.progress import ProgressEvent

    events: list[ProgressEvent] = []
    db = tmp_path / "gen" / "org.sqlite3"
    running = start_background(
        db, contacts=60, seed=4, progress=events.append, settings=SandboxSettings(rate_limit=0)
    )
    with (
        running,
        httpx.Client(base_url=running.base_url, headers={"X-API-Key": running.api_key}) as c,
    ):
        assert 0 < c.get("/contact").json()["meta"]["total"] <= 60
    assert events and db.with_suffix(".truth.json").exists()
    assert not list(db.parent.glob("*.partial*"))
