"""`gomoq demo`: the newcomer's first command.

Starts a local sandbox in the background over a generated organisation (kept in
`<data dir>/demo/`, re-used next time; `--fresh` regenerates it), points a `demo` profile at it,
syncs with a progress bar on stderr, then opens the workbench. Quitting the app stops the sandbox.
Nothing real is touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from gomoq import paths
from gomoq.cli import run_workbench
from gomoq.cli.progress_bar import progress_bar
from gomoq.config import Profile, save_profile

DEMO_PROFILE = "demo"
DEFAULT_CONTACTS = 5_000


def demo_dir() -> Path:
    """Folder of the demo organisation's database."""
    return paths.data_dir() / "demo"


def demo_db() -> Path:
    """The demo sandbox's SQLite database."""
    return demo_dir() / "demo.sqlite3"


def prepare_organisation(db: Path, contacts: int, fresh: bool) -> None:
    """Generate the demo organisation unless it is already there (or regenerate with `fresh`)."""
    folder = db.parent
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(paths.profile_cache_dir(DEMO_PROFILE), ignore_errors=True)
    if db.exists():
        return
    from gomoq.sandbox.generator import generate_organisation

    # Generated in a side folder renamed at the end, so an interrupted run is never re-used.
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with progress_bar("Generating the demo organisation") as progress:
        generate_organisation(partial / db.name, contacts=contacts, seed=42, progress=progress)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def start_sandbox(db: Path) -> Any:
    """Start the sandbox over `db` in the background, rate limit off (it is local)."""
    from gomoq.sandbox.runner import start_background
    from gomoq.sandbox.settings import SandboxSettings

    return start_background(db, port=0, settings=SandboxSettings(rate_limit=0))


@click.command()
@click.option("--fresh", is_flag=True, help="Regenerate the demo organisation from scratch.")
@click.option(
    "--contacts",
    type=click.IntRange(min=10, max=2_000_000),
    default=DEFAULT_CONTACTS,
    show_default=True,
    help="Size of the generated organisation (used when it is generated).",
)
@click.option("--no-app", is_flag=True, help="Prepare and sync, but do not open the app.")
def demo(fresh: bool = False, contacts: int = DEFAULT_CONTACTS, no_app: bool = False) -> None:
    """Try gomoq on a generated organisation served by a local sandbox."""
    db = demo_db()
    prepare_organisation(db, contacts, fresh)
    click.echo("Starting the sandbox…", err=True)
    running = start_sandbox(db)
    try:
        profile = Profile(
            name=DEMO_PROFILE,
            base_url=running.base_url,
            api_key=running.api_key,
            rate_limit=1000.0,
        )
        save_profile(profile, store_key=True)
        click.echo(f"Sandbox at {running.base_url} (profile `{DEMO_PROFILE}`).", err=True)
        from gomoq.services.sync import sync

        with progress_bar("Syncing") as progress:
            sync(profile, progress=progress)
        if no_app:
            return
        run_workbench(profile)
    finally:
        running.stop()
        click.echo("Sandbox stopped.", err=True)
