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
from gomoq.tui.screens.plan import PlanScreen
from tests.tui import frames
from tests.tui.conftest import PROFILE, wait_for

SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
"""Every screen is drawn at both sizes an operator uses (issue 15: 80x24 and 120x40)."""


def app(mode: str = "overview") -> GomoqApp:
    """The app over the hand-made organisation, with no sync time (stable text)."""
    source = FrameSource(frames.frames(), {})
    return GomoqApp(PROFILE, source=source, findings=frames.findings(), start_mode=mode)


def until(condition: Callable[[Any], bool]) -> Callable[[Pilot[Any]], Any]:
    """A `run_before` that waits for `condition(app)`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: condition(pilot.app))
        # DataTable sizes its columns on the refresh after rows are added: let it settle, so
        # the picture never catches a column cut to its header's width
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        await pilot.pause()

    return run_before


@SIZES
def test_overview(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(
        app(), terminal_size=size, run_before=until(lambda a: len(a.screen.query(".card")) == 5)
    )


@SIZES
def test_contacts(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return (
            isinstance(s, ContactsScreen)
            and s.searches >= 1
            and "Calls" in str(s.query_one("#detail-body").render())
        )

    assert snap_compare(app("contacts"), terminal_size=size, run_before=until(ready))


@SIZES
def test_duplicates(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return (
            isinstance(s, DuplicatesScreen)
            and "checks" in a.events
            and s.view is not None
            and "cluster" not in s.running
            and s.query_one("#dupe-table").row_count > 0
        )

    assert snap_compare(app("duplicates"), terminal_size=size, run_before=until(ready))


@SIZES
def test_call_failures(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return (
            isinstance(s, CallsScreen)
            and s.rows is not None
            and "failed" in str(s.query_one("#timeline-body").render())
        )

    assert snap_compare(app("calls"), terminal_size=size, run_before=until(ready))


@SIZES
def test_attributes(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return isinstance(s, AttributesScreen) and "number" in str(
            s.query_one("#attr-def-body").render()
        )

    assert snap_compare(app("attributes"), terminal_size=size, run_before=until(ready))


@SIZES
def test_help(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), press=["question_mark"], terminal_size=size)


def saved_org_with_decisions() -> GomoqApp:
    """The hand-made organisation written as the profile's real cache snapshot, with a merge
    and an attribute fix decided (real decisions store, real planner)."""
    from gomoq.cache.store import write_snapshot
    from gomoq.tui import bridge

    write_snapshot(PROFILE.name, frames.frames(), {})
    findings = frames.findings()
    payload = {"survivor": "c000", "losers": ["c001"], "fields": {}}
    bridge.record_decisions(PROFILE, findings, ["fd1"], "merge", payload=payload)
    fix = {"attribute": "age", "value": None}
    ids = [f"fa{i}" for i in range(0, 40, 7)]
    bridge.record_decisions(PROFILE, findings, ids, "set_attribute", payload=fix)
    return GomoqApp(PROFILE, findings=findings, start_mode="plan")


@SIZES
def test_plan(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    def ready(a: Any) -> bool:
        s = a.screen
        return (
            isinstance(s, PlanScreen)
            and a.source is not None
            and "plan" not in s.running
            and s.query_one("#plan-table").row_count > 0
            and "First0" in str(s.query_one("#plan-table").get_row_at(0))
        )

    assert snap_compare(saved_org_with_decisions(), terminal_size=size, run_before=until(ready))


@SIZES
def test_history_without_runs(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    def ready(a: Any) -> bool:
        return "No runs" in str(a.screen.query_one("#history-status").render())

    assert snap_compare(app("history"), terminal_size=size, run_before=until(ready))
