"""Options shared by every command that talks to an organisation.

Usage in a command module::

    from gomoq.cli.options import pass_profile

    @click.command()
    @pass_profile
    def sync(profile: Profile) -> None: ...

or, when the command wants the name and loads later::

    @click.command()
    @profile_option
    def check(profile_name: str | None) -> None:
        profile = load_profile_or_exit(profile_name)
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gomoq.config import Profile, config_warnings, load_profile
from gomoq.errors import ConfigError
from gomoq.secrets import redact

F = TypeVar("F", bound=Callable[..., Any])

PROFILE_HELP = "Profile to use (default: $GOMOQ_PROFILE, then the active profile)."


def profile_option(func: F) -> F:
    """Add `--profile NAME`, passed to the command as `profile_name` (None when absent)."""
    return click.option(
        "--profile", "profile_name", metavar="NAME", default=None, help=PROFILE_HELP
    )(func)


def load_profile_or_exit(name: str | None) -> Profile:
    """Load a profile; a `ConfigError` becomes one line on stderr and exit status 2.

    Exits with `SystemExit(2)` rather than a click exception so that the status is kept both
    under `gomoq.cli.main` (standalone_mode=False) and under click's `CliRunner`.
    """
    try:
        profile = load_profile(name)
        for warning in config_warnings(profile.name):
            click.echo(f"Warning: {warning}.", err=True)
        return profile
    except ConfigError as exc:
        click.echo(f"Error: {redact(str(exc))}", err=True)
        sys.exit(exc.exit_code)


def pass_profile(func: F) -> F:
    """Add `--profile NAME` and pass the loaded `Profile` to the command as `profile`."""

    @functools.wraps(func)
    def wrapper(*args: Any, profile_name: str | None = None, **kwargs: Any) -> Any:
        return func(*args, profile=load_profile_or_exit(profile_name), **kwargs)

    return profile_option(wrapper)  # type: ignore[return-value]
