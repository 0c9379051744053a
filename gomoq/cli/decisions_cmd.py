"""`gomoq decisions list|undo ID...`: the operator's decisions, headless.

The app shows the same list on the Plan screen (`v`) and takes one back with `u`; both call
`gomoq.services.decisions`. Exit status 2 when an id has no decision (nothing is changed then).
"""

from __future__ import annotations

import json
import sys

import click

from gomoq.cli.options import load_profile_or_exit, profile_option
from gomoq.errors import UsageError


@click.group()
def decisions() -> None:
    """List the decisions in force, or take some back."""


@decisions.command("list")
@profile_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="table: one line per decision; json: one array of decision objects.",
)
def list_cmd(profile_name: str | None, fmt: str) -> None:
    """Every decision in force, newest first: id, check, decision, detail, contacts, status.

    Status: `pending` (the next plan carries it out), `applied`, or `kept` (dismissed, skipped).
    """
    from gomoq.safe_text import printable
    from gomoq.services.decisions import list_decisions

    profile = load_profile_or_exit(profile_name)
    rows = list_decisions(profile)
    if fmt == "json":
        click.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False))
        return
    if not rows:
        click.echo("No decisions.", err=True)
        return
    for r in rows:
        contacts = f"{len(r.contact_ids)} contact" + ("" if len(r.contact_ids) == 1 else "s")
        line = (
            f"{r.finding_id}  {r.decided_at[:16].replace('T', ' ')}  {r.status:<7}  "
            f"{r.check or '-'}: {r.decision}"
            + (f" ({r.detail})" if r.detail else "")
            + f", {contacts}"
        )
        click.echo(printable(line))
    click.echo(f"{len(rows)} decision(s); `gomoq decisions undo ID` takes one back.", err=True)


@decisions.command("undo")
@profile_option
@click.argument("finding_ids", nargs=-1, required=True)
def undo_cmd(profile_name: str | None, finding_ids: tuple[str, ...]) -> None:
    """Take back decisions by finding id (or a unique prefix of 6+ characters): the decision each
    one replaced comes back (e.g. "skipped" after a merge), or the finding is open again."""
    from gomoq.safe_text import printable
    from gomoq.services.decisions import LABELS, resolve, take_back

    profile = load_profile_or_exit(profile_name)
    try:
        done = take_back(profile, resolve(profile, finding_ids))
    except UsageError as exc:
        click.echo(f"Error: {printable(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    for finding_id, now in done.items():
        state = "open" if now is None else f"back to {LABELS.get(now, now)}"
        click.echo(f"{finding_id}: {state}", err=True)
    click.echo(f"Took back {len(done)} decision(s).", err=True)
