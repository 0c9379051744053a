"""Against the demo profile with its sandbox closed, sync and apply say so at once."""

from __future__ import annotations

import socket
import time

import pytest

from gomoq.config import Profile
from gomoq.errors import UsageError
from gomoq.plan.model import DeleteAction, Plan
from gomoq.services import plan as svc_plan
from gomoq.services.demo import demo_not_running
from gomoq.services.sync import sync


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sync_and_apply_against_a_closed_demo_say_so_at_once() -> None:
    demo = Profile("demo", f"http://127.0.0.1:{closed_port()}/api", "test-key-123456")
    started = time.monotonic()
    with pytest.raises(UsageError, match=r"demo sandbox is not running.*gomoq demo"):
        sync(demo)
    with pytest.raises(UsageError, match="demo sandbox is not running"):
        svc_plan.apply(demo, Plan("demo", [DeleteAction("d", ("c1",))]))
    assert time.monotonic() - started < 5  # not the retry policy's ~20 s
    assert svc_plan.history(demo) == []  # no run was journaled


def test_other_profiles_and_a_listening_demo_are_not_judged() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert demo_not_running(Profile("demo", f"http://127.0.0.1:{port}/api", "k" * 12)) is None
    other = Profile("prod", f"http://127.0.0.1:{closed_port()}/api", "k" * 12)
    assert demo_not_running(other) is None
