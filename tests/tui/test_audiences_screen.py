"""The Audiences screen (g) and the export dialog, driven with Pilot over hand-made frames."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from textual.widgets import DataTable, Input, Label, Select, Static

from gomoq.tui import bridge
from gomoq.tui.app import GomoqApp
from gomoq.tui.data import FrameSource
from gomoq.tui.dialogs.export import ExportDialog
from gomoq.tui.screens.audiences import AudiencesScreen
from gomoq.tui.screens.contacts import ContactsScreen
from tests.tui import frames
from tests.tui.conftest import PROFILE, wait_for

SEGMENTS = {"Farmers": "city:fès", "Rabat folks": "city:rabat"}


def segment_app() -> GomoqApp:
    profile = replace(PROFILE, segments=SEGMENTS)
    source = FrameSource(frames.frames(), {"synced_at": "2026-01-05T09:00:00+00:00"})
    return GomoqApp(profile, source=source, findings=frames.findings(), start_mode="audiences")


def text_of(widget: Any) -> str:
    return str(widget.render())


async def test_audiences_list_counts_segments_and_preview() -> None:
    app = segment_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AudiencesScreen)
        await wait_for(pilot, lambda: bool(screen.rows))
        by_name = {r.name: r for r in screen.rows}
        farmers = by_name["Farmers"]  # the audience holds c000, c002, ... (20); fès has 8
        fes = set(frames.contacts(40).filter(pl.col("city") == "Fès")["id"])
        evens = {f"c{i:03d}" for i in range(0, 40, 2)}
        assert (farmers.members, farmers.matching) == (20, 8)
        assert set(farmers.joiners) == fes - evens and set(farmers.leavers) == evens - fes
        assert by_name["Rabat folks"].audience_id is None  # no such audience yet
        table = screen.query_one("#audiences-table", DataTable)
        assert table.row_count == 2
        preview = text_of(screen.query_one("#audience-preview-body", Static))
        assert "Farmers" in preview and "Would join" in preview and "Would leave" in preview
        status = text_of(screen.query_one("#audiences-status", Label))
        assert "2 segment(s)" in status


async def test_build_and_apply_the_highlighted_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []

    def fake_apply(profile: Any, plan: Any, progress: Any, should_cancel: Any) -> Any:
        sent.append(plan)

        class Result:
            def headline(self) -> str:
                return "Apply finished: 1 action done; 3 requests (run r1)."

        return Result()

    monkeypatch.setattr(bridge, "apply_plan", fake_apply)
    app = segment_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, AudiencesScreen)
        await wait_for(pilot, lambda: bool(screen.rows))
        farmers = next(r for r in screen.rows if r.name == "Farmers")
        await pilot.press("b")
        await wait_for(pilot, lambda: screen.plan is not None and len(app.screen_stack) > 1)
        await pilot.press("y")
        await wait_for(pilot, lambda: bool(sent))
        (action,) = sent[0].actions
        assert action.kind == "audience_sync" and action.audience == "a1"
        assert set(action.add) == set(farmers.joiners)
        assert set(action.remove) == set(farmers.leavers)


async def test_export_dialog_from_contacts_writes_the_filtered_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = segment_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ContactsScreen)
        await wait_for(pilot, lambda: screen.searches >= 1)
        screen.query_one("#search", Input).value = "city:fès"
        await wait_for(pilot, lambda: screen.rows is not None and screen.rows.height == 8)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        dialog = app.screen
        assert dialog.query_one("#export-where", Input).value == "city:fès"
        dialog.query_one("#export-format", Select).value = "parquet"
        await pilot.pause()
        assert dialog.query_one("#export-output", Input).value == "contacts-{snapshot}.parquet"
        await pilot.click("#export-go")
        await wait_for(pilot, lambda: screen.last_export is not None)
    written = tmp_path / "contacts-20260105T090000Z.parquet"
    assert sorted(pl.read_parquet(written)["city"].unique()) == ["Fès"]
    assert screen.last_export.rows == 8


async def test_export_errors_are_one_notification_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = segment_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ContactsScreen)
        await wait_for(pilot, lambda: screen.searches >= 1)
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        app.screen.query_one("#export-output", Input).value = "missing/out.csv"
        await pilot.click("#export-go")
        await wait_for(pilot, lambda: screen.last_error is not None)
        assert "does not exist: nothing was written" in screen.last_error
    assert [p.name for p in tmp_path.iterdir()] == ["gomoq-home"]
