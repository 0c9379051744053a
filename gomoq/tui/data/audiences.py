"""The Audiences screen's data: every audience with its count, the segment behind it, and for
a segment who would join and who would leave (Textual-free; run in workers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from gomoq.services.audiences import audience_state
from gomoq.services.selection import Selection

PREVIEW = 12
"""Names shown per list in the preview."""


@dataclass(frozen=True)
class AudienceRow:
    """One line of the Audiences screen."""

    name: str
    audience_id: str | None
    type: str
    members: int
    segment: str | None = None
    """The segment's filter, when a segment of this name exists."""
    matching: int | None = None
    joiners: list[str] = field(default_factory=list)
    leavers: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int | None:
        """Joiners + leavers (+1 to create it), None when no segment is behind it."""
        if self.segment is None:
            return None
        return len(self.joiners) + len(self.leavers) + (self.audience_id is None)


def audience_rows(selection: Selection, segments: Mapping[str, str]) -> list[AudienceRow]:
    """Every cached audience and every segment, segments' audiences first, then by name."""
    audiences = selection.tables.audiences.select("id", "name", "type").collect()
    counts = dict(
        selection.tables.audience_members.filter(
            pl.col("status").is_null() | (pl.col("status") == "active")
        )
        .join(selection.column("id").to_frame("contact_id").lazy(), on="contact_id", how="semi")
        .group_by("audience_id")
        .len()
        .collect()
        .iter_rows()
    )
    rows: list[AudienceRow] = []
    named: set[str] = set()
    for name, text in sorted(segments.items()):
        state = audience_state(selection, name, text)
        named.add(name)
        rows.append(
            AudienceRow(
                name,
                state.audience_id,
                state.audience_type or "none yet",
                state.members,
                text,
                state.matching,
                state.joiners,
                state.leavers,
            )
        )
    for aid, name, kind in sorted(audiences.iter_rows(), key=lambda r: str(r[1]).lower()):
        if name in named:
            continue
        rows.append(
            AudienceRow(str(name), str(aid), str(kind or "static"), int(counts.get(aid, 0)))
        )
    return rows


def names_of(selection: Selection, ids: list[str], limit: int = PREVIEW) -> list[str]:
    """Display names of the first `limit` contacts of `ids` (the phone when nameless)."""
    wanted = ids[:limit]
    if not wanted:
        return []
    columns = [selection.column(c) for c in ("id", "full_name", "primary_phone")]
    frame = pl.DataFrame(columns).filter(pl.col("id").is_in(wanted))
    by_id = {i: (n or p) for i, n, p in frame.iter_rows()}
    return [str(by_id.get(i) or i) for i in wanted]
