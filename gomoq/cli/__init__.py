"""The `gomoq` command line: a click group whose sub-commands live one per module and are
imported only when used (start-up time matters: `gomoq` alone opens the app).

With no sub-command it opens the Textual app on the active profile. Every sub-command also works
headless. stdout carries data; stderr carries diagnostics, progress and errors.
"""

from __future__ import annotations

import importlib
import logging
import sys
from types import ModuleType
from typing import TYPE_CHECKING

import click

from gomoq import __version__, crashlog
from gomoq.cli.extras import SANDBOX_MISSING, sandbox_installed
from gomoq.config import Profile
from gomoq.errors import GomoqError, UsageError
from gomoq.secrets import redact

if TYPE_CHECKING:
    from typing import NoReturn

# name -> "module:attribute", imported only when the command is used.
COMMANDS: dict[str, str] = {
    "demo": "gomoq.cli.demo_cmd:demo",
    "sandbox": "gomoq.cli.sandbox_cmd:sandbox",
    "locate": "gomoq.cli.locate_cmd:locate",
    "profile": "gomoq.cli.profile_cmd:profile",
    "sync": "gomoq.cli.sync_cmd:sync",
    "check": "gomoq.cli.check_cmd:check",
    "decide": "gomoq.cli.check_cmd:decide",
    "decisions": "gomoq.cli.decisions_cmd:decisions",
    "plan": "gomoq.cli.plan_cmd:plan",
    "apply": "gomoq.cli.plan_cmd:apply",
    "history": "gomoq.cli.plan_cmd:history",
    "undo": "gomoq.cli.plan_cmd:undo",
    "export": "gomoq.cli.export_cmd:export",
    "import": "gomoq.cli.import_cmd:import_",
    "segment": "gomoq.cli.segment_cmd:segment",
    "audience": "gomoq.cli.audience_cmd:audience",
    "reconcile": "gomoq.cli.reconcile_cmd:reconcile",
}

# Commands that need the sandbox extra (`gomoq[sandbox]`).
SANDBOX_COMMANDS = frozenset({"demo", "sandbox"})

log = logging.getLogger("gomoq")


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
    help="Needs the sandbox extra: " + SANDBOX_MISSING,
)
def _sandbox_missing() -> None:
    raise UsageError(SANDBOX_MISSING)


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        if cmd_name in SANDBOX_COMMANDS and not sandbox_installed():
            return _sandbox_missing
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="gomoq")
@click.option(
    "--profile",
    "profile_name",
    metavar="NAME",
    default=None,
    help="Profile for the workbench and the default of every command's own --profile.",
)
@click.pass_context
def cli(ctx: click.Context, profile_name: str | None) -> None:
    """gomoq: find and fix what is wrong in your Gomobile contacts.

    With no command, opens the workbench on the active profile.
    """
    if profile_name is not None:
        # Sub-commands read their own `--profile`; this makes `gomoq --profile X sync` mean the
        # same as `gomoq sync --profile X` through click's default map.
        ctx.default_map = {name: {"profile_name": profile_name} for name in COMMANDS}
    if ctx.invoked_subcommand is None:
        ctx.invoke(_app_cmd().open_app, profile_name=profile_name)


def _app_cmd() -> ModuleType:
    # imported when used: it loads Textual, and `gomoq --help` imports every command's module
    return importlib.import_module("gomoq.cli.app_cmd")


def run_workbench(profile: Profile | None) -> str | None:
    """Run the Textual app on `profile` until the operator quits (`gomoq demo` ends so)."""
    result: str | None = _app_cmd().run_app(profile)
    return result


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into one readable line and an exit code."""
    try:
        cli.main(args=argv, prog_name="gomoq", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Cancelled.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except GomoqError as exc:
        click.echo(f"Error: {redact(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Cancelled.", err=True)
        sys.exit(130)
    except SystemExit as exc:
        # click turns a write to a closed pipe into a quiet exit 1 ("findings found" for
        # `check`), after wrapping stdout in its `_PacifyFlushWrapper` (the only trace it
        # leaves): give it the closed pipe's own status instead
        if exc.code == 1 and type(sys.stdout).__name__ == "_PacifyFlushWrapper":
            _quiet_closed_pipe()
        raise
    except BaseException as exc:
        if _closed_pipe(exc):
            _quiet_closed_pipe()
        _last_resort(exc)


def _last_resort(exc: BaseException) -> NoReturn:
    """A known environment failure in one sentence, or anything else with a crash log."""
    known = known_problem(exc)
    if known is not None:
        sentence, code = known
        click.echo(f"Error: {redact(sentence)}", err=True)
        sys.exit(code)
    path = crashlog.write(exc)
    where = f" Details were written to {path}." if path else ""
    click.echo(
        f"Error: gomoq hit an unexpected problem ({type(exc).__name__}: "
        f"{redact(str(exc))}).{where}",
        err=True,
    )
    sys.exit(1)


# Exit codes beyond 0 (done), 1 (findings, or failures), 2 (usage/config), 3 (conflicts), 4
# (damaged cache), 5 (another run holds the profile), 130 (cancelled) — all in the README.
EXIT_NO_FOLDER = 6
EXIT_DB_LOCKED = 7
EXIT_DISK_FULL = 8
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`'s `yes`


def _closed_pipe(exc: BaseException | None) -> bool:
    """Whether `exc` (or what it wraps: polars names it "Broken pipe (os error 32)") is a
    write to a pipe whose reader has gone."""
    import errno

    if exc is None:
        return False
    return any(
        isinstance(item, BrokenPipeError)
        or getattr(item, "errno", None) == errno.EPIPE
        or "os error 32)" in str(item)
        for item in _chain(exc)
    )


def _quiet_closed_pipe() -> NoReturn:
    """The reader went away (`gomoq check --format csv | head -1`): stop quietly, as Unix
    tools do, with stdout pointed at /dev/null so the interpreter's last flush cannot fail."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(EXIT_CLOSED_PIPE)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def known_problem(exc: BaseException) -> tuple[str, int] | None:
    """One sentence and an exit code for the environment's usual failures (a missing folder,
    a locked state database, a full disk), found anywhere in the exception's chain (polars
    and SQLite wrap the operating system's error in their own); None for anything else."""
    import errno
    import sqlite3

    for item in _chain(exc):
        text = str(item)
        lowered = text.lower()
        number = getattr(item, "errno", None)
        if number == errno.ENOSPC or "no space left on device" in lowered or "os error 28" in text:
            return (
                "The disk is full: nothing was lost (every file is written under a temporary "
                "name and swapped in whole); free some space and run the command again.",
                EXIT_DISK_FULL,
            )
        if isinstance(item, sqlite3.OperationalError) and "locked" in lowered:
            from gomoq import paths

            return (
                f"The state database {paths.state_db_file()} is locked by another gomoq process "
                "(a long apply or a sync): nothing was changed; run the command again when it "
                "has finished.",
                EXIT_DB_LOCKED,
            )
        if isinstance(item, FileNotFoundError) or number == errno.ENOENT or "os error 2)" in text:
            name = getattr(item, "filename", None)
            where = f" ({name})" if name else ""
            return (
                f"No such folder{where}: create it, or choose a path in an existing folder.",
                EXIT_NO_FOLDER,
            )
    return None
