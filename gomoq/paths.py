"""Where gomoq keeps its files (style habit 9).

Every root comes from platformdirs unless an environment variable points it elsewhere, which is
also how tests isolate themselves:

- `GOMOQ_HOME`: one folder holding `config/`, `cache/`, `data/` and `logs/` (tests, portable use);
- `GOMOQ_CONFIG_DIR`, `GOMOQ_CACHE_DIR`, `GOMOQ_DATA_DIR`, `GOMOQ_LOG_DIR`: one root each, winning
  over `GOMOQ_HOME`.

`gomoq locate` prints them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "gomoq"


def _root(var: str, sub: str, default: str) -> Path:
    explicit = os.environ.get(var)
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("GOMOQ_HOME")
    if home:
        return Path(home).expanduser() / sub
    return Path(default)


def config_dir() -> Path:
    """Folder of `config.toml` (profiles)."""
    return _root("GOMOQ_CONFIG_DIR", "config", platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    """Root of the Parquet snapshots, one sub-folder per profile."""
    return _root("GOMOQ_CACHE_DIR", "cache", platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    """Root of the state database (decisions, journal) and the demo organisation."""
    return _root("GOMOQ_DATA_DIR", "data", platformdirs.user_data_dir(APP_NAME))


def log_dir() -> Path:
    """Folder of gomoq's log files."""
    return _root("GOMOQ_LOG_DIR", "logs", platformdirs.user_log_dir(APP_NAME))


def config_file() -> Path:
    """The TOML file holding the profiles."""
    return config_dir() / "config.toml"


def state_db_file() -> Path:
    """The SQLite state database: decisions, plans, apply journal."""
    return data_dir() / "state.sqlite3"


def profile_cache_dir(profile: str) -> Path:
    """Folder of one profile's snapshots (`current`, `previous`, work folders)."""
    return cache_dir() / profile


@dataclass(frozen=True)
class Locations:
    """Every path gomoq uses, for `gomoq locate` and the app's about box."""

    config_file: Path
    cache_dir: Path
    data_dir: Path
    state_db: Path
    log_dir: Path


def locations() -> Locations:
    """Resolve every path now (environment variables are read at call time)."""
    return Locations(config_file(), cache_dir(), data_dir(), state_db_file(), log_dir())
