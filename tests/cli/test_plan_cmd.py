"""`gomoq plan show`, `apply`, `history`, `undo` through click, against the in-process sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from gomoq.api.testing import in_process
from gomoq.cli import cli
from gomoq.config import Profile, save_profile
from gomoq.errors import GomoqError
from gomoq.plan.model import DeleteAction, FlagAction, Plan


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def status(result: Any) -> int:
    if isinstance(result.exception, GomoqError):
        return result.exception.exit_code
    return int(result.exit_code)


def _ids(app: Any, n: int) -> list[str]:
    rows = app.sandbox.conn.execute(
        "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY seq LIMIT ?", (n,)
    ).fetchall()
    return [str(r[0]) for r in rows]


def test_show_apply_history_undo(sandbox_app: Any, sandbox_key: str, tmp_path: Path) -> None:
    save_profile(Profile("demo", "https://sandbox.invalid/api", sandbox_key), activate=True)
    a, b = _ids(sandbox_app, 2)
    path = tmp_path / "plan.json"
    Plan("demo", [FlagAction("f1", (a,), value="x"), DeleteAction("d1", (b,))]).save(path)

    shown = run("plan", "show", str(path))
    assert shown.exit_code == 0, shown.output
    assert f"{a}  dq_flag: ? → x" in shown.output and "soft-deleted" in shown.output

    with in_process(sandbox_app):
        dry = run("apply", str(path), "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "would change" in dry.stdout
        # with --format json, stdout is exactly one JSON document (the lines go to stderr)
        dry_json = run("apply", str(path), "--dry-run", "--format", "json")
        assert json.loads(dry_json.stdout)["dry_run"] is True
        assert "would change" in dry_json.stderr
        assert (
            sandbox_app.sandbox.conn.execute(
                "SELECT deleted_at FROM contacts WHERE id = ?", (b,)
            ).fetchone()[0]
            is None
        )
        refused = run("apply", str(path))
        assert status(refused) == 2
        done = run("apply", str(path), "--yes", "--format", "json")
        assert done.exit_code == 0, done.output
        result = json.loads(done.stdout)
        assert (result["done"], result["failed"]) == (2, 0)
        listed = run("history", "--format", "json")
        runs = json.loads(listed.stdout)
        assert runs[0]["run_id"] == result["run_id"] and runs[0]["state"] == "done"
        preview = run("undo", result["run_id"], "--dry-run")
        assert preview.exit_code == 0, preview.output
        assert f"restore contacts {b}" in preview.stdout
        assert f"set dq_flag of {a} back to null" in preview.stdout  # the API's spelling
        undone = run("undo", result["run_id"], "--yes")
        assert undone.exit_code == 0, undone.output
        assert (
            "Undo finished: 2 changes done; " in undone.output and "requests (run " in undone.output
        )
    live = sandbox_app.sandbox.conn.execute(
        "SELECT count(*) FROM contacts WHERE deleted_at IS NULL"
    ).fetchone()[0]
    assert live == len(_ids(sandbox_app, 10_000))


def test_bad_plan_file_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"version": 7}')
    result = run("plan", "show", str(path))
    assert status(result) == 2
    assert "version 7" in str(result.exception)


def test_unknown_rule_or_option_is_one_sentence_and_writes_nothing(tmp_path: Path) -> None:
    save_profile(Profile("demo", "https://sandbox.invalid/api", "k" * 20), activate=True)
    out = tmp_path / "plan.json"
    cases = {
        "archive-everything": "the rules are: merge-exact, normalise-phones",
        "flag-inactive:dayz=90": "the options of flag-inactive are: days",
        "flag-inactive:days=soon": "days takes a whole number",
        "normalise-phones:x=1": "rule normalise-phones takes no options",
        "flag-repeated-failures:severity=loud": "severity takes info, warn or error",
        "merge-exact:survivor=oldest": "survivor takes most-complete",
    }
    for rule, said in cases.items():
        result = run("plan", "--auto", "flag-invalid-phones", "--auto", rule, "-o", str(out))
        assert status(result) == 2, (rule, result.output)
        # the CLI's entry point prints the error's one sentence (`gomoq.cli.main`)
        said_here = result.output or str(result.exception)
        assert said in said_here, (rule, said_here)
        assert "Traceback" not in said_here
        assert len(said_here.strip().splitlines()) == 1, said_here
        assert not out.exists()
