"""`gomoq locate`: print where gomoq keeps its config, cache, state and logs."""

from __future__ import annotations

import json

import click

from gomoq import paths


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def locate(fmt: str) -> None:
    """Print the config file, cache, data (state database) and log locations."""
    loc = paths.locations()
    rows = {
        "config": str(loc.config_file),
        "cache": str(loc.cache_dir),
        "data": str(loc.data_dir),
        "state": str(loc.state_db),
        "logs": str(loc.log_dir),
    }
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        for key, value in rows.items():
            click.echo(f"{key:<7} {value}")
