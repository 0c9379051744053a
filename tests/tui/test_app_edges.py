"""Edges of the app: first run without a profile, failures shown in words, cancelling a job."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.widgets import Input, Label

from gomoq.api.errors import Unauthorized
from gomoq.config import load_profile
from gomoq.errors import Cancelled
from gomoq.progress import ProgressEvent
from gomoq.tui import bridge
from gomoq.tui.app import GomoqApp
from gomoq.tui.screens.first_run import FirstRunScreen
from gomoq.tui.screens.overview import OverviewScreen
from tests.tui.conftest import wait_for


async def test_first_run_saves_a_profile_and_opens_the_workbench() -> None:
    app = GomoqApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, FirstRunScreen)
        await pilot.pause()
        name = app.screen.query_one("#name", Input)
        assert app.focused is name  # typing goes into the form; q does not quit
        name.value = ""
        await pilot.press(*"qa")
        assert name.value == "qa" and app.is_running
        name.value = "default"
        app.screen.query_one("#base-url", Input).value = "http://127.0.0.1:8765/api"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#first-run-error", Label)
        assert "API key" in str(error.render())  # the key is missing: said in words
        app.screen.query_one("#api-key", Input).value = "gmq_first_run_key_0001"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await wait_for(pilot, lambda: "no-snapshot" in app.events)
    saved = load_profile()
    assert (saved.name, saved.base_url) == ("default", "http://127.0.0.1:8765/api")


async def test_first_run_can_start_the_demo() -> None:
    app = GomoqApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+d")
    assert app.return_value == "demo"


async def test_a_refused_key_is_said_in_words_and_the_app_keeps_running(
    frame_app: GomoqApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any) -> None:
        raise Unauthorized("The API key was rejected (401 UNAUTHORIZED).", status=401)

    monkeypatch.setattr(bridge, "sync", refuse)
    async with frame_app.run_test(size=(120, 40)) as pilot:
        screen = frame_app.screen
        assert isinstance(screen, OverviewScreen)
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.last_error is not None)
        assert screen.last_error is not None
        assert "rejected" in screen.last_error and "gomoq profile" in screen.last_error
        assert "test-key-123456" not in screen.last_error
        assert not screen.running
        await pilot.press("c")  # still usable
        assert frame_app.screen.__class__.__name__ == "ContactsScreen"


async def test_escape_cancels_a_running_sync(
    frame_app: GomoqApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()

    def slow_sync(_profile: Any, progress: Any, should_cancel: Any) -> None:
        for i in range(1000):
            progress(ProgressEvent("contacts", i, 1000))
            started.set()
            if should_cancel():
                raise Cancelled("Cancelled by the operator; nothing was left half-done.")
            threading.Event().wait(0.01)

    monkeypatch.setattr(bridge, "sync", slow_sync)
    async with frame_app.run_test(size=(120, 40)) as pilot:
        screen = frame_app.screen
        assert isinstance(screen, OverviewScreen)
        await pilot.press("s")
        await wait_for(pilot, started.is_set)
        assert "sync" in screen.running
        frame_app.clear_notifications()
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.running)
        await pilot.pause(0.1)
        # a clean cancel is said once, as information, never as "sync failed" (issue 15)
        said = [n for n in frame_app._notifications if "ancel" in n.message]
        assert [n.severity for n in said if n.message.startswith("Sync")] == ["information"]
        assert all("failed" not in n.title for n in frame_app._notifications)
        assert screen.last_error is None


async def test_every_screen_is_reachable_from_the_command_palette(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Attributes (a)")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: frame_app.screen.__class__.__name__ == "AttributesScreen")
        assert frame_app.current_mode == "attributes"


async def test_quitting_during_a_sync_cancels_it_and_says_so(
    frame_app: GomoqApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, stopped = threading.Event(), threading.Event()

    def slow_sync(_profile: Any, _progress: Any, should_cancel: Any) -> None:
        started.set()
        while not should_cancel():
            threading.Event().wait(0.01)
        stopped.set()
        raise Cancelled("Cancelled by the operator; nothing was left half-done.")

    monkeypatch.setattr(bridge, "sync", slow_sync)
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_for(pilot, started.is_set)
        await pilot.press("q")
    assert frame_app.unfinished_jobs == ["sync"]
    assert stopped.wait(5)
