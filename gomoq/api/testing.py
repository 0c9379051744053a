"""Test hook: route every `GomobileClient` to an in-process ASGI app (style habit 12).

    from gomoq.api.testing import in_process

    with in_process(sandbox_app):
        profile = ...                     # any base URL
        result = sync(profile)            # every client made inside talks to sandbox_app

Services, CLI and TUI tests use this so they never import httpx themselves. Clients created
inside the block keep the in-process transport even after it ends; nesting is allowed (the
innermost app wins). A client passed an explicit transport ignores the hook.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

_lock = threading.Lock()
_apps: list[Any] = []


@contextmanager
def in_process(app: Any) -> Iterator[Any]:
    """While active, clients without an explicit transport talk to `app` through ASGI.

    Works across threads (the TUI's thread workers and `asyncio.run` inside services), since
    the hook is process-wide rather than a context variable.
    """
    with _lock:
        _apps.append(app)
    try:
        yield app
    finally:
        with _lock:
            _apps.remove(app)


def current_transport() -> httpx.AsyncBaseTransport | None:
    """The transport the innermost active `in_process` block asks for, or None."""
    with _lock:
        app = _apps[-1] if _apps else None
    if app is None:
        return None
    # raise_app_exceptions=True: an app that raises (the sandbox's "dropped connection" fault)
    # surfaces as an exception the client wraps into TransportError, like a real dropped socket.
    return httpx.ASGITransport(app=app, raise_app_exceptions=True)
