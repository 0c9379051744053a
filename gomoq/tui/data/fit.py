"""Column widths sized to their content, shrunk to fit the screen, and cells cut with "…".

Every list screen (Calls, Attributes, Plan, History, Duplicates) sizes its columns here, so that
a value is shown whole when it fits and cut with an ellipsis when it does not (the whole value is
in the screen's detail pane), and no essential column falls off an 80- or 120-column terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

CELL_PADDING = 2
"""Characters a DataTable adds around each cell (one on either side)."""


def clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, the last one an ellipsis when anything was cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def fit_widths(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    available: int,
    *,
    minimum: int = 6,
    fixed: Sequence[int | None] | None = None,
) -> list[int]:
    """Content widths for columns: each its widest cell (or header), and when the total does not
    fit `available` characters (padding included), the widest ones shrunk to a fair share, none
    below `minimum` (headers are cut too: clip them). `fixed` gives a column a width that never
    changes."""
    natural = [
        max([len(h), *(len(r[i]) for r in rows if i < len(r))]) for i, h in enumerate(headers)
    ]
    pinned = [*(fixed or ()), *([None] * len(headers))][: len(headers)]
    natural = [f if f is not None else n for n, f in zip(natural, pinned, strict=True)]
    room = available - CELL_PADDING * len(headers)
    widths = list(natural)
    if sum(widths) <= room:
        return widths
    floors = [
        natural[i] if pinned[i] is not None else min(natural[i], minimum)
        for i in range(len(headers))
    ]
    # water-filling: lower a common cap until everything fits (or every column is at its floor)
    cap = max(widths)
    while cap > 0 and sum(max(floors[i], min(natural[i], cap)) for i in range(len(widths))) > room:
        cap -= 1
    return [max(floors[i], min(natural[i], cap)) for i in range(len(widths))]
