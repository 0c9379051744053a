"""The Contacts screen's data: the searchable list and one contact's detail."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from gomoq.checks.base import CheckInput
from gomoq.checks.findings import empty_findings
from gomoq.checks.settings import CheckSettings
from gomoq.filters import Vocabulary
from gomoq.services.selection import Selection
from gomoq.tui.data.source import TableSource
from gomoq.tui.data.source import as_text as _text

# Columns of the Contacts table, in order. `id` is kept beside them to find the detail row.
LIST_COLUMNS: tuple[str, ...] = (
    "full_name",
    "primary_phone",
    "primary_email",
    "city",
    "occupation",
)
LIST_LABELS: tuple[str, ...] = ("Name", "Phone", "Email", "City", "Occupation")
LIST_WIDTHS: tuple[int, ...] = (20, 15, 24, 10, 14)


@dataclass(frozen=True)
class ContactIndex:
    """Every contact of a snapshot, ready to be filtered with the filter language.

    `frame` holds the list columns (and `id`) of every contact; `selection` builds the other
    columns a filter reads (attributes, audiences, bands, ...) on first use and keeps them, so
    only the expression runs again at each keystroke."""

    frame: pl.DataFrame
    selection: Selection

    @classmethod
    def load(cls, source: TableSource, settings: CheckSettings | None = None) -> ContactIndex:
        """Read the list columns of every contact and prepare the search text."""
        selection = Selection(
            CheckInput.from_snapshot(source), settings or CheckSettings(), columns=LIST_COLUMNS
        )
        frame = pl.DataFrame([selection.column(c) for c in ("id", *LIST_COLUMNS)])
        return cls(frame, selection)

    def vocabulary(self) -> Vocabulary:
        """The names the filter may use here (for completion)."""
        return self.selection.vocabulary()

    def search(
        self,
        query: str,
        *,
        findings: pl.DataFrame | None = None,
        only_ids: pl.Series | None = None,
    ) -> pl.DataFrame:
        """The contacts matching the filter `query` (`gomoq.filters`; raises `FilterError`).

        `findings` answer `check:`/`severity:`/`kind:` terms; `only_ids` restricts the result to
        those contact ids (the "with findings" switch)."""
        compiled = self.selection.compile(query)
        if compiled.empty and only_ids is None:
            return self.frame
        frame = self.selection.frame(compiled, findings=findings)
        keep = frame.select(compiled.expr).to_series()
        if only_ids is not None:
            keep = keep & self.frame.get_column("id").is_in(only_ids.implode())
        return self.frame.filter(keep)


@dataclass(frozen=True)
class ContactDetail:
    """Everything the detail pane shows about one contact."""

    contact_id: str
    fields: list[tuple[str, str]]
    attributes: list[tuple[str, str]]
    audiences: list[str]
    calls: pl.DataFrame
    findings: pl.DataFrame


def contact_detail(
    source: TableSource, contact_id: str, findings: pl.DataFrame | None = None
) -> ContactDetail | None:
    """The detail of one contact, or None when it is not in the snapshot."""
    rows = source.scan("contacts").filter(pl.col("id") == contact_id).collect()
    if rows.height == 0:
        return None
    row = rows.row(0, named=True)
    fields = [(k, _text(v)) for k, v in row.items() if k not in ("custom_attributes",)]
    attrs = (
        source.scan("attributes")
        .filter(pl.col("contact_id") == contact_id)
        .select("name", "value")
        .sort("name")
        .collect()
    )
    members = source.scan("audience_members").filter(pl.col("contact_id") == contact_id)
    audiences = (
        members.join(
            source.scan("audiences").select("id", "name"),
            left_on="audience_id",
            right_on="id",
            how="left",
        )
        .select(pl.coalesce("name", "audience_id").alias("name"))
        .collect()
        .get_column("name")
        .to_list()
    )
    calls = call_timeline(source, contact_id)
    mine = (findings if findings is not None else empty_findings()).filter(
        pl.col("contact_id") == contact_id
    )
    return ContactDetail(
        contact_id=contact_id,
        fields=fields,
        attributes=[(n, _text(v)) for n, v in attrs.iter_rows()],
        audiences=[str(a) for a in audiences],
        calls=calls,
        findings=mine,
    )


def call_timeline(source: TableSource, contact_id: str, limit: int = 50) -> pl.DataFrame:
    """The contact's call attempts, oldest first (the last `limit`)."""
    return (
        source.scan("calls")
        .filter(pl.col("contact_id") == contact_id)
        .select("created_at", "status", "direction", "phone_number", "duration_ms")
        .sort("created_at")
        .collect()
        .tail(limit)
    )
