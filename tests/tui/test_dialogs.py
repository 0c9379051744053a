"""Dialogs show their whole question: a long one wraps inside the dialog instead of being cut."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

import gomoq.tui
from gomoq.tui.dialogs.ask import Confirm

QUESTION = (
    "Undo run 20261129-064921-44cf (apply, done)? Every change it made is put back as it was; "
    "a contact changed since then is reported as a conflict, not overwritten."
)


class _Host(App[None]):
    CSS_PATH = str(Path(gomoq.tui.__file__).parent / "app.tcss")


async def test_long_confirm_question_wraps_at_80_columns() -> None:
    app = _Host()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(Confirm(QUESTION, yes="Undo"))
        await pilot.pause()
        label = app.screen.query_one(".question")
        dialog = app.screen.query_one(".dialog")
        assert label.size.height >= 2
        assert label.size.width <= dialog.content_region.width
