"""`gomoq audience refresh`: plan static audiences equal to segments.

    gomoq audience refresh --engagement -o plan.json && gomoq apply plan.json --yes

Exit status 2 on a usage error (an unknown segment, a filter that does not parse, an output in a
folder that does not exist) — and then no plan file is written.
"""

from __future__ import annotations

from pathlib import Path

import click

from gomoq.cli.options import load_profile_or_exit, profile_option
from gomoq.errors import UsageError


@click.group()
def audience() -> None:
    """Static audiences kept equal to segments."""


@audience.command()
@profile_option
@click.argument("segments", nargs=-1, metavar="[SEGMENT]...")
@click.option("--all", "all_", is_flag=True, help="Every segment of the profile.")
@click.option(
    "--engagement",
    is_flag=True,
    help="Set up the three engagement segments (Active, At Risk, Inactive) and refresh them.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Plan file to write (then `gomoq apply FILE`).",
)
def refresh(
    profile_name: str | None,
    segments: tuple[str, ...],
    all_: bool,
    engagement: bool,
    output: Path,
) -> None:
    """Plan the changes that make each SEGMENT's static audience equal to it."""
    from gomoq.safe_text import printable  # polars: loaded only when the command runs
    from gomoq.services.audiences import refresh_plan, segment, with_engagement
    from gomoq.services.checks import open_snapshot, settings_for
    from gomoq.services.selection import selection_for

    if not output.parent.is_dir():
        raise UsageError(f"The folder {output.parent} does not exist: no plan was written.")
    profile = load_profile_or_exit(profile_name)
    names = list(dict.fromkeys(segments))
    for name in names:
        segment(profile, name)  # an unknown one stops here
    if not (names or all_ or engagement):
        raise UsageError("Name the segments to refresh, or use --all or --engagement.")
    settings = settings_for(profile)
    snapshot = open_snapshot(profile.name)
    selection = selection_for(snapshot, settings)
    if engagement:
        profile, extra = with_engagement(profile, settings)
        names += [n for n in extra if n not in names]
    if all_:
        names += [n for n in sorted(profile.segments) if n not in names]
    plan, states = refresh_plan(profile, selection, names)
    plan.save(output)
    for state in states:
        if state.audience_id is None:
            what = f"create the audience, add {len(state.joiners):,}"
        elif state.changes:
            what = f"add {len(state.joiners):,}, remove {len(state.leavers):,}"
        else:
            what = "already equal"
        click.echo(
            f"{printable(state.segment)}: {state.matching:,} contacts match; {what}", err=True
        )
    changes = sum(s.changes for s in states)
    click.echo(
        f"Wrote {output} with {len(plan.actions)} audience action(s), {changes:,} change(s); "
        f"`gomoq apply {output}` sends them.",
        err=True,
    )
