"""Whether the demo's sandbox is up, said at once instead of after the retry policy's ~20 s.

`gomoq demo` serves its organisation on a loopback port only while it runs. A headless command
run later against the `demo` profile (`gomoq sync`, `gomoq apply`) would otherwise meet
"connection refused" on every retry before failing.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from gomoq.config import Profile
from gomoq.errors import UsageError

DEMO_PROFILE = "demo"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def demo_not_running(profile: Profile, timeout: float = 0.5) -> str | None:
    """The sentence to show when `profile` is the demo's and nothing listens at its address,
    else None (any other profile, or the sandbox answers the connection)."""
    if profile.name != DEMO_PROFILE:
        return None
    url = urlsplit(profile.base_url)
    if url.hostname not in LOOPBACK or url.port is None:
        return None
    try:
        with socket.create_connection((url.hostname, url.port), timeout=timeout):
            return None
    except OSError:
        return (
            f"The demo sandbox is not running (nothing answers at {url.hostname}:{url.port}): "
            "it runs only while `gomoq demo` is open. Start it with `gomoq demo`, or serve "
            "your own with `gomoq sandbox`."
        )


def require_demo_running(profile: Profile) -> None:
    """Raise `UsageError` with `demo_not_running`'s sentence when the demo sandbox is down."""
    problem = demo_not_running(profile)
    if problem:
        raise UsageError(problem)
