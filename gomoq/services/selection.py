"""Choosing contacts with the filter language, over one cache snapshot.

`Selection` holds a snapshot's tables (`CheckInput`) and the check settings; `select(text)` parses
the filter (`gomoq.filters`), builds the columns it reads — contact columns, attribute values,
audience memberships, engagement bands and call counts, phone regions, findings — and returns the
matching contacts. Each derived column is built once and kept (the Contacts screen filters the
same million contacts again at every keystroke; only the expression runs again).

The Contacts screen, segments, `gomoq audience refresh` and `gomoq export` all choose contacts
through here, so what the operator sees on screen is what an export or a refresh takes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from gomoq.checks.base import CheckInput
from gomoq.checks.call_failures import call_summary
from gomoq.checks.inactivity import engagement
from gomoq.checks.settings import CheckSettings
from gomoq.filters import (
    HAYSTACK,
    LOWER,
    SEARCH_COLUMNS,
    Compiled,
    Need,
    Vocabulary,
    compile_filter,
)

FindingsFn = Callable[[], pl.DataFrame]
"""Gives the findings (the checks' shape) when a filter names `check:`/`severity:`/`kind:`."""

CALL_COLUMNS = (
    "band",
    "calls.attempts",
    "calls.answered",
    "calls.failed",
    "calls.other",
    "calls.unknown",
    "last_answered_at",
    "last_called_at",
)
PHONE_COLUMNS = ("phone.valid", "phone.region")


class Selection:
    """The contacts of one snapshot, ready to be filtered again and again (thread-safe)."""

    def __init__(
        self,
        tables: CheckInput,
        settings: CheckSettings,
        *,
        findings: FindingsFn | None = None,
        columns: Iterable[str] = SEARCH_COLUMNS,
    ) -> None:
        self.tables = tables
        self.settings = settings.pinned()
        self._findings = findings
        self._lock = threading.Lock()
        base = tables.contacts.select("id", *dict.fromkeys(columns)).collect()
        hay = base.select(
            pl.concat_str([pl.col(c).fill_null("") for c in SEARCH_COLUMNS], separator="\x1f")
            .str.to_lowercase()
            .alias(HAYSTACK)
        ).to_series()
        self._columns: dict[str, pl.Series] = {c: base.get_column(c) for c in base.columns}
        self._columns[HAYSTACK] = hay
        self.height = base.height
        self._vocabulary: Vocabulary | None = None
        self._finding_cols: dict[str, tuple[pl.DataFrame | None, pl.Series]] = {}

    # -- the language's names -------------------------------------------------------------------
    def vocabulary(self) -> Vocabulary:
        """Attribute and audience names of the snapshot, the region and "now"."""
        if self._vocabulary is None:
            names = attribute_names(self.tables)
            audiences = self.tables.audiences.select("name", "id").collect()
            self._vocabulary = Vocabulary(
                attributes=names,
                audiences={str(n): str(i) for n, i in audiences.iter_rows() if n is not None},
                region=self.settings.region,
                now=self.settings.today(),
            )
        return self._vocabulary

    def compile(self, text: str) -> Compiled:
        """`text` compiled against this snapshot's names (raises `FilterError`)."""
        return compile_filter(text, self.vocabulary())

    # -- evaluation -----------------------------------------------------------------------------
    def frame(
        self,
        compiled: Compiled,
        columns: Iterable[str] = (),
        *,
        findings: pl.DataFrame | None = None,
    ) -> pl.DataFrame:
        """Every contact with the columns `compiled` reads, and `columns`. `findings`, when
        given, answers the findings terms instead of the selection's own."""
        wanted = [
            "id",
            *columns,
            *compiled.expr.meta.root_names(),
        ]
        needs = {n.column: n for n in compiled.needs}
        series: dict[str, pl.Series] = {}
        for name in dict.fromkeys(wanted):
            need = needs.get(name)
            if name.startswith("find:") and need is not None:
                series[name] = self._findings_column(need, findings)
            else:
                series[name] = self.column(name, need)
        return pl.DataFrame(list(series.values()))

    def select(self, text: str | Compiled, columns: Iterable[str] = ()) -> pl.DataFrame:
        """The contacts matching the filter, with `id`, `columns` and what the filter read."""
        compiled = self.compile(text) if isinstance(text, str) else text
        frame = self.frame(compiled, columns)
        return frame if compiled.empty else frame.filter(compiled.expr)

    def ids(self, text: str | Compiled) -> pl.Series:
        """The ids of the contacts matching the filter (in the cache's order)."""
        return self.select(text).get_column("id")

    def column(self, name: str, need: Need | None = None) -> pl.Series:
        """One column, built on first use and kept (findings columns: per findings frame)."""
        if name.startswith("find:"):
            assert need is not None
            return self._findings_column(need, None)
        with self._lock:
            if name in self._columns:
                return self._columns[name]
        built = self._build(name, need)
        with self._lock:
            for col in built:
                self._columns.setdefault(col.name, col)
            return self._columns[name]

    def _build(self, name: str, need: Need | None) -> list[pl.Series]:
        if name.startswith(LOWER):
            return [self.column(name[len(LOWER) :]).str.to_lowercase().alias(name)]
        ids = self.column("id").to_frame()
        if name in CALL_COLUMNS:
            return self._calls(ids)
        if name in PHONE_COLUMNS:
            phones = self.tables.contact_phones(self.settings.region).select(
                pl.col("id"),
                pl.col("valid").alias("phone.valid"),
                pl.col("region_code").alias("phone.region"),
            )
            joined = ids.join(phones.unique("id"), on="id", how="left", maintain_order="left")
            return [joined.get_column(c) for c in PHONE_COLUMNS]
        if name.startswith("attr:"):
            values = (
                self.tables.attributes.filter(pl.col("name") == name[len("attr:") :])
                .select("contact_id", pl.col("value").alias(name))
                .collect()
            )
            joined = ids.join(
                values, left_on="id", right_on="contact_id", how="left", maintain_order="left"
            )
            return [joined.get_column(name)]
        if name.startswith("aud:"):
            members = (
                self.tables.audience_members.filter(
                    (pl.col("audience_id") == name[len("aud:") :])
                    & (pl.col("status").is_null() | (pl.col("status") == "active"))
                )
                .select("contact_id")
                .collect()
                .to_series()
            )
            return [ids.get_column("id").is_in(members.implode()).alias(name)]
        # A contact column the base frame does not hold yet: read in the cache's order.
        return [self.tables.contacts.select(name).collect().to_series()]

    def _calls(self, ids: pl.DataFrame) -> list[pl.Series]:
        summary = call_summary(self.tables, self.settings).select(
            pl.col("contact_id").alias("id"),
            *[
                pl.col(c).fill_null(0).cast(pl.Int64).alias(f"calls.{c}")
                for c in ("attempts", "answered", "failed", "other", "unknown")
            ],
            pl.col("last_answered_at"),
            pl.col("last_at").alias("last_called_at"),
        )
        bands = engagement(self.tables, self.settings).select(
            pl.col("contact_id").alias("id"), "band"
        )
        joined = ids.join(summary.unique("id"), on="id", how="left", maintain_order="left").join(
            bands.unique("id"), on="id", how="left", maintain_order="left"
        )
        return [joined.get_column(c) for c in CALL_COLUMNS]

    def _findings_column(self, need: Need, given: pl.DataFrame | None) -> pl.Series:
        findings = given
        if findings is None and self._findings is not None:
            findings = self._findings()
        with self._lock:
            cached = self._finding_cols.get(need.column)
            if cached is not None and cached[0] is findings:
                return cached[1]
        ids = self.column("id")
        if findings is None or findings.height == 0:
            col = pl.repeat(False, self.height, eager=True, dtype=pl.Boolean)
        else:
            mask = pl.lit(True)
            for column, values in need.conditions:
                text = pl.col(column.rstrip("+")).fill_null("").str.to_lowercase()
                mask = mask & pl.any_horizontal(
                    [text.str.contains(v, literal=True) for v in values]
                )
            hit = findings.filter(mask).get_column("contact_id").drop_nulls().unique()
            col = ids.is_in(hit.implode())
        col = col.alias(need.column)
        with self._lock:
            # Kept with the frame it came from: a new findings frame (after a check run or a
            # decision) builds it again.
            self._finding_cols[need.column] = (findings, col)
        return col

    def with_findings(self, findings: FindingsFn | None) -> None:
        """Use `findings` from now on (the app's findings change after a check run)."""
        self._findings = findings


def attribute_names(tables: CheckInput) -> tuple[str, ...]:
    """Every attribute name of a snapshot: defined ones and those contacts carry, sorted."""
    defined = tables.attribute_defs.select("name").collect().to_series()
    used = tables.attributes.select(pl.col("name").unique()).collect().to_series()
    return tuple(sorted({str(n) for n in (*defined.to_list(), *used.to_list()) if n}))


def selection_for(snapshot: Any, settings: CheckSettings, **kwargs: Any) -> Selection:
    """A `Selection` over a cache snapshot (`gomoq.cache.store.Snapshot`)."""
    return Selection(CheckInput.from_snapshot(snapshot), settings, **kwargs)
