"""Every screen usable at 80x24: the cursor stays in view, the detail pane is reachable."""

from __future__ import annotations

from textual.containers import VerticalScroll

from gomoq.tui.app import GomoqApp
from gomoq.tui.screens.contacts import ContactsScreen
from gomoq.tui.widgets.table import ArrowTable
from tests.tui.conftest import wait_for


async def test_contacts_cursor_stays_in_view_and_detail_scrolls_by_keyboard(
    frame_app: GomoqApp,
) -> None:
    async with frame_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        screen = frame_app.screen
        assert isinstance(screen, ContactsScreen)
        await wait_for(pilot, lambda: screen.searches >= 1)
        table = screen.query_one("#contacts-table", ArrowTable)
        table.focus()
        await pilot.press("home", *["down"] * 32)
        await pilot.pause()
        assert table.cursor_row == 32
        top = round(table.scroll_y)
        visible = table.scrollable_content_region.height - 1  # the header row
        assert table.region.bottom <= screen.query_one("#table-slot").region.bottom
        assert top <= 32 < top + visible, (top, visible)
        await wait_for(pilot, lambda: "c032" in str(screen.query_one("#detail-body").render()))
        await pilot.press("D")
        detail = screen.query_one("#detail", VerticalScroll)
        assert frame_app.focused is detail
        await pilot.press("end")
        await pilot.pause()
        assert detail.scroll_y > 0  # the Findings section at the bottom is reachable
        await pilot.press("D")
        assert frame_app.focused is table


def test_timeline_marks_follow_the_checks_definition() -> None:
    from datetime import UTC, datetime

    import polars as pl

    from gomoq.checks.settings import CallFailureSettings
    from gomoq.tui.screens.calls import timeline_text

    t = datetime(2026, 1, 1, tzinfo=UTC)
    calls = pl.DataFrame(
        {"created_at": [t, t, t, t], "status": ["answered", "no_answer", "voicemail", "weird"]}
    )
    lines = timeline_text(calls).plain.splitlines()
    assert [line[0] for line in lines] == ["●", "✗", "○", "○"]  # voicemail is no failure
    strict = CallFailureSettings(voicemail_is_failure=True, unknown_is_failure=True)
    assert [line[0] for line in timeline_text(calls, strict).plain.splitlines()] == [
        "●",
        "✗",
        "✗",
        "✗",
    ]


def test_columns_fit_their_content_and_shrink_to_the_screen() -> None:
    from gomoq.tui.data.fit import clip, fit_widths

    rows = [["□", "Mohamed Benali El Idrissi", "+212 (0)616210982", "no answer ×4, busy ×2"]]
    headers = ["", "Name", "Phone", "Evidence"]
    assert fit_widths(headers, rows, 120, fixed=[1]) == [1, 25, 17, 21]  # whole values
    narrow = fit_widths(headers, rows, 50, minimum=8, fixed=[1])
    assert sum(narrow) + 2 * len(headers) <= 50 and narrow[0] == 1 and min(narrow[1:]) >= 8
    assert clip("preferred_language", 10) == "preferred…" and clip("ab", 10) == "ab"


def test_detail_pane_keeps_a_long_attribute_name_apart_from_its_value() -> None:
    import polars as pl

    from gomoq.tui.data import ContactDetail
    from gomoq.tui.screens.contacts import detail_text

    detail = ContactDetail(
        contact_id="c1",
        fields=[("first_name", "Amina")],
        attributes=[("preferred_language", "ar")],
        audiences=[],
        calls=pl.DataFrame(schema={"created_at": pl.Datetime("ms", "UTC"), "status": pl.String}),
        findings=pl.DataFrame(
            schema={
                "severity": pl.String,
                "check": pl.String,
                "kind": pl.String,
                "evidence": pl.String,
                "decision": pl.String,
            }
        ),
    )
    text = detail_text(detail).plain
    assert "preferred_languagear" not in text and "preferred_langua… ar" in text
