"""`gomoq` with no sub-command: open the workbench on the active (or named) profile.

With no profile at all the app opens on a first-run screen; choosing "start the demo" there
leaves the app and runs `gomoq demo`.
"""

from __future__ import annotations

import click

from gomoq.cli.options import profile_option
from gomoq.config import Profile, list_profiles, load_profile
from gomoq.tui.app import GomoqApp


def run_app(profile: Profile | None) -> str | None:
    """Run the Textual app until the operator quits; returns what the app exited with."""
    app = GomoqApp(profile)
    result = app.run()
    # A job still running (a sync retrying an unreachable server, say) was asked to stop when the
    # app closed; Python waits for its thread, so say why the prompt does not come back at once.
    if app.unfinished_jobs:
        jobs = ", ".join(sorted(set(app.unfinished_jobs)))
        click.echo(f"Stopping the running job ({jobs}) at its next safe point…", err=True)
    return result


@click.command(name="app")
@profile_option
@click.pass_context
def open_app(ctx: click.Context, profile_name: str | None = None) -> None:
    """Open the workbench (the default when `gomoq` is run without a command)."""
    profile: Profile | None = None
    if profile_name is not None or list_profiles():
        profile = load_profile(profile_name)
    # else: no profile at all yet, and the app opens on its first-run screen
    if run_app(profile) == "demo":
        # `gomoq demo`, found through the lazy group (demo_cmd runs the app: no import back)
        root = ctx.find_root()
        assert isinstance(root.command, click.Group)
        demo = root.command.get_command(root, "demo")
        assert demo is not None
        ctx.invoke(demo)
