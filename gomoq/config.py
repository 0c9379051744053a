"""Profiles: which Gomobile organisation to talk to, and how (style habits 9 and 10).

The config file is TOML at `gomoq.paths.config_file()`:

```toml
active = "prod"

[profiles.prod]
base_url = "https://api.gomobile.ma/api"
api_key_env = "GOMOBILE_API_KEY"   # or api_key = "..." (then the file is written 0600)
region = "MA"                      # default region for phone numbers
rate_limit = 10.0                  # requests per second
auth_scheme = "x-api-key"          # or "bearer"
update_method = "auto"             # "auto" (PATCH, PUT on 405), "put" or "patch"

[profiles.prod.checks]             # thresholds, read by gomoq.checks.settings
```

Environment: `GOMOQ_PROFILE` chooses the profile when none is given; `GOMOQ_API_KEY` overrides
the profile's key. Every error is a `ConfigError` with one sentence, never the key.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from gomoq import paths
from gomoq.errors import ConfigError
from gomoq.secrets import clean_key, mask, register_secret

AUTH_SCHEMES = ("x-api-key", "bearer")
UPDATE_METHODS = ("auto", "put", "patch")
DEFAULT_RATE_LIMIT = 10.0
NO_PROFILE_YET = "No profile yet: run `gomoq profile add NAME --base-url URL` or `gomoq demo`."


@dataclass(frozen=True)
class Profile:
    """One organisation's connection settings; `api_key` is masked in `repr`.

    `key_source` says where the key came from: `"file"`, `"env:VAR"` or `"GOMOQ_API_KEY"`
    (or `"none"` for a profile listed without its key being available).
    """

    name: str
    base_url: str
    api_key: str = field(repr=False, default="")
    region: str = "MA"
    rate_limit: float = DEFAULT_RATE_LIMIT
    auth_scheme: str = "x-api-key"
    update_method: str = "auto"
    checks: dict[str, Any] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)
    """Named filters (`gomoq segment`): name -> filter text (`gomoq.filters`)."""
    api_key_env: str | None = None
    key_source: str = "file"

    def __repr__(self) -> str:
        return (
            f"Profile(name={self.name!r}, base_url={self.base_url!r}, "
            f"api_key={mask(self.api_key)!r}, region={self.region!r}, "
            f"rate_limit={self.rate_limit!r}, auth_scheme={self.auth_scheme!r}, "
            f"update_method={self.update_method!r}, key_source={self.key_source!r})"
        )

    __str__ = __repr__


def validate_profile_name(name: str) -> str:
    """A profile name is a short word (letters, digits, `-`, `_`), used as a cache folder name."""
    ok = bool(name) and len(name) <= 64 and all(c.isalnum() or c in "-_" for c in name)
    if not ok or name.startswith("-"):
        raise ConfigError(
            f"The profile name {name!r} is not valid: use letters, digits, '-' and '_' only."
        )
    return name


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> str:
    """Check a base URL and return it without a trailing slash.

    Plain HTTP is allowed only to a loopback host (the sandbox), since the key travels in a
    header on every request.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        raise ConfigError(f"The base URL {text!r} is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(
            f"The base URL {text!r} must start with https:// and name a host "
            "(for example https://api.gomobile.ma/api)."
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"The base URL {text!r} uses plain HTTP to {host}, which would send the API key "
            "unencrypted: use https:// (plain HTTP is allowed only to localhost)."
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"The base URL {text!r} must not carry a query or fragment.")
    return text.rstrip("/")


PROFILE_KEYS = (
    "base_url",
    "api_key_env",
    "api_key",
    "region",
    "rate_limit",
    "auth_scheme",
    "update_method",
    "checks",
    "segments",
)
TOP_KEYS = ("active", "profiles")


def _unknown(keys: Any, known: tuple[str, ...], where: str) -> list[str]:
    import difflib

    out = []
    for key in sorted(str(k) for k in keys if k not in known):
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" — did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
        out.append(f"unknown setting {key!r} in {where}{hint}")
    return out


def config_warnings(name: str | None = None, path: Path | None = None) -> list[str]:
    """What is wrong but not fatal in the config file: settings gomoq does not know (a typo
    such as `ratelimit` would silently leave the default in force), and a file that holds a
    key while others may read it. One sentence each; `name` limits to one profile."""
    path = path or paths.config_file()
    data = _read_config(path)
    if not data:
        return []
    out = _unknown(data.keys(), TOP_KEYS, f"{path}")
    profiles: dict[str, Any] = data.get("profiles", {})
    for pname, table in profiles.items():
        if name is None or pname == name:
            out += _unknown(table.keys(), PROFILE_KEYS, f"profile {pname!r}")
    holds_key = any(isinstance(t.get("api_key"), str) and t["api_key"] for t in profiles.values())
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return out
    if holds_key and mode & 0o077:
        out.append(
            f"{path} holds an API key but its mode is {mode:04o}, so others on this machine may "
            f"read it: run `chmod 600 {path}`"
        )
    return out


def _read_config(path: Path | None = None) -> dict[str, Any]:
    path = path or paths.config_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror}.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The config file {path} is not valid TOML ({exc}).") from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(
            f"The config file {path} is malformed: `profiles` must be tables like [profiles.NAME]."
        )
    return data


def _write_config(data: dict[str, Any], path: Path | None = None) -> None:
    """Write the config atomically (temp file + replace), 0600 from the first byte."""
    path = path or paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = tomli_w.dumps(data).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        # mkstemp already creates the file 0600; chmod states the intent and covers odd umasks.
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _profile_from_table(name: str, table: dict[str, Any], *, strict: bool) -> Profile:
    where = f"Profile {name!r}"
    base_url = table.get("base_url")
    if not isinstance(base_url, str):
        raise ConfigError(f"{where} has no base_url: set one with `gomoq profile add`.")
    base_url = validate_base_url(base_url)
    region = table.get("region", "MA")
    if not isinstance(region, str) or len(region) != 2 or not region.isalpha():
        raise ConfigError(f"{where} has region {region!r}: use a two-letter code such as MA.")
    rate = table.get("rate_limit", DEFAULT_RATE_LIMIT)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1000:
        raise ConfigError(
            f"{where} has rate_limit {rate!r}: use a number of requests per second above 0."
        )
    scheme = table.get("auth_scheme", "x-api-key")
    if scheme not in AUTH_SCHEMES:
        raise ConfigError(f"{where} has auth_scheme {scheme!r}: use x-api-key or bearer.")
    method = table.get("update_method", "auto")
    if method not in UPDATE_METHODS:
        raise ConfigError(f"{where} has update_method {method!r}: use auto, put or patch.")
    checks = table.get("checks", {})
    if not isinstance(checks, dict):
        raise ConfigError(f"{where} has a `checks` entry that is not a table.")
    segments = table.get("segments", {})
    if not isinstance(segments, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in segments.items()
    ):
        raise ConfigError(f"{where} has a `segments` entry that is not a table of filters.")
    key_env = table.get("api_key_env")
    if key_env is not None and (not isinstance(key_env, str) or not key_env):
        raise ConfigError(f"{where} has an empty or invalid api_key_env.")

    key, source = "", "none"
    # whitespace around a key is never part of it (e.g. the CR of a key file saved with CRLF)
    override = clean_key(os.environ.get("GOMOQ_API_KEY"))
    file_key = table.get("api_key")
    file_key = clean_key(file_key) if isinstance(file_key, str) else None
    if override:
        register_secret(os.environ.get("GOMOQ_API_KEY"))
        key, source = override, "GOMOQ_API_KEY"
    elif file_key:
        register_secret(table.get("api_key"))
        key, source = file_key, "file"
    elif key_env:
        register_secret(os.environ.get(key_env))
        value = clean_key(os.environ.get(key_env))
        if value:
            key, source = value, f"env:{key_env}"
        elif strict:
            raise ConfigError(
                f"{where} reads its API key from the environment variable {key_env}, "
                "which is not set."
            )
        else:
            source = f"env:{key_env}"
    elif strict:
        raise ConfigError(
            f"{where} has no API key: set api_key_env, or run `gomoq profile add {name} "
            "--base-url URL --api-key-stdin` again."
        )
    register_secret(key)
    return Profile(
        name=name,
        base_url=base_url,
        api_key=key,
        region=region.upper(),
        rate_limit=float(rate),
        auth_scheme=scheme,
        update_method=method,
        checks=dict(checks),
        segments=dict(segments),
        api_key_env=key_env,
        key_source=source,
    )


def active_profile_name() -> str | None:
    """The profile used when none is named: `GOMOQ_PROFILE`, then the file's `active`."""
    env = os.environ.get("GOMOQ_PROFILE")
    if env:
        return env
    active = _read_config().get("active")
    return active if isinstance(active, str) and active else None


def load_profile(name: str | None = None) -> Profile:
    """Load a profile with its key resolved.

    `name` None means `GOMOQ_PROFILE`, then the active profile, then the only profile if there
    is exactly one. Raises `ConfigError` (one sentence) for no profiles at all, an unknown
    name, an invalid entry or a key that cannot be found.
    """
    data = _read_config()
    profiles: dict[str, Any] = data.get("profiles", {})
    if name is None:
        name = os.environ.get("GOMOQ_PROFILE") or None
    if name is None:
        active = data.get("active")
        name = active if isinstance(active, str) and active else None
    if not profiles:
        if name is not None:
            raise ConfigError(
                f"No profile named {name!r}: there are no profiles yet; run "
                f"`gomoq profile add {name} --base-url URL` or `gomoq demo`."
            )
        raise ConfigError(NO_PROFILE_YET)
    if name is None:
        if len(profiles) == 1:
            name = next(iter(profiles))
        else:
            raise ConfigError(
                "No active profile: choose one with `gomoq profile use NAME` or --profile."
            )
    if name not in profiles:
        known = ", ".join(sorted(profiles))
        raise ConfigError(f"No profile named {name!r} (known profiles: {known}).")
    return _profile_from_table(name, profiles[name], strict=True)


def list_profiles() -> list[Profile]:
    """Every profile in the file, keys resolved when available (`api_key` may be empty)."""
    profiles: dict[str, Any] = _read_config().get("profiles", {})
    return [_profile_from_table(n, t, strict=False) for n, t in sorted(profiles.items())]


def save_profile(
    profile: Profile, *, store_key: bool | None = None, activate: bool = False
) -> None:
    """Add or replace a profile in the config file (atomic write, 0600).

    The key is written to the file only when `store_key` is true, or when it is None and the
    profile has no `api_key_env` to read it from. The first profile becomes the active one.
    """
    validate_profile_name(profile.name)
    base_url = validate_base_url(profile.base_url)
    data = _read_config()
    profiles: dict[str, Any] = data.setdefault("profiles", {})
    table: dict[str, Any] = {"base_url": base_url}
    if store_key is None:
        store_key = profile.api_key_env is None
    if profile.api_key_env:
        table["api_key_env"] = profile.api_key_env
    if store_key and profile.api_key:
        register_secret(profile.api_key)
        table["api_key"] = profile.api_key
    table["region"] = profile.region.upper()
    table["rate_limit"] = float(profile.rate_limit)
    table["auth_scheme"] = profile.auth_scheme
    table["update_method"] = profile.update_method
    if profile.checks:
        table["checks"] = dict(profile.checks)
    # Segments are the operator's work: a profile saved again without any (`gomoq demo`,
    # `gomoq profile add` over an existing name) keeps those the file holds.
    old = profiles.get(profile.name)
    kept = old.get("segments") if isinstance(old, dict) else None
    if profile.segments:
        table["segments"] = dict(profile.segments)
    elif isinstance(kept, dict) and kept:
        table["segments"] = dict(kept)
    # Validate the table as it will be read back, so a bad value never reaches the file.
    _profile_from_table(profile.name, table, strict=False)
    profiles[profile.name] = table
    if activate or not data.get("active") or data.get("active") not in profiles:
        data["active"] = profile.name
    _write_config(data)


def load_segments(name: str) -> dict[str, str] | None:
    """The segments of profile `name` as the config file holds them now (None: no such
    profile). The app reads them again on each visit: `gomoq segment add` may have run since."""
    table = _read_config().get("profiles", {}).get(name)
    if not isinstance(table, dict):
        return None
    segments = table.get("segments", {})
    if not isinstance(segments, dict):
        return {}
    return {str(k): str(v) for k, v in segments.items() if isinstance(v, str)}


def set_segments(name: str, segments: dict[str, str]) -> None:
    """Replace the segments (named filters) of profile `name` in the config file."""
    data = _read_config()
    profiles: dict[str, Any] = data.get("profiles", {})
    if name not in profiles:
        raise ConfigError(f"No profile named {name!r}.")
    if segments:
        profiles[name]["segments"] = dict(segments)
    else:
        profiles[name].pop("segments", None)
    _write_config(data)


def set_active(name: str) -> None:
    """Make `name` the profile used by default."""
    data = _read_config()
    profiles: dict[str, Any] = data.get("profiles", {})
    if name not in profiles:
        if not profiles:
            raise ConfigError(NO_PROFILE_YET)
        raise ConfigError(f"No profile named {name!r} (known profiles: {', '.join(profiles)}).")
    data["active"] = name
    _write_config(data)


def remove_profile(name: str) -> None:
    """Delete a profile from the file (its cache and state are left alone)."""
    data = _read_config()
    profiles: dict[str, Any] = data.get("profiles", {})
    if name not in profiles:
        raise ConfigError(f"No profile named {name!r}: nothing to remove.")
    del profiles[name]
    if data.get("active") == name:
        if profiles:
            data["active"] = sorted(profiles)[0]
        else:
            data.pop("active", None)
    _write_config(data)
