"""Inactivity: the engagement bands' counts and, for the highlighted band, its contacts; the
guide's three ways to take a contact out of play — (A) `x` soft delete, (B) `r` remove from
active audiences, (C) `F` flag `is_active=false` — as decisions applied from the Plan screen.

Bands come from `gomoq.checks.inactivity.engagement` (the thresholds of the profile's
`checks.inactivity`); only contacts with an inactivity finding (Inactive, At risk, Never
answered, and Never called when reported) can carry a decision.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.data.phones import band_counts, band_rows, engagement_bands
from gomoq.tui.messages import DecisionRecorded, DecisionsTakenBack, TableReady
from gomoq.tui.screens.base import WorkbenchScreen, taken_back_text

ACTIONS = {"delete": "A: delete", "remove_from_audiences": "B: off auds", "flag": "C: flagged"}
SAID = {
    "delete": "A: to soft-delete",
    "remove_from_audiences": "B: out of their audiences",
    "flag": "C: is_active=false",
}
FLAG_PAYLOAD: dict[str, Any] = {
    "attribute": "is_active",
    "value": False,
    "attribute_type": "boolean",
}
GUIDE = "A x soft delete · B r remove from active audiences · C F flag is_active=false"


class InactivityScreen(WorkbenchScreen):
    """Bands above, the highlighted band's contacts below; select and decide."""

    TITLE_TEXT = "Inactivity"
    MODE = "inactivity"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_row", "Select"),
        Binding("asterisk", "toggle_all", "Select all", key_display="*"),
        Binding("x", "decide('delete')", "A delete"),
        Binding("r", "decide('remove_from_audiences')", "B off audiences"),
        Binding("F", "decide('flag')", "C flag"),
        Binding("u", "undo", "Undo"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.bands: pl.DataFrame | None = None
        self.counts: pl.DataFrame | None = None
        self.band = "Inactive"
        self.rows: pl.DataFrame | None = None
        self.selected: set[str] = set()

    def compose_body(self) -> ComposeResult:
        with Vertical(id="inactivity"):
            yield Label("Waiting for the snapshot…", id="inactivity-status")
            yield DataTable(id="bands-table", cursor_type="row")
            yield Label(GUIDE, id="inactivity-guide")
            yield DataTable(id="band-contacts", cursor_type="row")

    def refresh_data(self) -> None:
        app = self.workbench
        source = app.source
        if source is None:
            return
        settings = app.check_settings()

        def work(_p: ProgressFn, _c: CancelFn) -> TableReady:
            return TableReady("bands", engagement_bands(source, settings))

        self.start("bands", "Computing bands", work, show=False)

    def on_table_ready(self, message: TableReady) -> None:
        self.finish(message.name)
        if message.name == "bands":
            self.bands = message.frame
            self.counts = band_counts(message.frame)
            self._draw_bands()
            self._list_band()
        elif message.name == "band-rows":
            self.rows = message.frame
            self.selected &= set(self.rows.get_column("contact_id").to_list())
            self._draw_rows()

    def _draw_bands(self) -> None:
        counts = self.counts
        if counts is None:
            return
        table = self.query_one("#bands-table", DataTable)
        table.clear(columns=True)
        table.add_columns("Band", "Contacts")
        for band, n in counts.iter_rows():
            table.add_row(band, f"{n:,}", key=band)
        names = counts.get_column("band").to_list()
        if self.band in names:
            table.move_cursor(row=names.index(self.band))

    def _list_band(self) -> None:
        bands, source = self.bands, self.workbench.source
        findings, band = self.workbench.findings, self.band
        if bands is None or source is None:
            return

        def work(_p: ProgressFn, _c: CancelFn) -> TableReady:
            return TableReady("band-rows", band_rows(bands, band, findings, source))

        self.start("band-rows", "Listing contacts", work, show=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "bands-table" or event.row_key.value is None:
            return
        if event.row_key.value != self.band:
            self.band = str(event.row_key.value)
            self.selected.clear()
            self._list_band()

    def _draw_rows(self) -> None:
        rows = self.rows
        if rows is None:
            return
        table = self.query_one("#band-contacts", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns("", "Name", "Phone", "Days", "Calls", "Last answer", "Decision")
        for r in rows.iter_rows(named=True):
            mark = "■" if r["contact_id"] in self.selected else "□"
            table.add_row(
                mark,
                r["name"] or "—",
                r["phone"] or "—",
                "—" if r["days"] is None else f"{r['days']:,}",
                f"{r['attempts']:,}",
                r["last_answered"] or "never",
                ACTIONS.get(r["decision"] or "", r["decision"] or ""),
                key=r["contact_id"],
            )
        if rows.height:
            table.move_cursor(row=min(cursor, rows.height - 1))
        total = int(self.counts["contacts"].sum()) if self.counts is not None else 0
        text = f"{total:,} contacts · {self.band}: {rows.height:,}"
        if self.selected:
            text += f" · {len(self.selected)} selected"
        self.query_one("#inactivity-status", Label).update(text)

    def _current_id(self) -> str | None:
        table = self.query_one("#band-contacts", DataTable)
        if self.rows is None or not 0 <= table.cursor_row < self.rows.height:
            return None
        return str(self.rows.get_column("contact_id")[table.cursor_row])

    def action_toggle_row(self) -> None:
        """Select or unselect the highlighted contact."""
        contact_id = self._current_id()
        if contact_id is not None:
            self.selected ^= {contact_id}
            self._draw_rows()

    def action_toggle_all(self) -> None:
        """Select every contact of the band, or none when all are selected already."""
        if self.rows is None:
            return
        every = set(self.rows.get_column("contact_id").to_list())
        self.selected = set() if every <= self.selected else every
        self._draw_rows()

    def _picked(self) -> pl.DataFrame:
        if self.rows is None:
            return pl.DataFrame()
        targets = sorted(self.selected) or [c for c in [self._current_id()] if c]
        return self.rows.filter(pl.col("contact_id").is_in(targets))

    def action_undo(self) -> None:
        """Take back the decisions on the selected contacts (or the highlighted one)."""
        picked = self._picked()
        if picked.height == 0:
            return
        self.take_back_rows(picked, picked.height)

    def on_decisions_taken_back(self, message: DecisionsTakenBack) -> None:
        self.finish("decision")
        self.workbench.note_taken_back(message.restored)
        self.selected.clear()
        self.notify(taken_back_text(message.restored, message.label), timeout=3)
        self._list_band()

    def action_decide(self, decision: str) -> None:
        """Record option A, B or C for the selected contacts (or the highlighted one)."""
        profile, findings = self.workbench.profile, self.workbench.findings
        picked = self._picked()
        if profile is None or picked.height == 0:
            return
        ids = picked.select(pl.col("finding_ids").explode()).to_series().drop_nulls().to_list()
        if not ids:
            self.notify(
                f"{self.band} contacts carry no inactivity finding to decide on.", timeout=5
            )
            return
        payload = FLAG_PAYLOAD if decision == "flag" else None
        count = picked.filter(pl.col("finding_ids").is_not_null()).height

        def work(_p: ProgressFn, _c: CancelFn) -> DecisionRecorded:
            bridge.record_decisions(profile, findings, ids, decision, payload=payload)
            people = f"{count} contact" + ("" if count == 1 else "s")
            return DecisionRecorded(
                ids, decision, f"{people}: {SAID[decision]} (decided; apply from Plan)"
            )

        self.start("decision", "Saving", work, show=False, exclusive=False)

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        self.finish("decision")
        self.workbench.note_decision(message.finding_ids, message.decision)
        self.selected.clear()
        self.notify(message.label, timeout=5)
        self._list_band()
