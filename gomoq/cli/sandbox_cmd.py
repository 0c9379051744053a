"""`gomoq sandbox`: serve a local, Gomobile-compatible API over a generated organisation.

The database survives restarts; it is generated on first start (progress bar on stderr). stdout
gets the base URL and the API key; stderr everything else.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

from gomoq import paths
from gomoq.errors import UsageError
from gomoq.secrets import register_secret

DEFAULT_CONTACTS = 5_000


def default_db() -> Path:
    """Where `gomoq sandbox` keeps its organisation unless `--db` says otherwise."""
    return paths.data_dir() / "sandbox" / "sandbox.sqlite3"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ensure_organisation(db: Path, contacts: int, seed: int, api_key: str | None) -> None:
    """Generate the organisation into `db` unless it already holds one (progress on stderr)."""
    from gomoq.cli.progress_bar import progress_bar
    from gomoq.sandbox.runner import ensure_organisation as ensure
    from gomoq.sandbox.runner import has_contacts

    if has_contacts(db):
        return
    click.echo(f"Generating an organisation of {contacts:,} contacts (seed {seed})…", err=True)
    with progress_bar("Generating") as progress:
        ensure(db, contacts=contacts, seed=seed, api_key=api_key, progress=progress)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port (0 = any free port).",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="SQLite file of the organisation [default: <data dir>/sandbox/sandbox.sqlite3].",
)
@click.option(
    "--contacts",
    default=DEFAULT_CONTACTS,
    show_default=True,
    type=click.IntRange(1, 5_000_000),
    help="Contacts to generate on first start.",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Generator seed.")
@click.option(
    "--rate-limit",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Requests per second per API key (0 = off).",
)
@click.option(
    "--latency-ms",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Latency added to every /api answer.",
)
@click.option("--api-key", default=None, help="Serve with this key instead of the stored one.")
@click.option(
    "--set",
    "switches",
    multiple=True,
    metavar="NAME=JSON",
    help="A behaviour or fault switch, e.g. update_method=put or "
    "faults.error_rate=0.1 (repeatable; see README).",
)
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host.")
@click.option("--ready-line", is_flag=True, hidden=True)
def sandbox(
    host: str,
    port: int,
    db_path: Path | None,
    contacts: int,
    seed: int,
    rate_limit: float,
    latency_ms: int,
    api_key: str | None,
    switches: tuple[str, ...],
    allow_remote: bool,
    ready_line: bool,
) -> None:
    """Serve a local Gomobile-compatible API (the sandbox) over a generated organisation."""
    from gomoq.sandbox.runner import (
        SETTINGS_ENV,
        base_url_of,
        bind_socket,
        serve,
        settings_from_json,
        stored_key,
    )
    from gomoq.sandbox.settings import SandboxSettings, SettingsError, apply_update

    if not is_loopback(host) and not allow_remote:
        raise UsageError(
            f"Refusing to listen on {host}, which is not a loopback address: "
            "pass --allow-remote if you really mean it."
        )
    register_secret(api_key)
    db = db_path or default_db()
    if SETTINGS_ENV in os.environ:
        settings = settings_from_json(os.environ[SETTINGS_ENV])
    else:
        settings = SandboxSettings(rate_limit=rate_limit, latency_ms=latency_ms, api_key=api_key)
    try:
        apply_update(settings, _parse_switches(switches))
    except SettingsError as exc:
        raise UsageError(f"Bad --set value: {exc}.") from None
    ensure_organisation(db, contacts, seed, settings.api_key)
    sock = bind_socket(host, port)
    url = base_url_of(sock)
    key = settings.api_key or stored_key(db)
    register_secret(key)
    if ready_line:
        click.echo(f"READY {url}")
    else:
        click.echo(f"base URL: {url}")
        click.echo(f"API key:  {key}")
        click.echo(f"Serving {db} (rate limit {settings.rate_limit:g}/s); Ctrl-C stops.", err=True)
    serve(db, settings, sock)


def _parse_switches(switches: tuple[str, ...]) -> dict[str, object]:
    import json

    out: dict[str, object] = {}
    for item in switches:
        name, sep, raw = item.partition("=")
        if not sep:
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}.")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw  # a bare word like put or merge
        if name.startswith("faults."):
            faults = out.setdefault("faults", {})
            assert isinstance(faults, dict)
            faults[name.removeprefix("faults.")] = value
        else:
            out[name] = value
    return out
