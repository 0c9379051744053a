"""Decisions taken back from the app, whenever they were taken (the real state database)."""

from __future__ import annotations

import polars as pl
from textual.widgets import DataTable, Label

from gomoq.plan.journal import connect
from gomoq.services import checks as svc_checks
from gomoq.state import decisions
from gomoq.tui.app import GomoqApp
from gomoq.tui.data import FrameSource
from gomoq.tui.screens.attributes import AttributesScreen
from gomoq.tui.screens.calls import CallsScreen
from gomoq.tui.screens.duplicates import DuplicatesScreen
from gomoq.tui.screens.plan import PlanScreen
from tests.tui import frames
from tests.tui.conftest import PROFILE, wait_for


def in_force() -> dict[str, str]:
    """finding id -> decision, as the state database holds them for the test profile."""
    frame = decisions.load(connect(), PROFILE.name)
    return dict(frame.select("finding_id", "decision").iter_rows())


def app_with(earlier: dict[str, str]) -> GomoqApp:
    """The app over the hand-made org, with `earlier` decisions taken "last week": saved in
    the state database and shown on the findings, as a check run re-applies them."""
    found = frames.findings()
    for finding_id, decision in earlier.items():
        svc_checks.record_decisions_on(PROFILE, found, [finding_id], decision)
    shown = found.with_columns(
        pl.col("finding_id")
        .replace_strict(earlier, default=None, return_dtype=pl.String)
        .alias("decision")
    )
    source = FrameSource(frames.frames(), {"finished_at": "2026-01-05T09:00:00+00:00"})
    return GomoqApp(PROFILE, source=source, findings=shown)


def status(screen: DuplicatesScreen) -> str:
    return str(screen.query_one("#dupe-status", Label).render())


async def test_merge_then_undo_on_a_skipped_cluster_restores_skipped() -> None:
    app = app_with({"fd1": "skip"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        await wait_for(pilot, lambda: screen.view is not None)
        await pilot.press("left_square_bracket")  # back to cluster 1, skipped last week
        await wait_for(pilot, lambda: "skipped" in status(screen))
        await pilot.press("m")
        await wait_for(pilot, lambda: in_force().get("fd1") == "merge")
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: screen.position == 0 and "merged" in status(screen))
        await pilot.press("u")
        await wait_for(pilot, lambda: in_force().get("fd1") == "skip")
        await wait_for(pilot, lambda: "skipped" in status(screen))
        assert screen.queue[0].decision == "skip"


async def test_last_weeks_not_a_duplicate_is_hidden_and_can_be_taken_back() -> None:
    app = app_with({"fd2": "dismissed"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        await wait_for(pilot, lambda: screen.view is not None)
        assert [c.cluster_id for c in screen.queue] == ["k1"]  # hidden, as `gomoq check` does
        assert "Cluster 1 of 1" in status(screen)
        await pilot.press("v")
        await wait_for(pilot, lambda: len(screen.queue) == 2)
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: "not a duplicate" in status(screen))
        await pilot.press("u")
        await wait_for(pilot, lambda: "fd2" not in in_force())
        await wait_for(pilot, lambda: screen.queue[1].decision is None)


async def test_calls_u_takes_back_a_persisted_flag() -> None:
    app = app_with({"fc5": "flag"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        screen = app.screen
        assert isinstance(screen, CallsScreen)
        await wait_for(pilot, lambda: screen.rows is not None and screen.rows.height == 2)
        table = screen.query_one("#calls-table", DataTable)
        table.focus()
        row = screen.rows["contact_id"].to_list().index("c005")
        table.move_cursor(row=row)
        assert "flagged" in [str(c) for c in table.get_row_at(row)]
        await pilot.press("u")
        await wait_for(pilot, lambda: "fc5" not in in_force())
        await wait_for(pilot, lambda: "flagged" not in [str(c) for c in table.get_row_at(row)])


async def test_calls_star_selects_all() -> None:
    app = app_with({})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        screen = app.screen
        assert isinstance(screen, CallsScreen)
        await wait_for(pilot, lambda: screen.rows is not None and screen.rows.height == 2)
        screen.query_one("#calls-table", DataTable).focus()
        await pilot.press("asterisk")
        assert screen.selected == {"c005", "c006"}
        await pilot.press("asterisk")
        assert screen.selected == set()


async def test_attributes_u_takes_back_the_groups_decision() -> None:
    app = app_with({})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AttributesScreen)
        await wait_for(pilot, lambda: screen.groups is not None and screen.groups.height == 1)
        await pilot.press("F")
        await wait_for(pilot, lambda: len(in_force()) == 6)
        await wait_for(pilot, lambda: screen.groups is not None and screen.groups["decision"][0])
        await pilot.press("u")
        await wait_for(pilot, lambda: in_force() == {})
        await wait_for(
            pilot, lambda: screen.groups is not None and screen.groups["decision"][0] is None
        )


async def test_plan_lists_the_decisions_and_drops_one() -> None:
    app = app_with({"fd2": "dismissed", "fc6": "flag"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        await pilot.press("v")
        await wait_for(pilot, lambda: len(screen.decisions) == 2)
        table = screen.query_one("#plan-table", DataTable)
        assert table.row_count == 2
        shown = " ".join(str(c) for i in range(2) for c in table.get_row_at(i))
        assert "First6 Last6" in shown  # contacts by name, not by id
        ids = [r.finding_id for r in screen.decisions]
        table.move_cursor(row=ids.index("fc6"))
        await pilot.press("u")
        await wait_for(pilot, lambda: in_force() == {"fd2": "dismissed"})
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("v")
        await wait_for(pilot, lambda: "decisions" in str(screen.query_one("#plan-status").render()))
