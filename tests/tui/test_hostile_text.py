"""Hostile text in the app (issue 13 item 8): an organisation's data never reaches the terminal
as a command (escape sequences) nor the widgets as markup."""

from __future__ import annotations

from typing import cast

import polars as pl
from textual.pilot import Pilot
from textual.widgets import Static

from gomoq.tui.app import GomoqApp
from gomoq.tui.data import FrameSource
from gomoq.tui.screens.contacts import ContactsScreen
from gomoq.tui.widgets.safe_cells import SafeDataTable, safe_cell
from tests.tui import frames
from tests.tui.conftest import PROFILE, wait_for

ESCAPES = "\x1b[2J\x1b]52;c;SGVsbG8=\x07"  # a screen clear and an OSC 52 clipboard write
MARKUP = "[@click=app.quit]Quit[/]"


def _hostile_app() -> GomoqApp:
    tables = frames.frames()
    contacts = tables["contacts"].with_columns(
        pl.when(pl.col("id") == "c000")
        .then(pl.lit(ESCAPES + "Evil" + MARKUP))
        .otherwise(pl.col("full_name"))
        .alias("full_name"),
        pl.when(pl.col("id") == "c000")
        .then(pl.lit("+212600000000" + ESCAPES))
        .otherwise(pl.col("primary_phone"))
        .alias("primary_phone"),
    )
    tables["contacts"] = contacts
    source = FrameSource(tables, {"finished_at": "2026-01-05T09:00:00+00:00"})
    return GomoqApp(PROFILE, source=source, findings=frames.findings())


def _controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]


async def test_contacts_table_and_detail_show_escapes_as_pictures() -> None:
    app = _hostile_app()
    async with app.run_test(size=(120, 40)) as running:
        pilot = cast(Pilot[object], running)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ContactsScreen)
        await wait_for(pilot, lambda: screen.searches >= 1)
        table = screen.query_one("#contacts-table")
        assert table.render_markup is False  # type: ignore[attr-defined]
        shown = [str(v) for v in table.backend.get_row_at(0)]  # type: ignore[attr-defined]
        assert any("␛[2J␛]52;c;SGVsbG8=␇Evil" in v for v in shown), shown
        assert not any(_controls(v) for v in shown)
        detail = screen.query_one("#detail-body", Static)
        await wait_for(pilot, lambda: "Evil" in str(detail.render()))
        text = str(detail.render())
        assert "␛[2J" in text and _controls(text) == []
        assert MARKUP in text  # shown as typed, not run
        # what the screen draws holds no raw escape either
        picture = app.export_screenshot()
        assert "\x1b" not in picture and "\x07" not in picture


def test_safe_cells_are_plain_text() -> None:
    cell = safe_cell(ESCAPES + MARKUP)
    assert str(cell) == "␛[2J␛]52;c;SGVsbG8=␇" + MARKUP
    assert cell.spans == []
    assert safe_cell(3) == 3
    assert issubclass(SafeDataTable, object)
