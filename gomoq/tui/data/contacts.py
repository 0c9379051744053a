"""The Contacts screen's data: the searchable list and one contact's detail."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from gomoq.checks.findings import empty_findings
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
    """The contacts list and a lower-cased search text per row, built once per snapshot."""

    frame: pl.DataFrame
    haystack: pl.Series
    _lowered: dict[str, pl.Series] = field(default_factory=dict, repr=False, compare=False)

    def lowered(self, column: str) -> pl.Series:
        """`column` lower-cased, nulls as "" (computed on first use, then kept)."""
        if column not in self._lowered:
            col = self.frame.get_column(column).fill_null("").str.to_lowercase()
            self._lowered[column] = col
        return self._lowered[column]

    @classmethod
    def load(cls, source: TableSource) -> ContactIndex:
        """Read the list columns of every contact and prepare the search text."""
        frame = (
            source.scan("contacts")
            .select("id", *LIST_COLUMNS)
            .with_columns(
                pl.concat_str([pl.col(c).fill_null("") for c in LIST_COLUMNS], separator="\x1f")
                .str.to_lowercase()
                .alias("_hay")
            )
            .collect()
        )
        return cls(frame.drop("_hay"), frame.get_column("_hay"))

    def search(self, query: str, *, only_ids: pl.Series | None = None) -> pl.DataFrame:
        """Rows whose text contains every word of `query` (case-insensitive, literal).

        A word `field:value` (e.g. `city:rabat`) matches inside that list column only.
        `only_ids` restricts the result to those contact ids (the "with findings" filter).
        """
        mask = pl.repeat(True, self.frame.height, eager=True)
        columns = {c.split("_")[-1]: c for c in LIST_COLUMNS} | {c: c for c in LIST_COLUMNS}
        for word in query.lower().split():
            name, _, value = word.partition(":")
            if value and name in columns:
                mask = mask & self.lowered(columns[name]).str.contains(value, literal=True)
            else:
                mask = mask & self.haystack.str.contains(word, literal=True)
        if only_ids is not None:
            mask = mask & self.frame.get_column("id").is_in(only_ids.implode())
        if query.strip() == "" and only_ids is None:
            return self.frame
        return self.frame.filter(mask)


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


FINDING_FILTERS = ("check", "severity", "kind")
"""Search words `check:X`, `severity:X`, `kind:X` keep contacts with such findings."""


def finding_filter(query: str, findings: pl.DataFrame) -> tuple[str, pl.Series | None]:
    """Split `check:`/`severity:`/`kind:` words out of `query`.

    Returns the rest of the query and the ids of contacts having a finding that matches every
    such word (None when the query has none).
    """
    rest: list[str] = []
    mask = pl.repeat(True, findings.height, eager=True)
    used = False
    for word in query.split():
        name, _, value = word.partition(":")
        if value and name.lower() in FINDING_FILTERS:
            used = True
            col = findings.get_column(name.lower()).fill_null("").str.to_lowercase()
            mask = mask & col.str.contains(value.lower(), literal=True)
        else:
            rest.append(word)
    if not used:
        return query, None
    ids = findings.filter(mask).get_column("contact_id").drop_nulls().unique()
    return " ".join(rest), ids
