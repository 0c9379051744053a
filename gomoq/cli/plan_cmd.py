"""`gomoq plan`, `gomoq apply`, `gomoq history`, `gomoq undo`: decisions → plan → journaled run.

Exit codes of `apply` and `undo`: 0 when everything was done, 1 when anything failed (resume
with `gomoq apply --resume RUN`) or an undo could not undo a change (it names it), 3 when
nothing failed but some actions were skipped as conflicts (the contact changed since review),
130 when cancelled.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from gomoq.cli.options import load_profile_or_exit, profile_option
from gomoq.cli.progress_bar import progress_bar
from gomoq.errors import UsageError
from gomoq.progress import ProgressFn

EXIT_FAILED = 1
EXIT_CONFLICTS = 3


@contextmanager
def _progress(description: str) -> Iterator[ProgressFn]:
    """The shared progress bar on stderr (one bar per task, with an ETA)."""
    with progress_bar(description) as fn:
        yield fn


def _summary(result: Any, fmt: str) -> None:
    from gomoq.plan.engine import RunResult

    assert isinstance(result, RunResult)
    if result.dry_run:
        if fmt == "json":
            click.echo(json.dumps(asdict(result), indent=2))
        else:
            click.echo(f"Dry run: {result.pending} units of work would be sent; nothing was.")
            for line in result.messages:
                click.echo(f"  {line}")
        return
    if fmt == "json":
        click.echo(json.dumps(asdict(result), indent=2))
    else:
        click.echo(result.headline())
        for line in result.messages[:50]:
            click.echo(f"  {line}")
        if len(result.messages) > 50:
            click.echo(f"  ... and {len(result.messages) - 50} more (use --format json)")
    if result.state == "cancelled":
        click.echo(f"Cancelled; finish with `gomoq apply --resume {result.run_id}`.", err=True)
        sys.exit(130)
    if result.not_undone:
        click.echo(
            f"{result.not_undone} change(s) could not be undone (named above); "
            "check those contacts by hand.",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    if result.failed or result.pending:
        click.echo(
            f"Some actions failed; retry them with `gomoq apply --resume {result.run_id}`.",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    if result.conflicts:
        sys.exit(EXIT_CONFLICTS)


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Output format on stdout.",
)


@click.group(invoke_without_command=True)
@click.option("--from-decisions", is_flag=True, help="Build the plan from the decisions taken.")
@click.option(
    "--auto",
    "rules",
    multiple=True,
    metavar="RULE",
    help="Build the plan from findings by RULE[:key=value...] (repeatable): merge-exact, "
    "normalise-phones, flag-invalid-phones, delete-invalid-phones, flag-repeated-failures, "
    "flag-inactive, remove-inactive-from-audiences, delete-inactive; e.g. "
    "'merge-exact:confidence>=0.9:survivor=most-complete' (quoted: >= is a shell redirection).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the plan to FILE (default: stdout).",
)
@profile_option
@click.pass_context
def plan(
    ctx: click.Context,
    from_decisions: bool,
    rules: tuple[str, ...],
    output: Path | None,
    profile_name: str | None,
) -> None:
    """Make a plan (a reviewable JSON file of changes), or `plan show FILE` to read one."""
    if ctx.invoked_subcommand is not None:
        return
    if from_decisions == bool(rules):
        raise click.UsageError("Use either --from-decisions or --auto RULE (not both, not none).")
    from gomoq.services import plan as svc

    profile = load_profile_or_exit(profile_name)
    notes: list[str] = []
    made = (
        svc.plan_from_decisions(profile)
        if from_decisions
        else svc.plan_auto(profile, rules, notes=notes)
    )
    for note in notes:
        click.echo(note, err=True)
    if output is None:
        click.echo(made.to_json(), nl=False)
    else:
        made.save(output)
        count = len(made.actions)
        click.echo(f"Wrote {count} action{'' if count == 1 else 's'} to {output}.", err=True)


@plan.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@FORMAT
def show(file: Path, fmt: str) -> None:
    """Print a plan's changes field by field (before from the local cache)."""
    from gomoq.plan.model import Plan
    from gomoq.services import plan as svc

    rows = svc.describe(Plan.load(file))
    if fmt == "json":
        click.echo(json.dumps([asdict(r) for r in rows], indent=2, default=str))
        return
    if not rows:
        click.echo("The plan changes nothing.")
    for r in rows:
        click.echo(
            f"{r.action_id:<10} {r.kind:<22} {r.contact_id}  {r.field}: "
            f"{_show(r.before)} → {_show(r.after)}"
        )


def _show(value: Any) -> str:
    return "∅" if value is None else value if isinstance(value, str) else json.dumps(value)


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--resume", "run_id", metavar="RUN", help="Finish an interrupted run.")
@click.option("--dry-run", is_flag=True, help="Say what would be done; send nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--attributes-update",
    type=click.Choice(["merge", "replace"]),
    default="merge",
    show_default=True,
    help="Whether the server merges or replaces customAttributes on update.",
)
@FORMAT
@profile_option
def apply(
    file: Path | None,
    run_id: str | None,
    dry_run: bool,
    yes: bool,
    attributes_update: str,
    fmt: str,
    profile_name: str | None,
) -> None:
    """Apply a plan FILE through the API (journaled; resumable; undoable)."""
    from gomoq.plan.model import Plan
    from gomoq.services import plan as svc

    if (file is None) == (run_id is None):
        raise click.UsageError("Give a plan FILE or --resume RUN.")
    profile = load_profile_or_exit(profile_name)
    if run_id is not None:
        with _progress("resume") as progress:
            result = svc.resume(profile, run_id, progress=progress)
        _summary(result, fmt)
        return
    assert file is not None
    loaded = Plan.load(file)
    if not dry_run and not yes:
        if not sys.stdin.isatty():
            raise UsageError("Refusing to apply without --yes when not run interactively.")
        click.confirm(
            f"Apply {len(loaded.actions)} actions of {file} to profile {profile.name}?",
            abort=True,
            err=True,
        )
    with _progress("apply") as progress:
        result = svc.apply(
            profile,
            loaded,
            dry_run=dry_run,
            progress=progress,
            plan_path=str(file),
            attributes_update=attributes_update,
        )
    if dry_run:
        # with --format json stdout is exactly one JSON document: the lines go to stderr
        for r in svc.describe(loaded):
            click.echo(
                f"would change {r.contact_id} {r.field}: {_show(r.before)} → {_show(r.after)}",
                err=fmt == "json",
            )
    _summary(result, fmt)


@click.command()
@FORMAT
@profile_option
def history(fmt: str, profile_name: str | None) -> None:
    """List the apply and undo runs (when, plan, counts, state)."""
    from gomoq.services import plan as svc

    profile = load_profile_or_exit(profile_name)
    runs = svc.history(profile)
    if fmt == "json":
        click.echo(json.dumps([asdict(r) for r in runs], indent=2))
        return
    if not runs:
        click.echo("No runs yet.")
    for r in runs:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items()))
        what = f"undo of {r.undo_of}" if r.undo_of else (r.plan or "(plan)")
        click.echo(f"{r.run_id}  {r.created_at}  {r.kind:<5} {r.state:<9} {what}  [{counts}]")


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option("--dry-run", is_flag=True, help="Say what would be undone; send nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@FORMAT
@profile_option
def undo(run_id: str, dry_run: bool, yes: bool, fmt: str, profile_name: str | None) -> None:
    """Reverse an applied RUN from its before-images (itself journaled and resumable)."""
    from gomoq.services import plan as svc

    profile = load_profile_or_exit(profile_name)
    if not dry_run and not yes:
        if not sys.stdin.isatty():
            raise UsageError("Refusing to undo without --yes when not run interactively.")
        click.confirm(f"Undo run {run_id} on profile {profile.name}?", abort=True, err=True)
    with _progress("undo") as progress:
        result = svc.undo(profile, run_id, dry_run=dry_run, progress=progress)
    _summary(result, fmt)
