"""`gomoq reconcile` through click: --format json, --apply with apply's exit codes, the guard as
exit 2, and the log line per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from gomoq import paths
from gomoq.api.testing import in_process
from gomoq.cli import cli
from gomoq.config import Profile, save_profile
from gomoq.services.sync import sync


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_cron_run(sandbox_app: Any, sandbox_key: str, tmp_path: Path) -> None:
    save_profile(Profile("demo", "https://sandbox.invalid/api", sandbox_key), activate=True)
    source = tmp_path / "crm.csv"
    source.write_text(
        "tel,name\n0688099998,Sara Bennani\n0688099999,Omar Idrissi\n", encoding="utf-8"
    )
    with in_process(sandbox_app):
        sync(Profile("demo", "https://sandbox.invalid/api", sandbox_key, rate_limit=1000.0))
        refused = run("reconcile", str(source), "--deleted", "soft-delete", "-q")
        assert refused.exit_code == 2
        assert "Refused: the plan would delete" in refused.stderr
        done = run("reconcile", str(source), "--apply", "--format", "json", "-q")
        assert done.exit_code == 0, done.output
        summary = json.loads(done.stdout)
        assert summary["reconcile"]["counts"]["new"] == 2
        assert summary["apply"]["done"] == 2 and summary["apply"]["state"] == "done"
        again = run("reconcile", str(source), "-q")
        assert again.exit_code == 0
        assert "Nothing to do: Gomobile is in step with the file." in again.stdout
    lines = (paths.log_dir() / "reconcile.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2  # the refused run wrote nothing: it stopped before a plan existed
    assert json.loads(lines[0])["state"] == "done"
