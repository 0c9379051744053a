"""The Arrow-backed virtual table (textual-fastdatatable) with preset column widths.

The stock backend measures every cell of every column to size the columns, which costs seconds on
a million rows; the widths of a list are known in advance, so `FixedWidthBackend` skips that.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from textual_fastdatatable import ArrowBackend, DataTable

from gomoq.safe_text import printable_expr


class FixedWidthBackend(ArrowBackend):
    """An `ArrowBackend` whose column content widths are given, never measured."""

    def __init__(self, frame: pl.DataFrame, widths: Sequence[int]) -> None:
        # the organisation's text is shown as text: control characters as visible pictures
        # (only rows holding one pay for it), and the table renders no markup (see below)
        text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
        if text:
            frame = frame.with_columns(printable_expr(pl.col(name)).alias(name) for name in text)
        super().__init__(frame.to_arrow())
        self._fixed_widths = list(widths)

    @property
    def column_content_widths(self) -> list[int]:
        """The preset widths (the table truncates longer cells)."""
        return self._fixed_widths


class ArrowTable(DataTable):
    """The virtual table, whose data can be replaced in place (no unmount and mount)."""

    def replace_backend(self, backend: FixedWidthBackend) -> None:
        """Show `backend`'s rows instead, cursor and scroll back at the top.

        textual-fastdatatable has no public way to do this (its `clear` says "mount a new
        table"); mounting costs a good part of a search's 250 ms budget on a busy machine.
        This resets the same private state a fresh table starts with — the package is pinned
        exactly (style habit 14), and a Pilot test covers searching twice.
        """
        self.backend = backend
        backend.render_markup = False  # cells are data: `[@click=…]` in a name stays text
        self._ordered_columns = None
        self._clear_caches()
        self._update_dimensions([])
        self.cursor_coordinate = self.validate_cursor_coordinate(
            self.cursor_coordinate._replace(row=0)
        )
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()


def arrow_table(
    backend: FixedWidthBackend,
    labels: Sequence[str],
    widths: Sequence[int],
    *,
    id: str | None = None,
) -> ArrowTable:
    """A row-cursor virtual table over `backend`.

    Build the backend in a worker: converting a million rows to Arrow takes a while.
    """
    return ArrowTable(
        backend=backend,
        column_labels=list(labels),
        column_widths=list(widths),
        cursor_type="row",
        show_row_labels=False,
        render_markup=False,
        zebra_stripes=True,
        id=id,
    )
