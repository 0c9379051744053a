"""The Arrow-backed virtual table (textual-fastdatatable) with preset column widths.

The stock backend measures every cell of every column to size the columns, which costs seconds on
a million rows; the widths of a list are known in advance, so `FixedWidthBackend` skips that.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from textual_fastdatatable import ArrowBackend, DataTable


class FixedWidthBackend(ArrowBackend):
    """An `ArrowBackend` whose column content widths are given, never measured."""

    def __init__(self, frame: pl.DataFrame, widths: Sequence[int]) -> None:
        super().__init__(frame.to_arrow())
        self._fixed_widths = list(widths)

    @property
    def column_content_widths(self) -> list[int]:
        """The preset widths (the table truncates longer cells)."""
        return self._fixed_widths


def arrow_table(
    backend: FixedWidthBackend,
    labels: Sequence[str],
    widths: Sequence[int],
    *,
    id: str | None = None,
) -> DataTable:
    """A row-cursor virtual table over `backend`.

    Build the backend in a worker: converting a million rows to Arrow takes a while.
    """
    return DataTable(
        backend=backend,
        column_labels=list(labels),
        column_widths=list(widths),
        cursor_type="row",
        show_row_labels=False,
        zebra_stripes=True,
        id=id,
    )
