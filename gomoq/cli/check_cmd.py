"""`gomoq check` (run the checks headless) and `gomoq decide` (record decisions headless).

`gomoq check` exit status: 0 when no shown finding reaches `--fail-on` (default `error`),
1 when some do, 2 on a usage or config error (bad option, unknown check, no cache yet).
Data goes to stdout (or `--output FILE`), diagnostics and progress to stderr.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

import click

from gomoq.cli.options import load_profile_or_exit, profile_option
from gomoq.cli.progress_bar import progress_bar
from gomoq.errors import UsageError

if TYPE_CHECKING:
    import polars as pl

    from gomoq.services.checks import CheckRun

FORMATS = ("table", "json", "csv", "parquet")
TOP = 20


def _split_checks(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise click.BadParameter("give at least one check name", param_hint="--check")
    return names


@click.command()
@profile_option
@click.option(
    "--check",
    "checks",
    metavar="NAMES",
    help="Comma-separated checks to run, e.g. phones,duplicates (among phones, duplicates, "
    "call_failures, attributes, inactivity); default: the profile's enabled checks.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table: summary and top findings; json: one array of finding objects; csv; parquet.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of stdout (required for parquet).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["warn", "error"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse is shown.",
)
@click.option(
    "--include-dismissed",
    is_flag=True,
    help="Also show findings dismissed earlier (decision column 'dismissed').",
)
@click.option(
    "--raw",
    is_flag=True,
    help="CSV: write values exactly as stored (by default control characters are shown as "
    "visible pictures and cells a spreadsheet would run as formulas get a leading ').",
)
def check(
    profile_name: str | None,
    checks: str | None,
    fmt: str,
    output: Path | None,
    fail_on: str,
    include_dismissed: bool,
    raw: bool,
) -> None:
    """Run the data-quality checks on the cached snapshot of a profile.

    Exit status: 0 when no finding reaches --fail-on, 1 when some do, 2 on a usage error
    (including no cache yet: run `gomoq sync` first).
    """
    from gomoq.services.checks import run_checks

    names = _split_checks(checks)
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs --output FILE.")
    profile = load_profile_or_exit(profile_name)
    try:
        with progress_bar("Checking") as progress:
            run = run_checks(
                profile, checks=names, include_dismissed=include_dismissed, progress=progress
            )
    except UsageError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    _write(run, fmt, output, raw=raw)
    sys.exit(1 if run.reaches(fail_on) else 0)


def _export_frame(run: CheckRun) -> pl.DataFrame:
    """The findings shape plus the decision taken on each (the format README documents)."""
    from gomoq.checks.findings import FINDINGS_SCHEMA  # polars: imported only when it runs

    columns = (*FINDINGS_SCHEMA, "decision")
    return run.findings.select([c for c in columns if c in run.findings.columns])


def _guarded(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` safe to print and to open in a spreadsheet: every text column with its control
    characters as visible pictures, then formula-looking cells neutralised (`gomoq.safe_text`)."""
    import polars as pl

    from gomoq.safe_text import neutralise_formula_expr, printable_expr

    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        neutralise_formula_expr(printable_expr(pl.col(name))).alias(name) for name in text
    )


def _write(run: CheckRun, fmt: str, output: Path | None, *, raw: bool = False) -> None:
    frame = _export_frame(run)
    if fmt == "csv" and not raw:
        # JSON needs neither guard (its encoder escapes control characters, and nobody opens
        # it as a spreadsheet); Parquet is typed data for programs.
        frame = _guarded(frame)
    if fmt == "parquet":
        assert output is not None
        frame.write_parquet(output)
        return
    if fmt == "table":
        if output is None:
            _table(run, sys.stdout)
        else:
            with output.open("w", encoding="utf-8") as handle:
                _table(run, handle)
        return
    # Written straight to the file or to stdout's bytes: a million findings as one Python string
    # (then encoded again) had cost ~3 s and ~2 GB more than polars writing them itself.
    if output is None:
        sys.stdout.flush()
        _write_text_format(frame, fmt, cast(io.BufferedIOBase, sys.stdout.buffer))
        sys.stdout.buffer.flush()
    else:
        with output.open("wb") as handle:
            _write_text_format(frame, fmt, handle)


def _write_text_format(frame: pl.DataFrame, fmt: str, handle: io.BufferedIOBase) -> None:
    """`frame` as JSON (one array, then a newline) or CSV onto `handle`."""
    if fmt == "json":
        frame.write_json(handle)
        handle.write(b"\n")
    else:
        frame.write_csv(cast(IO[bytes], handle))  # the same handle; polars types the two apart


def _table(run: CheckRun, handle: TextIO) -> None:
    """The summary per check and the top findings, as rich tables."""
    import polars as pl
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from gomoq.safe_text import printable

    console = Console(file=handle, width=max(100, Console(file=handle).width))
    summary = Table(
        title=Text(f"gomoq check — {printable(run.profile)} ({run.summary.contacts:,} contacts)")
    )
    for col in ("check", "error", "warn", "info", "decided", "dismissed", "seconds"):
        summary.add_column(col, justify="left" if col == "check" else "right")
    for s in run.summary.checks.values():
        summary.add_row(
            s.name,
            f"{s.error:,}",
            f"{s.warn:,}",
            f"{s.info:,}",
            f"{s.decided:,}",
            f"{s.dismissed_hidden:,}",
            f"{s.seconds:.2f}",
        )
    console.print(summary)
    console.print(
        f"{run.summary.seconds:.1f} s in all (the checks run side by side, so their seconds "
        "overlap)."
    )
    if run.summary.unknown_statuses:
        listed = ", ".join(f"{printable(k)}×{v}" for k, v in run.summary.unknown_statuses.items())
        console.print(f"Unknown call statuses (kept, not counted as failures): {listed}")
    changes = run.summary.changes
    if changes is not None:
        console.print(
            f"Since the previous sync: {changes.contacts_added:,} contacts added, "
            f"{changes.contacts_removed:,} removed, {changes.contacts_updated:,} updated; "
            f"{changes.calls_added:,} new calls."
        )
    if run.findings.height == 0:
        console.print("No findings.")
        return
    console.print(f"Top findings ({min(TOP, run.findings.height)} of {run.findings.height:,}):")
    # Two lines per finding instead of a table: eight columns leave an 80-120 column terminal
    # no room for the evidence, which is what the operator reads. Text objects, not markup:
    # values are the organisation's data and may contain brackets.
    for row in _printable_rows(run.findings.head(TOP)):
        head = Text()
        head.append(f"{row['severity']:<5}", style=_SEVERITY_STYLE.get(row["severity"], ""))
        # The id first: it is what `gomoq decide` takes, so a narrow terminal must not cut it.
        head.append(f"  {row['finding_id']}", style="dim")
        head.append(f"  {row['check']}/{row['kind'] or ''}", style="bold")
        head.append(f"  contact {_short(row['contact_id'], 13)}")
        if row["field"]:
            head.append(f"  {row['field']} = {_short(row['value'], 40)}")
        console.print(head, overflow="ellipsis", no_wrap=True)
        console.print(Text("      " + _short(row["evidence"], 240)), overflow="fold")
    decided = run.findings.filter(pl.col("decision").is_not_null()).height
    if decided:
        console.print(f"{decided:,} shown findings already have a decision.")


_SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}


def _printable_rows(frame: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """The rows of `frame` with every text value safe for a terminal (an organisation's data
    may hold escape sequences: a screen clear, an OSC 52 clipboard write)."""
    from gomoq.safe_text import printable

    for row in frame.iter_rows(named=True):
        yield {k: printable(v) if isinstance(v, str) else v for k, v in row.items()}


def _short(value: Any, width: int = 30) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command()
@profile_option
@click.argument("finding_ids", nargs=-1, required=True)
@click.option("--dismiss", "action", flag_value="dismiss", help="Dismiss the findings.")
@click.option("--undo", "action", flag_value="undo", help="Take back their decisions.")
@click.option("--note", default=None, help="A comment kept with the decision.")
def decide(
    profile_name: str | None, finding_ids: tuple[str, ...], action: str | None, note: str | None
) -> None:
    """Record a decision on findings by id (from `gomoq check --format json`).

    A dismissed finding stays hidden on later runs until its data changes.
    """
    from gomoq.services.checks import forget_decision, record_decision

    if action is None:
        raise click.UsageError("Say what to do: --dismiss or --undo.")
    profile = load_profile_or_exit(profile_name)
    try:
        if action == "dismiss":
            done = record_decision(profile, list(finding_ids), "dismissed", note=note)
            click.echo(f"Dismissed {len(done)} finding(s).", err=True)
        else:
            undone = forget_decision(profile, list(finding_ids))
            click.echo(f"Took back {len(undone)} decision(s).", err=True)
    except UsageError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
