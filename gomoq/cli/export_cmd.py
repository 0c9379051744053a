"""`gomoq export`: contacts, calls, memberships or findings from the cache to a file.

Exit status: 0 when written; 2 on a usage error (a filter that does not parse, an unknown
audience or column, a folder that does not exist, no cache yet) — and then nothing is written.
The file is the data; one sentence on stderr says what was written.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gomoq.cli.options import load_profile_or_exit, profile_option

if TYPE_CHECKING:
    import polars as pl

# Kept here as plain tuples so that `gomoq --help` does not import polars (services/export).
KINDS = ("contacts", "calls", "memberships", "findings")
FORMATS = ("csv", "xlsx", "parquet", "jsonl")


@click.command()
@profile_option
@click.argument("kind", type=click.Choice(KINDS))
@click.option(
    "--where",
    metavar="FILTER",
    default=None,
    help="Only these contacts (the filter language, see README 'Filters'); calls, memberships "
    "and findings of these contacts.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="File format (default: from the output's suffix).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="File to write; '{snapshot}' in the name becomes the snapshot's time.",
)
@click.option(
    "--attributes",
    type=click.Choice(["wide", "long"]),
    default="wide",
    show_default=True,
    help="Contacts' custom attributes: one column each (wide) or one row each (long).",
)
@click.option(
    "--columns",
    metavar="A,B,…",
    default=None,
    help="Only these columns, in this order.",
)
@click.option(
    "--raw",
    is_flag=True,
    help="CSV/XLSX: leave cells that a spreadsheet would run as formulas as they are.",
)
def export(
    profile_name: str | None,
    kind: str,
    where: str | None,
    fmt: str | None,
    output: Path,
    attributes: str,
    columns: str | None,
    raw: bool,
) -> None:
    """Export KIND (contacts, calls, memberships, findings) from the cache to a file.

    \b
    gomoq export contacts --where 'city:rabat band:active' -o rabat.csv
    gomoq export contacts --format parquet -o 'contacts-{snapshot}.parquet'
    """
    from gomoq.checks.base import CheckInput
    from gomoq.services.checks import open_snapshot, run_checks_on, settings_for
    from gomoq.services.export import export_tables

    profile = load_profile_or_exit(profile_name)
    settings = settings_for(profile)
    snapshot = open_snapshot(profile.name)
    tables = CheckInput.from_snapshot(snapshot)
    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None

    @functools.cache  # the filter and the rows may both ask: the checks run once
    def findings() -> pl.DataFrame:
        click.echo("Running the checks for the findings…", err=True)
        return run_checks_on(tables, settings, profile=profile.name).findings

    result = export_tables(
        tables,
        settings,
        kind,
        output,
        fmt=fmt,
        where=where,
        attributes=attributes,
        columns=chosen,
        raw=raw,
        manifest=dict(snapshot.manifest),
        profile=profile.name,
        findings=findings,
    )
    click.echo(result.headline, err=True)
