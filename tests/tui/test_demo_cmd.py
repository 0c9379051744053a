"""`gomoq demo --no-app` and `gomoq` with no profile, through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gomoq.cache.store import Snapshot
from gomoq.cli import cli
from gomoq.cli.demo_cmd import demo_db
from gomoq.config import load_profile

pytestmark = pytest.mark.slow


def test_demo_generates_once_serves_syncs_and_stops(isolated_home: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--contacts", "60", "--no-app"])
    assert first.exit_code == 0, first.output
    assert "Sandbox stopped." in first.output
    db = demo_db()
    assert db.exists() and db.is_relative_to(isolated_home)
    profile = load_profile("demo")
    assert profile.base_url.startswith("http://127.0.0.1:")
    assert Snapshot.open("demo").manifest["counts"]["contacts"] == 60
    stamp = db.stat().st_mtime_ns

    again = runner.invoke(cli, ["demo", "--contacts", "80", "--no-app"])
    assert again.exit_code == 0, again.output
    assert "Generating" not in again.output  # re-used, not regenerated
    assert Snapshot.open("demo").manifest["counts"]["contacts"] == 60

    fresh = runner.invoke(cli, ["demo", "--contacts", "80", "--fresh", "--no-app"])
    assert fresh.exit_code == 0, fresh.output
    assert Snapshot.open("demo").manifest["counts"]["contacts"] == 80
    assert db.stat().st_mtime_ns != stamp


def test_gomoq_without_a_profile_opens_the_first_run_screen(monkeypatch: Any) -> None:
    seen: list[Any] = []
    monkeypatch.setattr("gomoq.cli.app_cmd.run_app", lambda profile: seen.append(profile))
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0, result.output
    assert seen == [None]
