"""Pilot walks of each screen over hand-made frames: what the operator sees and can do."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Input, Label, Static

from gomoq.tui import bridge
from gomoq.tui.app import GomoqApp
from gomoq.tui.screens.attributes import AttributesScreen
from gomoq.tui.screens.calls import CallsScreen
from gomoq.tui.screens.contacts import ContactsScreen
from gomoq.tui.screens.duplicates import DuplicatesScreen
from gomoq.tui.screens.overview import OverviewScreen
from tests.tui.conftest import wait_for


def text_of(widget: Label | Static) -> str:
    """The plain text a Label or Static shows."""
    return str(widget.render())


async def test_overview_shows_a_card_per_check(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        screen = frame_app.screen
        assert isinstance(screen, OverviewScreen)
        await wait_for(pilot, lambda: len(screen.query(".card")) == 5)

        def attributes_card() -> str:
            cards = [text_of(c) for c in screen.query(".card").results(Static)]
            card = next(c for c in cards if c.startswith("Attributes"))
            return " ".join(card.split(" ")).replace("  ", " ")

        # The cards are mounted before the checks' counts arrive: wait for the counts.
        await wait_for(pilot, lambda: "6 error" in " ".join(attributes_card().split()))
        attributes = attributes_card()
        assert "first sync" in attributes
        assert frame_app.events == ["snapshot", "checks"]


async def test_contacts_search_and_detail(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        screen = frame_app.screen
        assert isinstance(screen, ContactsScreen)
        await wait_for(pilot, lambda: screen.searches >= 1)
        assert screen.rows is not None and screen.rows.height == 40
        await pilot.press("slash")
        assert isinstance(frame_app.focused, Input)
        await pilot.press(*"city:fès")
        await wait_for(pilot, lambda: screen.rows is not None and screen.rows.height == 8)
        status = text_of(screen.query_one("#contacts-status", Label))
        assert "8 of 40 contacts" in status
        await pilot.press("enter")
        assert frame_app.focused is not None and frame_app.focused.id == "contacts-table"
        await wait_for(pilot, lambda: "c002" in text_of(screen.query_one("#detail-body", Static)))
        detail = text_of(screen.query_one("#detail-body", Static))
        assert (
            "Fès" in detail and "Calls (3)" in detail and "duplicates/possible_duplicate" in detail
        )


async def test_contacts_with_findings_filter(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        screen = frame_app.screen
        assert isinstance(screen, ContactsScreen)
        await wait_for(pilot, lambda: screen.searches >= 1)
        await pilot.press("w")
        await wait_for(pilot, lambda: screen.searches >= 2)
        # c000 c001 c002 c003 (dupes), c005 c006 (calls), 0/7/14/21/28/35 (age), c010 (phone)
        assert screen.rows is not None and screen.rows.height == 12


class Recorder:
    """Stands in for the decisions store: what the screens saved, in order."""

    def __init__(self) -> None:
        self.saved: list[tuple[list[str], str | None, Any]] = []

    def record(
        self, profile: Any, findings: Any, finding_ids: Any, decision: str, **kw: Any
    ) -> None:
        self.saved.append((list(finding_ids), decision, kw.get("payload")))

    def take_back(self, profile: Any, finding_ids: Any) -> dict[str, str | None]:
        self.saved.append((list(finding_ids), None, None))
        return dict.fromkeys(finding_ids)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    monkeypatch.setattr(bridge, "record_decisions", rec.record)
    monkeypatch.setattr(bridge, "take_back_decisions", rec.take_back)
    return rec


async def test_duplicates_survivor_field_choice_merge_dismiss_undo(
    frame_app: GomoqApp, recorder: Recorder
) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        screen = frame_app.screen
        assert isinstance(screen, DuplicatesScreen)
        await wait_for(pilot, lambda: screen.view is not None)
        assert "Cluster 1 of 2" in text_of(screen.query_one("#dupe-status", Label))
        table = screen.query_one("#dupe-table", DataTable)
        assert table.columns and "survivor" in str(list(table.columns.values())[1].label)
        await pilot.press("2")  # member 2 survives
        assert screen.survivor == 1
        # keep member 1's city: move the cursor to (city, member 1) and press Enter
        table.move_cursor(row=screen.view.fields.index("city"), column=1)
        await pilot.press("enter")
        assert screen.choices == {"city": 0}
        await pilot.press("m")
        await wait_for(pilot, lambda: len(recorder.saved) == 1 and screen.position == 1)
        ids, decision, payload = recorder.saved[0]
        assert (ids, decision) == (["fd1"], "merge")
        expected = {"survivor": "c001", "losers": ["c000"], "fields": {"city": "Rabat"}}
        assert payload == expected
        await wait_for(pilot, lambda: "Cluster 2 of 2" in text_of(screen.query_one("#dupe-status")))
        await pilot.press("n")
        await wait_for(pilot, lambda: len(recorder.saved) == 2)
        assert recorder.saved[1][:2] == (["fd2"], "dismissed")
        await pilot.press("u")
        await wait_for(pilot, lambda: len(recorder.saved) == 3)
        assert recorder.saved[2][:2] == (["fd2"], None)
        assert screen.decided == [("k1", "merge"), ("k2", "dismissed"), ("k2", None)]
        await wait_for(pilot, lambda: screen.queue[1].decision is None)
        assert screen.queue[0].decision == "merge"


async def test_call_failures_multi_select_and_flag(frame_app: GomoqApp, recorder: Recorder) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f")
        screen = frame_app.screen
        assert isinstance(screen, CallsScreen)
        await wait_for(pilot, lambda: screen.rows is not None and screen.rows.height == 2)
        table = screen.query_one("#calls-table", DataTable)
        table.focus()
        await wait_for(pilot, lambda: "failed" in text_of(screen.query_one("#timeline-body")))
        await pilot.press("space", "down", "space")
        assert screen.selected == {"c005", "c006"}
        await pilot.press("f")  # f is the Calls screen's own key: nothing is flagged
        await pilot.pause()
        assert recorder.saved == []
        await pilot.press("F")
        await wait_for(pilot, lambda: len(recorder.saved) == 1)
        assert sorted(recorder.saved[0][0]) == ["fc5", "fc6"]
        assert recorder.saved[0][1] == "flag"
        await pilot.press("x")  # the highlighted contact only, nothing selected any more
        await wait_for(pilot, lambda: len(recorder.saved) == 2)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(recorder.saved) == 3)
        assert [d for _, d, _ in recorder.saved[1:]] == ["delete", "remove_from_audiences"]
        assert len(recorder.saved[1][0]) == 1


async def test_attribute_group_set_value(frame_app: GomoqApp, recorder: Recorder) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        screen = frame_app.screen
        assert isinstance(screen, AttributesScreen)
        await wait_for(pilot, lambda: screen.groups is not None and screen.groups.height == 1)
        await wait_for(pilot, lambda: "number" in text_of(screen.query_one("#attr-def-body")))
        await pilot.press("e")
        await pilot.press("4", "2", "enter")
        await wait_for(pilot, lambda: len(recorder.saved) == 1)
        ids, decision, payload = recorder.saved[0]
        assert decision == "set_attribute" and len(ids) == 6
        assert payload == {"attribute": "age", "value": 42}
        await wait_for(
            pilot,
            lambda: screen.groups is not None and screen.groups["decision"][0] == "set_attribute",
        )
        await pilot.press("F")
        await wait_for(pilot, lambda: len(recorder.saved) == 2)
        assert recorder.saved[1][1:] == ("flag", None)  # gomoq's own flag attribute


async def test_missing_services_are_said_in_words(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        # The Plan screen mounts after the key is handled: wait for it (it took longer than one
        # pause on a loaded machine, and the query found no status label yet).
        await wait_for(pilot, lambda: bool(frame_app.screen.query("#plan-status")))
        status = frame_app.screen.query_one("#plan-status", Label)
        await wait_for(pilot, lambda: "Building" not in text_of(status))
        assert "apply" in text_of(status).lower() or "plan" in text_of(status).lower()


async def test_help_lists_every_screen_key(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        table = frame_app.screen.query_one("#help-table", Static)
        rendered = frame_app.screen.query_one("#help-table", Static).render()
        assert table is not None and rendered is not None
        await pilot.press("escape")
        assert isinstance(frame_app.screen, OverviewScreen)


async def test_contacts_table_follows_each_search_in_place(frame_app: GomoqApp) -> None:
    async with frame_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        screen = frame_app.screen
        assert isinstance(screen, ContactsScreen)
        await wait_for(pilot, lambda: screen.searches >= 1)
        table = screen.query_one("#contacts-table")
        search = screen.query_one("#search", Input)
        for query, expected in [("city:fès", 8), ("nobody-at-all", 0), ("", 40), ("last3", 10)]:
            before = screen.searches
            search.value = query
            await wait_for(pilot, lambda n=before: screen.searches > n)  # type: ignore[misc]
            assert screen.query_one("#contacts-table") is table  # same widget, new data
            assert table.row_count == expected  # type: ignore[attr-defined]
            assert table.virtual_size.height == expected + 1  # rows and the header
            assert table.cursor_row == 0  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "c030" in text_of(screen.query_one("#detail-body", Static)))


def test_plan_cells_are_cut_to_fit_the_screen() -> None:
    from gomoq.tui.screens.plan import CELL_WIDTH, cell

    ids = [f"{i}a6f0c2e-93b1-4c8e-9f6e-2d1b7c4e5a90" for i in range(3)]
    assert len(", ".join(ids)) > 100
    shown = cell(ids)
    assert len(shown) == CELL_WIDTH and shown.endswith("…") and shown.startswith(ids[0][:20])
    assert (
        cell(["a", "b"]) == "a, b"
        and cell(None) == "—"
        and cell("x" * CELL_WIDTH) == "x" * CELL_WIDTH
    )
    assert cell(list(range(5))) == "5 item(s)"
