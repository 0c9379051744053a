"""One SVG snapshot per screen (fixed size, conditions awaited, no clock or timing on screen).

Regenerate deliberately with `uv run pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from gomoq.tui.app import GomoqApp
from gomoq.tui.data import FrameSource
from gomoq.tui.screens.attributes import AttributesScreen
from gomoq.tui.screens.calls import CallsScreen
from gomoq.tui.screens.contacts import ContactsScreen
from gomoq.tui.screens.duplicates import DuplicatesScreen
from tests.tui import frames
from tests.tui.conftest import PROFILE, wait_for

SnapCompare = Callable[..., bool]


def app(mode: str = "overview") -> GomoqApp:
    """The app over the hand-made organisation, with no sync time (stable text)."""
    source = FrameSource(frames.frames(), {})
    return GomoqApp(PROFILE, source=source, findings=frames.findings(), start_mode=mode)


def until(condition: Callable[[Any], bool]) -> Callable[[Pilot[Any]], Any]:
    """A `run_before` that waits for `condition(app)`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: condition(pilot.app))

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_overview(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(
        app(), terminal_size=size, run_before=until(lambda a: len(a.screen.query(".card")) == 5)
    )


def test_contacts(snap_compare: SnapCompare) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return (
            isinstance(s, ContactsScreen)
            and s.searches >= 1
            and "Calls" in str(s.query_one("#detail-body").render())
        )

    assert snap_compare(app("contacts"), terminal_size=(120, 40), run_before=until(ready))


def test_duplicates(snap_compare: SnapCompare) -> None:
    def ready(a: Any) -> bool:
        return isinstance(a.screen, DuplicatesScreen) and a.screen.view is not None

    assert snap_compare(app("duplicates"), terminal_size=(120, 40), run_before=until(ready))


def test_call_failures(snap_compare: SnapCompare) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return (
            isinstance(s, CallsScreen)
            and s.rows is not None
            and "failed" in str(s.query_one("#timeline-body").render())
        )

    assert snap_compare(app("calls"), terminal_size=(120, 40), run_before=until(ready))


def test_attributes(snap_compare: SnapCompare) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return isinstance(s, AttributesScreen) and "number" in str(
            s.query_one("#attr-def-body").render()
        )

    assert snap_compare(app("attributes"), terminal_size=(120, 40), run_before=until(ready))


def test_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), press=["question_mark"], terminal_size=(120, 40))
