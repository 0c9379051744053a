"""`gomoq sync`: pull the organisation into the local cache (progress on stderr, a one-line
summary at the end; `--format json` puts a JSON summary on stdout for scripts).

Exit status: 0 done, 1 an API or network failure (the finished pages are kept: run it again to
resume), 2 a usage or config error, 130 interrupted (resumable too).
"""

from __future__ import annotations

import json
import sys

import click

from gomoq.cli.options import load_profile_or_exit, profile_option
from gomoq.errors import GomoqError
from gomoq.secrets import redact

ONLY_HELP = (
    "Sync only these tables (comma-separated: contacts, attribute_defs, audiences, calls); "
    "the others are kept from the current snapshot."
)


@click.command()
@profile_option
@click.option("--only", metavar="TABLES", default=None, help=ONLY_HELP)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Summary as a line of text, or as JSON on stdout.",
)
def sync(profile_name: str | None, only: str | None, quiet: bool, fmt: str) -> None:
    """Pull contacts, attributes, audiences and calls into the local cache."""
    from gomoq.cli.progress_bar import progress_bar
    from gomoq.services.sync import parse_only
    from gomoq.services.sync import sync as run_sync

    profile = load_profile_or_exit(profile_name)
    try:
        groups = parse_only(only.split(",")) if only is not None else None
        with progress_bar("Syncing", quiet=quiet) as progress:
            result = run_sync(profile, only=groups, progress=progress)
    except GomoqError as exc:
        message = redact(str(exc))
        if exc.exit_code == 1:  # API or network trouble: what was read is kept
            message += " What was already read is kept: run `gomoq sync` again to resume."
        click.echo(f"Error: {message}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(
            "Sync interrupted; the cache is unchanged. Run `gomoq sync` again to resume.",
            err=True,
        )
        sys.exit(130)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        click.echo(result.summary())
