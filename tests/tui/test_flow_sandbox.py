"""The operator's main path through the real app against the in-process sandbox.

No cache yet → sync from the Overview → review a duplicate cluster and merge it, dismiss another →
fix an attribute value group → build the plan → apply it → undo it from History. Every service is
the real one; only the network is replaced by `gomoq.api.testing.in_process`.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from textual.widgets import DataTable

from gomoq.api.testing import in_process
from gomoq.config import Profile, save_profile
from gomoq.tui.app import GomoqApp
from gomoq.tui.screens.attributes import AttributesScreen
from gomoq.tui.screens.calls import CallsScreen
from gomoq.tui.screens.duplicates import DuplicatesScreen
from gomoq.tui.screens.history import HistoryScreen
from gomoq.tui.screens.plan import PlanScreen, as_mapping
from tests.tui.conftest import wait_for

pytestmark = pytest.mark.slow


def text(widget: Any) -> str:
    return str(widget.render())


async def sync_from_overview(app: GomoqApp, pilot: Any) -> None:
    """No cache yet: the Overview says so; `s` syncs, then the checks run."""
    await wait_for(pilot, lambda: "no-snapshot" in app.events)
    assert "sync" in text(app.screen.query_one("#sync-state")).lower()
    await pilot.press("s")
    await wait_for(pilot, lambda: "checks" in app.events, timeout=60)
    assert app.events[:3] == ["no-snapshot", "snapshot", "checks"]
    assert app.findings.height > 0


def saved_decisions(profile: Profile) -> dict[str, str]:
    """finding id -> decision, as stored in the state database."""
    from gomoq.state import db as state_db
    from gomoq.state import decisions

    conn = state_db.connect()
    try:
        saved = decisions.load(conn, profile.name)
    finally:
        conn.close()
    return dict(zip(saved["finding_id"], saved["decision"], strict=True))


async def fix_an_invalid_value_group(app: GomoqApp, pilot: Any) -> list[str]:
    """Clear the first group of invalid values; returns its finding ids."""
    await pilot.press("a")
    attrs = app.screen
    assert isinstance(attrs, AttributesScreen)
    await wait_for(pilot, lambda: attrs.groups is not None)
    assert attrs.groups is not None and attrs.groups.height > 0
    kinds = attrs.groups.get_column("kind").to_list()
    assert "invalid_value" in kinds
    row = kinds.index("invalid_value")  # a defined attribute holding a value of the wrong type
    group = attrs.groups.row(row, named=True)
    table = attrs.query_one("#attrs-table", DataTable)
    table.focus()
    table.move_cursor(row=row)
    await pilot.press("x")
    await wait_for(pilot, lambda: len(attrs.recorded) == 1)
    await wait_for(pilot, lambda: "decision" not in attrs.running)
    return list(group["finding_ids"])


async def flag_first_call_failure(app: GomoqApp, pilot: Any) -> None:
    """Flag the contact with the most failed calls."""
    await pilot.press("f")
    calls = app.screen
    assert isinstance(calls, CallsScreen)
    await wait_for(pilot, lambda: calls.rows is not None and calls.rows.height > 0)
    calls.query_one("#calls-table").focus()
    await pilot.press("space", "F")
    await wait_for(pilot, lambda: not calls.selected and "decision" not in calls.running)


async def apply_plan(app: GomoqApp, pilot: Any, kinds: set[str]) -> dict[str, Any]:
    """Build the plan (it holds `kinds`) and apply it; returns the run result."""
    await pilot.press("p")
    plan = app.screen
    assert isinstance(plan, PlanScreen)
    await wait_for(pilot, lambda: plan.plan is not None and bool(plan.rows), timeout=30)
    assert kinds <= {a.kind for a in plan.plan.actions}
    await pilot.press("A")
    await pilot.press("y")
    await wait_for(pilot, lambda: bool(plan.results), timeout=60)
    applied = as_mapping(plan.results[0])
    assert applied["failed"] == 0 and applied["done"] > 0, applied["messages"]
    return applied


async def undo_last_run(app: GomoqApp, pilot: Any, run_id: str) -> dict[str, Any]:
    """Undo the newest run from History; returns the undo's result."""
    await pilot.press("h")
    history = app.screen
    assert isinstance(history, HistoryScreen)
    await wait_for(pilot, lambda: bool(history.runs), timeout=30)
    assert as_mapping(history.runs[0])["run_id"] == run_id
    await pilot.press("u")
    await pilot.press("y")
    await wait_for(pilot, lambda: bool(history.results), timeout=60)
    return as_mapping(history.results[0])


async def review_duplicates(app: GomoqApp, pilot: Any) -> tuple[Any, Any]:
    """Merge the first cluster and dismiss the next; returns both clusters."""
    await pilot.press("d")
    dupes = app.screen
    assert isinstance(dupes, DuplicatesScreen)
    await wait_for(pilot, lambda: dupes.view is not None, timeout=30)
    assert len(dupes.queue) >= 2, "the generated organisation plants duplicates"
    assert "Cluster 1 of" in text(dupes.query_one("#dupe-status"))
    merged = dupes.queue[dupes.position]
    await pilot.press("m")
    await wait_for(pilot, lambda: len(dupes.decided) == 1)
    await wait_for(pilot, lambda: dupes.view is not None and dupes.position != 0)
    dismissed = dupes.queue[dupes.position]
    await pilot.press("n")
    await wait_for(pilot, lambda: len(dupes.decided) == 2)
    assert dupes.decided == [(merged.cluster_id, "merge"), (dismissed.cluster_id, "dismissed")]
    return merged, dismissed


async def test_sync_review_fix_flag_apply_undo(sandbox_app: Any, sandbox_key: str) -> None:
    profile = Profile(name="flow", base_url="http://127.0.0.1:9/api", api_key=sandbox_key)
    save_profile(profile, store_key=True)
    app = GomoqApp(profile)
    with in_process(sandbox_app):
        async with app.run_test(size=(120, 40)) as pilot:
            await sync_from_overview(app, pilot)
            merged, dismissed = await review_duplicates(app, pilot)
            fixed = await fix_an_invalid_value_group(app, pilot)
            await flag_first_call_failure(app, pilot)

            by_id = saved_decisions(profile)
            assert by_id[merged.finding_ids[0]] == "merge"
            assert by_id[dismissed.finding_ids[0]] == "dismissed"
            assert all(by_id.get(f) == "set_attribute" for f in fixed)
            assert "flag" in by_id.values()

            applied = await apply_plan(app, pilot, {"merge", "set_attribute", "flag"})
            # After the apply the app re-reads the patched cache: the merged losers are gone.
            await wait_for(pilot, lambda: app.events.count("checks") >= 2, timeout=60)
            assert app.source is not None
            losers = [m for m in merged.member_ids if m != merged.member_ids[0]]
            left = app.source.scan("contacts").filter(pl.col("id").is_in(losers)).collect()
            assert left.height == 0, "the merged duplicates are gone from the re-read cache"
            undone = await undo_last_run(app, pilot, applied["run_id"])
            assert undone["kind"] == "undo" and undone["done"] > 0, undone["messages"]
            # Restoring the invalid values may be refused by the server: whatever failed is
            # listed on screen in words.
            shown = text(app.screen.query_one("#history-result-body"))
            assert f"{undone['done']} changes done" in shown and "Undo finished" in shown
            assert all(m[:40] in shown for m in undone["messages"][:5])
