"""Cells and panes that show an organisation's data as text, never as commands or markup.

Anyone who can create a contact can put terminal escape sequences or Rich markup
(`[@click=app.quit]`, `[link=…]`) in a name, a phone or an attribute. Every table of the app is
either the Arrow table (`gomoq.tui.widgets.table`, markup off, text columns made printable in
polars) or a `SafeDataTable` here, whose string cells become plain `Text` with their control
characters shown as pictures (`gomoq.safe_text.printable`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets._data_table import CellType, RowKey

from gomoq.safe_text import printable


def safe_cell(value: Any) -> Any:
    """A table cell for `value`: text as plain, printable `Text`; anything else as is."""
    if isinstance(value, str):
        return Text(printable(value))
    if isinstance(value, Text):
        plain = printable(value.plain)
        if plain == value.plain:
            return value
        return Text(plain, style=value.style)
    return value


class SafeDataTable(DataTable[Any]):
    """Textual's `DataTable`, whose `add_row` reads string cells as text, not markup."""

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        """`DataTable.add_row` with every cell made safe (`safe_cell`)."""
        return super().add_row(*(safe_cell(c) for c in cells), height=height, key=key, label=label)
