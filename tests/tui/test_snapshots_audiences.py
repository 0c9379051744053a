"""Snapshots of the Audiences screen (g) and of the export dialog, at 80x24 and 120x40.

Regenerate deliberately with
`uv run pytest tests/tui/test_snapshots_audiences.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot

from gomoq.tui.app import GomoqApp
from gomoq.tui.data import FrameSource
from gomoq.tui.dialogs.export import ExportDialog
from gomoq.tui.screens.audiences import AudiencesScreen
from gomoq.tui.screens.contacts import ContactsScreen
from tests.tui import frames
from tests.tui.conftest import PROFILE, wait_for

SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
SEGMENTS = {"Farmers": "city:fès", "Rabat folks": "city:rabat"}


def app(mode: str) -> GomoqApp:
    source = FrameSource(frames.frames(), {})
    profile = replace(PROFILE, segments=SEGMENTS)
    return GomoqApp(profile, source=source, findings=frames.findings(), start_mode=mode)


@SIZES
def test_audiences(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await wait_for(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, AudiencesScreen)
                and bool(pilot.app.screen.rows)
                and "Would join"
                in str(pilot.app.screen.query_one("#audience-preview-body").render())
            ),
        )

    assert snap_compare(app("audiences"), terminal_size=size, run_before=ready)


@SIZES
def test_export_dialog(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        await wait_for(pilot, lambda: isinstance(screen, ContactsScreen) and screen.searches >= 1)
        screen.query_one("#search").value = "city:fès"  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: screen.rows is not None and screen.rows.height == 8)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportDialog))

    assert snap_compare(app("contacts"), terminal_size=size, run_before=ready)
