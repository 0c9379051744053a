"""`gomoq segment add|list|remove|show`: named filters kept in the profile.

A segment is what `gomoq audience refresh` keeps a static audience equal to. Exit status 2 on a
usage error (a filter that does not parse, an unknown audience in it, a name that exists or
does not) — nothing is saved then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gomoq.cli.options import load_profile_or_exit, profile_option

if TYPE_CHECKING:
    from gomoq.services.selection import Selection


def _selection(profile_name: str) -> Selection | None:
    """The cache's contacts for counting and checking names (None without a cache)."""
    from gomoq.errors import UsageError
    from gomoq.services.checks import open_snapshot, settings_for
    from gomoq.services.selection import selection_for

    profile = load_profile_or_exit(profile_name)
    try:
        snapshot = open_snapshot(profile.name)
    except UsageError:
        return None
    return selection_for(snapshot, settings_for(profile))


@click.group()
def segment() -> None:
    """Named filters (segments) of the profile, for `gomoq audience refresh`."""


@segment.command("add")
@profile_option
@click.argument("name")
@click.argument("filter_text", metavar="FILTER")
def add(profile_name: str | None, name: str, filter_text: str) -> None:
    """Add segment NAME chosen by FILTER (e.g. 'band:at-risk')."""
    from gomoq.safe_text import printable  # polars: loaded only when the command runs
    from gomoq.services.audiences import add_segment

    profile = load_profile_or_exit(profile_name)
    selection = _selection(profile.name)
    add_segment(profile, name, filter_text, selection)
    count = ""
    if selection is not None:
        n = selection.ids(filter_text).len()
        count = f" ({n:,} contacts in the cache now)"
    click.echo(f"Segment {printable(name)!r} added{count}.", err=True)


@segment.command("list")
@profile_option
def list_(profile_name: str | None) -> None:
    """The segments: name, then filter (tab-separated)."""
    from gomoq.safe_text import printable  # polars: loaded only when the command runs

    profile = load_profile_or_exit(profile_name)
    if not profile.segments:
        click.echo("No segments yet: `gomoq segment add NAME FILTER`.", err=True)
    for name, text in sorted(profile.segments.items()):
        click.echo(f"{printable(name)}\t{printable(text)}")


@segment.command("remove")
@profile_option
@click.argument("name")
def remove(profile_name: str | None, name: str) -> None:
    """Remove segment NAME (its audience stays in Gomobile)."""
    from gomoq.safe_text import printable  # polars: loaded only when the command runs
    from gomoq.services.audiences import remove_segment

    remove_segment(load_profile_or_exit(profile_name), name)
    click.echo(f"Segment {printable(name)!r} removed.", err=True)


@segment.command("show")
@profile_option
@click.argument("name")
def show(profile_name: str | None, name: str) -> None:
    """Segment NAME: its filter, how many contacts match now, and its audience."""
    from gomoq.safe_text import printable  # polars: loaded only when the command runs
    from gomoq.services.audiences import audience_state, segment

    profile = load_profile_or_exit(profile_name)
    text = segment(profile, name)
    click.echo(f"segment   {printable(name)}")
    click.echo(f"filter    {printable(text)}")
    selection = _selection(profile.name)
    if selection is None:
        click.echo("contacts  (no cache yet: `gomoq sync`)")
        return
    state = audience_state(selection, name, text)
    click.echo(f"contacts  {state.matching:,} match now")
    if state.audience_id is None:
        click.echo("audience  none yet (`gomoq audience refresh` creates it)")
    else:
        click.echo(
            f"audience  {state.audience_id}: {state.members:,} members, "
            f"{len(state.joiners):,} would join, {len(state.leavers):,} would leave"
        )
