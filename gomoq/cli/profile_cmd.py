"""`gomoq profile`: add, list, use, check and remove connection profiles."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from gomoq import config
from gomoq.config import Profile
from gomoq.errors import ConfigError, UsageError
from gomoq.secrets import clean_key, mask, register_secret


@click.group()
def profile() -> None:
    """Manage the profiles that point gomoq at a Gomobile organisation."""


async def _whoami(prof: Profile) -> dict[str, Any]:
    from gomoq.api import open_client

    async with open_client(prof, max_retries=2, timeout=15.0) as client:
        return await client.me()


def verify(prof: Profile) -> str:
    """Call `GET /users/me` with the profile's key; return a sentence naming the organisation.

    Raises the client's `ApiError` (wrong key, unreachable host...) as is.
    """
    me = asyncio.run(_whoami(prof))
    org = me.get("organization") if isinstance(me.get("organization"), dict) else {}
    assert isinstance(org, dict)
    org_name = org.get("name") or org.get("slug") or org.get("id") or "an unnamed organisation"
    who = me.get("email") or me.get("id") or "an unknown user"
    return f"The key reaches organisation {org_name!s} as {who!s}."


def _read_key_from_stdin() -> str:
    line = sys.stdin.readline()
    register_secret(line)
    key = clean_key(line)
    if not key:
        raise UsageError("No API key on standard input: pipe it in, e.g. `pass show gm | ...`.")
    return key


@profile.command("add")
@click.argument("name")
@click.option("--base-url", required=True, help="API base URL, e.g. https://api.gomobile.ma/api.")
@click.option(
    "--api-key-env", metavar="VAR", help="Read the key from this environment variable at run time."
)
@click.option(
    "--api-key-stdin", is_flag=True, help="Read the key from standard input and store it (0600)."
)
@click.option("--region", default="MA", show_default=True, help="Default phone region.")
@click.option(
    "--rate-limit", type=float, default=10.0, show_default=True, help="Requests per second."
)
@click.option(
    "--auth-scheme",
    type=click.Choice(["x-api-key", "bearer"]),
    default="x-api-key",
    show_default=True,
)
@click.option(
    "--update-method",
    type=click.Choice(["auto", "put", "patch"]),
    default="auto",
    show_default=True,
)
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Verify the key with GET /users/me before saving.",
)
@click.option("--replace", is_flag=True, help="Overwrite a profile of the same name.")
@click.option("--use", "make_active", is_flag=True, help="Make it the active profile.")
def add(
    name: str,
    base_url: str,
    api_key_env: str | None,
    api_key_stdin: bool,
    region: str,
    rate_limit: float,
    auth_scheme: str,
    update_method: str,
    check: bool,
    replace: bool,
    make_active: bool,
) -> None:
    """Add a profile NAME for the organisation at --base-url.

    The key comes from --api-key-env VAR (recommended: only the variable's name is stored),
    or --api-key-stdin (stored in the config file, written 0600), or a hidden prompt.
    """
    config.validate_profile_name(name)
    base_url = config.validate_base_url(base_url)
    if api_key_env and api_key_stdin:
        raise UsageError("Give the key one way: --api-key-env VAR or --api-key-stdin, not both.")
    existing = {p.name for p in config.list_profiles()}
    if name in existing and not replace:
        raise UsageError(f"Profile {name!r} already exists: add --replace to overwrite it.")
    if api_key_env:
        import os

        register_secret(os.environ.get(api_key_env))
        key = clean_key(os.environ.get(api_key_env))
        if not key and check:
            raise ConfigError(
                f"The environment variable {api_key_env} is not set, so the key cannot be "
                "checked: set it, or add --no-check."
            )
    elif api_key_stdin:
        key = _read_key_from_stdin()
    elif sys.stdin.isatty():
        key = click.prompt("API key", hide_input=True).strip()
    else:
        raise UsageError("Give the API key with --api-key-env VAR or --api-key-stdin.")
    register_secret(key)
    prof = Profile(
        name=name,
        base_url=base_url,
        api_key=key,
        region=region.upper(),
        rate_limit=rate_limit,
        auth_scheme=auth_scheme,
        update_method=update_method,
        api_key_env=api_key_env,
        key_source=f"env:{api_key_env}" if api_key_env else "file",
    )
    verdict = verify(prof) if check else "The key was not checked (--no-check)."
    config.save_profile(prof, activate=make_active)
    active = config.active_profile_name() == name
    click.echo(
        f"Saved profile {name!r}{' (active)' if active else ''}. {verdict}",
        err=True,
    )


@profile.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def list_(fmt: str) -> None:
    """List the profiles (keys masked); `*` marks the active one."""
    profiles = config.list_profiles()
    active = config.active_profile_name()
    rows: list[dict[str, Any]] = [
        {
            "name": p.name,
            "active": p.name == active,
            "base_url": p.base_url,
            "region": p.region,
            "rate_limit": p.rate_limit,
            "auth_scheme": p.auth_scheme,
            "update_method": p.update_method,
            "key": mask(p.api_key) if p.api_key else "(not set)",
            "key_source": p.key_source,
        }
        for p in profiles
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(config.NO_PROFILE_YET, err=True)
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        mark = "*" if r["active"] else " "
        click.echo(
            f"{mark} {r['name']:<{width}}  {r['base_url']}  region={r['region']}  "
            f"rate={r['rate_limit']:g}/s  key={r['key']} ({r['key_source']})"
        )


@profile.command("use")
@click.argument("name")
def use(name: str) -> None:
    """Make NAME the active profile."""
    config.set_active(name)
    click.echo(f"Profile {name!r} is now active.", err=True)


@profile.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove the profile NAME from the config file (its cache and history stay on disk)."""
    config.remove_profile(name)
    active = config.active_profile_name()
    tail = f" The active profile is now {active!r}." if active else ""
    click.echo(f"Removed profile {name!r}.{tail}", err=True)


@profile.command("check")
@click.argument("name", required=False)
def check_(name: str | None) -> None:
    """Verify a profile's key with GET /users/me (default: the active profile)."""
    prof = config.load_profile(name)
    for warning in config.config_warnings(prof.name):
        click.echo(f"Warning: {warning}.", err=True)
    click.echo(f"Profile {prof.name!r}: {verify(prof)}")
