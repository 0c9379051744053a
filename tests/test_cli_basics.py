"""The CLI's skeleton: version, help, locate, and readable errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from gomoq import __version__
from gomoq.cli import cli


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_locate_json_uses_gomoq_home(isolated_home: Path) -> None:
    result = CliRunner().invoke(cli, ["locate", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows["config"] == str(isolated_home / "config" / "config.toml")
    assert rows["state"] == str(isolated_home / "data" / "state.sqlite3")


def test_python_m_gomoq_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gomoq", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in out.stdout


def test_unknown_command_is_a_usage_error() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gomoq", "no-such-command"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "No such command" in out.stderr


def test_group_profile_option_reaches_subcommands() -> None:
    """`gomoq --profile X sync` means `gomoq sync --profile X`: the missing profile is named."""
    result = CliRunner().invoke(cli, ["--profile", "nowhere", "sync"])
    assert result.exit_code == 2
    assert "nowhere" in result.output


def test_sandbox_commands_without_the_extra_print_the_install_line() -> None:
    """Without starlette/uvicorn (the `gomoq[sandbox]` extra) `gomoq demo` and `gomoq sandbox`
    say how to install it, exit 2, and import nothing of the sandbox."""
    code = (
        "import sys, importlib.util\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name in ('starlette', 'uvicorn')"
        " else real(name, *a)\n"
        "from gomoq.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    print('sandbox loaded' if 'gomoq.sandbox' in sys.modules else 'sandbox not loaded')\n"
    )
    for command in (["demo"], ["sandbox", "--port", "0"]):
        out = subprocess.run(
            [sys.executable, "-c", code, *command], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 2, out.stderr
        assert "uv sync --extra sandbox" in out.stderr
        assert "pip install 'gomoq[sandbox]'" in out.stderr
        assert len(out.stderr.strip().splitlines()) <= 2  # the line, maybe click's "Error:" form
        assert out.stdout.strip() == "sandbox not loaded"
