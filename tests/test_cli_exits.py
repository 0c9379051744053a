"""Words and exits (issue 13, item 12): a closed pipe ends quietly; a missing folder, a locked
state database and a full disk are one sentence each with their own documented exit code."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest

from gomoq.cli import cli, main
from tests.services.checks_fakes import FakeSnapshot, install_snapshots, make_profile, org


@pytest.fixture
def failing(request: pytest.FixtureRequest) -> Iterator[Callable[[BaseException], None]]:
    """Register a `boom` command that raises what the test gives it."""
    raised: dict[str, BaseException] = {}

    @click.command("boom")
    def boom() -> None:
        raise raised["exc"]

    cli.add_command(boom)

    def arm(exc: BaseException) -> None:
        raised["exc"] = exc

    yield arm
    cli.commands.pop("boom", None)


def _exit(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    return int(caught.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), 8, "The disk is full"),
        (
            RuntimeError("write failed: No space left on device (os error 28)"),
            8,
            "The disk is full",
        ),
        (sqlite3.OperationalError("database is locked"), 7, "is locked by another gomoq"),
        (FileNotFoundError(errno.ENOENT, "No such file", "/nonexistent/x.csv"), 6, "No such"),
    ],
)
def test_environment_failures_are_one_sentence(
    failing: Callable[[BaseException], None],
    capsys: pytest.CaptureFixture[str],
    exc: BaseException,
    code: int,
    words: str,
) -> None:
    failing(exc)
    status, err = _exit(capsys, ["boom"])
    assert status == code
    assert words in err and err.count("\n") == 1
    assert "unexpected problem" not in err


def test_a_closed_pipe_is_quiet(
    failing: Callable[[BaseException], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdout", sys.stdout)  # click wraps it on a closed pipe
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    failing(BrokenPipeError(errno.EPIPE, "Broken pipe"))
    status, err = _exit(capsys, ["boom"])
    assert status == 141 and err == ""


def test_check_output_in_a_missing_folder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_profile()
    snapshots = next(install_snapshots(monkeypatch))
    snapshots["current"] = FakeSnapshot(**org())
    for fmt in ("csv", "parquet", "table"):
        status, err = _exit(
            capsys, ["check", "--format", fmt, "--output", "/nonexistent/dir/x.out"]
        )
        assert status == 6, (fmt, err)
        assert "No such folder" in err and "unexpected problem" not in err


def test_check_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    """The real thing: a process whose stdout is closed after the first line."""
    script = (
        "import sys\n"
        "from gomoq.cli import cli, main\n"
        "import click\n"
        "@click.command('lines')\n"
        "def lines():\n"
        "    for i in range(200000):\n"
        "        click.echo(f'line {i}')\n"
        "cli.add_command(lines)\n"
        "main(['lines'])\n"
    )
    path = tmp_path / "lines.py"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(
        f"{sys.executable} {path} | head -1; echo status ${{PIPESTATUS[0]}} >&2",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        executable="/bin/bash",
    )
    assert result.stdout == "line 0\n"
    assert result.stderr == "status 141\n", result.stderr
