"""`gomoq import FILE`: a CSV, XLSX, Parquet or JSON Lines file to a plan of creates and updates.

Prints the mapping, the preflight report (rejects by reason, duplicates collapsed, attributes to
define), the cache's age and what the plan would do; `-o plan.json` writes the plan, which
`gomoq plan show` reviews and `gomoq apply` sends. Nothing is sent by this command.

Exit status: 0 done, 1 an API failure during `--sync`, 2 a usage error (a bad file, mapping,
option, or a type clash), 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from gomoq.cli.options import load_profile_or_exit, profile_option
from gomoq.errors import GomoqError
from gomoq.secrets import redact

F = TypeVar("F", bound=Callable[..., Any])


def source_options(func: F) -> F:
    """The options `gomoq import` and `gomoq reconcile` share (reading, mapping, preflight)."""
    options = [
        click.argument("file", type=click.Path(path_type=Path)),
        profile_option,
        click.option(
            "--map",
            "maps",
            multiple=True,
            metavar="COLUMN=FIELD",
            help="Map a column to a field (primaryPhone, fullName, firstName, lastName, "
            "primaryEmail, city, ... or attr:SLUG). Repeatable; added to the guess or the file.",
        ),
        click.option(
            "--mapping",
            "mapping_file",
            type=click.Path(path_type=Path),
            help="Read the mapping from a TOML file ([map] COLUMN = FIELD).",
        ),
        click.option(
            "--save-mapping",
            type=click.Path(path_type=Path),
            help="Write the mapping in force to a TOML file.",
        ),
        click.option("--sheet", help="The sheet of a workbook with several."),
        click.option(
            "--encoding",
            type=click.Choice(["utf-8", "utf-8-sig", "cp1252", "latin-1"]),
            help="A CSV's encoding (default: sniffed).",
        ),
        click.option("--delimiter", help="A CSV's delimiter (default: sniffed).", metavar="CHAR"),
        click.option("--region", help="Region of national phone numbers (default: profile's)."),
        click.option(
            "--decimal",
            type=click.Choice([".", ","]),
            default=".",
            show_default=True,
            help="Decimal mark of numbers (`,` reads 1 234,50).",
        ),
        click.option(
            "--date-order",
            type=click.Choice(["dmy", "mdy"]),
            default="dmy",
            show_default=True,
            help="How 05/03/2024 reads: day first (5 March) or month first.",
        ),
        click.option(
            "--dedupe",
            type=click.Choice(["most-complete", "first", "last"]),
            default="most-complete",
            show_default=True,
            help="Which row to keep when a phone is on several rows of the file.",
        ),
        click.option(
            "--define",
            "defines",
            multiple=True,
            metavar="SLUG:TYPE",
            help="Type of an undefined attribute (text, number, boolean, date, phone_number, "
            "email, url) instead of the one inferred from its values.",
        ),
        click.option(
            "--batch-size",
            type=int,
            default=500,
            show_default=True,
            help="Contacts per upsert request (at most 1000).",
        ),
        click.option(
            "--rejects",
            type=click.Path(path_type=Path),
            help="Write the rejected rows, with their reasons, to this CSV file.",
        ),
        click.option("--sync", "sync_first", is_flag=True, help="Refresh the cache first."),
        click.option(
            "-o", "--output", type=click.Path(path_type=Path), help="Write the plan to this file."
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
            help="The report as text, or as JSON on stdout.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress bars."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def import_options(params: dict[str, Any]) -> Any:
    """`ImportOptions` from the shared CLI parameters."""
    from gomoq.services.importing import ImportOptions
    from gomoq.sources.preflight import parse_defines

    return ImportOptions(
        maps=tuple(params["maps"]),
        mapping_file=params["mapping_file"],
        save_mapping=params["save_mapping"],
        sheet=params["sheet"],
        encoding=params["encoding"],
        delimiter=params["delimiter"],
        region=params["region"],
        decimal=params["decimal"],
        date_order=params["date_order"],
        dedupe=params["dedupe"],
        defines=parse_defines(params["defines"]),
        batch_size=params["batch_size"],
        only_empty=params.get("only_empty", False),
        rejects=params["rejects"],
    )


def fail(exc: GomoqError) -> None:
    """One sentence on stderr and the error's exit status."""
    click.echo(f"Error: {redact(str(exc))}", err=True)
    sys.exit(exc.exit_code)


def sync_first(profile: Any, quiet: bool) -> None:
    """`--sync`: refresh the cache before matching."""
    from gomoq.cli.progress_bar import progress_bar
    from gomoq.services.sync import sync

    with progress_bar("Syncing", quiet=quiet) as progress:
        result = sync(profile, progress=progress)
    click.echo(result.summary(), err=True)


@click.command(name="import")
@source_options
def import_(**params: Any) -> None:
    """Import FILE (CSV, XLSX, Parquet, JSON Lines) as a plan of creates and updates."""
    from gomoq.cli.progress_bar import progress_bar
    from gomoq.services.importing import build_import

    profile = load_profile_or_exit(params["profile_name"])
    try:
        options = import_options(params)
        if params["sync_first"]:
            sync_first(profile, params["quiet"])
        with progress_bar("Import", quiet=params["quiet"]) as progress:
            result = build_import(profile, params["file"], options, progress=progress)
    except GomoqError as exc:
        fail(exc)
        return
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing was written or sent.", err=True)
        sys.exit(130)
    output: Path | None = params["output"]
    if output is not None:
        result.plan.save(output)
    if params["fmt"] == "json":
        click.echo(json.dumps({**result.summary(), "plan": str(output) if output else None}))
        return
    for line in result.lines():
        click.echo(line)
    if output is not None:
        n = len(result.plan.actions)
        click.echo(
            f"Plan written to {output} ({n} action{'s' if n != 1 else ''}); review it with "
            f"`gomoq plan show {output}`, send it with `gomoq apply {output}`."
        )
    else:
        click.echo("No plan written (add -o plan.json); nothing was sent.")
