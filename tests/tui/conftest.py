"""Fixtures for the workbench tests: an app over hand-made frames, and a condition waiter."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from gomoq.config import Profile
from gomoq.tui.app import GomoqApp
from gomoq.tui.data import FrameSource
from tests.tui import frames

PROFILE = Profile(name="t", base_url="http://127.0.0.1:9/api", api_key="test-key-123456")


async def wait_for(
    pilot: Pilot[object], condition: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Let the app run until `condition()` holds (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)
    await pilot.pause()


@pytest.fixture
def frame_app() -> GomoqApp:
    """The app over the small hand-made organisation, findings given (no services needed)."""
    source = FrameSource(frames.frames(), {"finished_at": "2026-01-05T09:00:00+00:00"})
    return GomoqApp(PROFILE, source=source, findings=frames.findings())
