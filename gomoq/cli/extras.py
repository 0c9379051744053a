"""Optional parts of gomoq: the sandbox (`gomoq[sandbox]`: starlette and uvicorn).

A cron machine syncing and checking a real organisation needs no web server; `gomoq demo` and
`gomoq sandbox` do. Without the extra they print `SANDBOX_MISSING` and exit with code 2.
"""

from __future__ import annotations

import importlib.util

SANDBOX_PACKAGES = ("starlette", "uvicorn")
SANDBOX_MISSING = (
    "The sandbox is an optional part of gomoq: install it with "
    "`uv sync --extra sandbox` (or `pip install 'gomoq[sandbox]'`)."
)


def sandbox_installed() -> bool:
    """Whether the sandbox extra's packages can be imported (found, not loaded: start-up)."""
    return all(importlib.util.find_spec(name) is not None for name in SANDBOX_PACKAGES)
