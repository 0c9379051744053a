"""The operator's main path through the real app against the in-process sandbox.

No cache yet → sync from the Overview → review a duplicate cluster and merge it, dismiss another →
fix an attribute value group → build the plan → apply it → undo it from History. Every service is
the real one; only the network is replaced by `gomoq.api.testing.in_process`.
"""

from __future__ import annotations

from typing import Any

import pytest

from gomoq.api.testing import in_process
from gomoq.config import Profile, save_profile
from gomoq.tui.app import GomoqApp
from gomoq.tui.screens.attributes import AttributesScreen
from gomoq.tui.screens.duplicates import DuplicatesScreen
from gomoq.tui.screens.history import HistoryScreen
from gomoq.tui.screens.plan import PlanScreen, as_mapping
from tests.tui.conftest import wait_for

pytestmark = pytest.mark.slow
# Sync and the cache store are built in parallel; until they land this walk cannot start.
pytest.importorskip("gomoq.cache.store")
pytest.importorskip("gomoq.services.sync")


def text(widget: Any) -> str:
    return str(widget.render())


async def test_sync_review_merge_fix_apply_undo(sandbox_app: Any, sandbox_key: str) -> None:
    from gomoq.state import db as state_db
    from gomoq.state import decisions

    profile = Profile(name="flow", base_url="http://sandbox.test/api", api_key=sandbox_key)
    save_profile(profile, store_key=True)
    app = GomoqApp(profile)
    with in_process(sandbox_app):
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: "no-snapshot" in app.events)
            assert "sync" in text(app.screen.query_one("#sync-state")).lower()
            await pilot.press("s")
            await wait_for(pilot, lambda: "checks" in app.events, timeout=60)
            assert app.events[:3] == ["no-snapshot", "snapshot", "checks"]
            assert app.findings.height > 0

            # Duplicates: merge the first cluster, dismiss the next.
            await pilot.press("d")
            dupes = app.screen
            assert isinstance(dupes, DuplicatesScreen)
            await wait_for(pilot, lambda: dupes.view is not None)
            assert len(dupes.queue) >= 2, "the generated organisation plants duplicates"
            merged = dupes.queue[dupes.position]
            await pilot.press("m")
            await wait_for(pilot, lambda: len(dupes.decided) == 1)
            await wait_for(pilot, lambda: dupes.view is not None and dupes.position != 0)
            dismissed = dupes.queue[dupes.position]
            await pilot.press("n")
            await wait_for(pilot, lambda: len(dupes.decided) == 2)
            assert dupes.decided == [
                (merged.cluster_id, "merge"),
                (dismissed.cluster_id, "dismissed"),
            ]

            # Attributes: clear the largest invalid value group.
            await pilot.press("a")
            attrs = app.screen
            assert isinstance(attrs, AttributesScreen)
            await wait_for(pilot, lambda: attrs.groups is not None)
            assert attrs.groups is not None and attrs.groups.height > 0
            group = attrs.groups.row(0, named=True)
            attrs.query_one("#attrs-table").focus()
            await pilot.press("x")
            await wait_for(pilot, lambda: len(attrs.recorded) == 1)
            await wait_for(pilot, lambda: "decision" not in attrs.running)

            conn = state_db.connect()
            saved = decisions.load(conn, profile.name)
            conn.close()
            by_id = dict(zip(saved["finding_id"], saved["decision"], strict=True))
            assert by_id[merged.finding_ids[0]] == "merge"
            assert by_id[dismissed.finding_ids[0]] == "dismissed"
            assert sum(1 for f in group["finding_ids"] if by_id.get(f) == "set_attribute") == len(
                group["finding_ids"]
            )

            # Plan & apply.
            await pilot.press("p")
            plan = app.screen
            assert isinstance(plan, PlanScreen)
            await wait_for(pilot, lambda: plan.plan is not None and bool(plan.rows), timeout=30)
            kinds = {a.kind for a in plan.plan.actions}
            assert {"merge", "set_attribute"} <= kinds
            await pilot.press("A")
            await pilot.press("y")
            await wait_for(pilot, lambda: bool(plan.results), timeout=60)
            applied = as_mapping(plan.results[0])
            assert not applied.get("failed"), applied

            # History: undo the run.
            await pilot.press("h")
            history = app.screen
            assert isinstance(history, HistoryScreen)
            await wait_for(pilot, lambda: bool(history.runs), timeout=30)
            await pilot.press("u")
            await pilot.press("y")
            await wait_for(pilot, lambda: bool(history.results), timeout=60)
            undone = as_mapping(history.results[0])
            assert not undone.get("failed"), undone
