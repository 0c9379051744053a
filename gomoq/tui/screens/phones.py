"""Phones: unusable numbers grouped by reason, each contact with its calls; numbers stored in
another form than E.164, to rewrite. Select one, several (space) or a whole group (`G`), then
flag, soft-delete, remove from audiences or normalise — decisions, applied from the Plan screen.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.data import call_timeline
from gomoq.tui.data.phones import NOT_E164, phone_rows, rewrite_estimate
from gomoq.tui.messages import DecisionRecorded, DecisionsTakenBack, TableReady
from gomoq.tui.screens.base import WorkbenchScreen, taken_back_text
from gomoq.tui.screens.calls import timeline_text

ACTIONS = {
    "flag": "flagged",
    "delete": "to delete",
    "remove_from_audiences": "off audiences",
    "set_phone": "to normalise",
}
# one attribute per reason (the flag model of gomoq.plan.auto)
FLAG_PAYLOAD: dict[str, Any] = {
    "attribute": "dq_invalid_phone",
    "value": True,
    "attribute_type": "boolean",
}


class PhonesScreen(WorkbenchScreen):
    """Numbers by reason; select and decide, like the Calls screen."""

    TITLE_TEXT = "Phones"
    MODE = "phones"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_row", "Select"),
        Binding("G", "toggle_group", "Select group", key_display="G"),
        Binding("asterisk", "toggle_all", "Select all", key_display="*"),
        Binding("F", "decide('flag')", "Flag"),
        Binding("x", "decide('delete')", "Delete"),
        Binding("r", "decide('remove_from_audiences')", "Remove from audiences"),
        Binding("n", "decide('set_phone')", "Normalise"),
        Binding("u", "undo", "Undo"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: pl.DataFrame | None = None
        self.selected: set[str] = set()  # row keys: "<contact id>|<reason>"

    def compose_body(self) -> ComposeResult:
        with Vertical(id="phones"):
            yield Label("Waiting for the checks…", id="phones-status")
            with Horizontal(id="phones-main"):
                yield DataTable(id="phones-table", cursor_type="row")
                with VerticalScroll(id="phones-side"):
                    yield Static("Highlight a contact to see its calls.", id="phones-detail")

    def refresh_data(self) -> None:
        app = self.workbench
        source, findings = app.source, app.findings
        if source is None:
            return
        region = app.profile.region if app.profile is not None else "MA"

        def work(_p: ProgressFn, _c: CancelFn) -> TableReady:
            return TableReady("phones", phone_rows(findings, source, region))

        self.start("phones", "Listing phones", work, show=False)

    def on_table_ready(self, message: TableReady) -> None:
        self.finish(message.name)
        if message.name == "phone-calls":
            self._show_detail(message.frame)
            return
        self.rows = message.frame.with_columns(
            pl.concat_str("contact_id", pl.lit("|"), "reason").alias("key")
        )
        self.selected &= set(self.rows.get_column("key").to_list())
        self.redraw()

    @staticmethod
    def key_of(row: dict[str, Any]) -> str:
        """The table key of a row (a contact can be listed under two reasons)."""
        return f"{row['contact_id']}|{row['reason']}"

    def redraw(self) -> None:
        """Draw the list keeping the cursor where it was."""
        rows = self.rows
        if rows is None:
            return
        table = self.query_one("#phones-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns("", "Reason", "Name", "Phone", "E.164", "Failed", "Decision")
        for r in rows.iter_rows(named=True):
            mark = "■" if r["key"] in self.selected else "□"
            e164 = r["e164"] or "—"
            if r["duplicate"] and r["e164"]:
                e164 += " (dup)"
            table.add_row(
                mark,
                r["reason"],
                r["name"] or "—",
                r["phone"] or "—",
                e164,
                f"{r['failures']}/{r['calls']}" if r["calls"] else "0/0",
                ACTIONS.get(r["decision"] or "", r["decision"] or ""),
                key=r["key"],
            )
        if rows.height:
            table.move_cursor(row=min(cursor, rows.height - 1))
        self.query_one("#phones-status", Label).update(self.status_text())

    def status_text(self) -> str:
        """Counts by group, what a rewrite of every number not in E.164 would take."""
        rows = self.rows
        if self.workbench.findings_problem:
            return self.workbench.findings_problem
        if rows is None:
            return ""
        rewrite = rows.filter(
            (pl.col("reason") == NOT_E164) & pl.col("e164").is_not_null() & ~pl.col("duplicate")
        ).height
        bad = rows.filter(pl.col("reason") != NOT_E164).get_column("contact_id").n_unique()
        profile = self.workbench.profile
        rate = profile.rate_limit if profile is not None else 10.0
        text = f"{bad:,} unusable numbers · " + rewrite_estimate(rewrite, rate)
        if self.selected:
            text += f" · {len(self.selected)} selected"
        return text

    def _current(self) -> dict[str, Any] | None:
        table = self.query_one("#phones-table", DataTable)
        if self.rows is None or not 0 <= table.cursor_row < self.rows.height:
            return None
        return self.rows.row(table.cursor_row, named=True)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        row, source = self._current(), self.workbench.source
        if row is None or source is None:
            return
        contact_id = str(row["contact_id"])

        def work(_p: ProgressFn, _c: CancelFn) -> TableReady:
            return TableReady("phone-calls", call_timeline(source, contact_id))

        self.start("phone-calls", "Loading calls", work, show=False)

    def _show_detail(self, calls: pl.DataFrame) -> None:
        row = self._current()
        text = Text()
        if row is not None:
            text.append(f"{row['name'] or '—'}\n", style="bold")
            text.append(f"{row['reason']}: {row['phone'] or '(none)'}\n")
            if row["e164"]:
                text.append(f"E.164: {row['e164']}\n")
            if row["duplicate"]:
                text.append("another contact holds this number: see Duplicates\n", style="yellow")
            text.append("\n")
        text.append_text(timeline_text(calls))
        self.query_one("#phones-detail", Static).update(text)

    def action_toggle_row(self) -> None:
        """Select or unselect the highlighted contact."""
        row = self._current()
        if row is not None:
            self.selected ^= {str(row["key"])}
            self.redraw()

    def action_toggle_group(self) -> None:
        """Select every contact of the highlighted row's group (or unselect them all)."""
        row = self._current()
        if row is None or self.rows is None:
            return
        group = set(self.rows.filter(pl.col("reason") == row["reason"])["key"].to_list())
        self.selected = self.selected - group if group <= self.selected else self.selected | group
        self.redraw()

    def action_toggle_all(self) -> None:
        """Select every contact listed, or none when all are selected already."""
        if self.rows is None:
            return
        every = set(self.rows.get_column("key").to_list())
        self.selected = set() if every <= self.selected else every
        self.redraw()

    def _picked(self) -> pl.DataFrame:
        if self.rows is None:
            return pl.DataFrame()
        current = self._current()
        keys = sorted(self.selected) or ([str(current["key"])] if current else [])
        return self.rows.filter(pl.col("key").is_in(keys))

    def action_undo(self) -> None:
        """Take back the decisions on the selected rows (or the highlighted one)."""
        picked = self._picked()
        if picked.height == 0:
            return
        self.take_back_rows(picked, picked.height)

    def on_decisions_taken_back(self, message: DecisionsTakenBack) -> None:
        self.finish("decision")
        self.workbench.note_taken_back(message.restored)
        self.selected.clear()
        self.notify(taken_back_text(message.restored, message.label), timeout=3)
        self.refresh_data()

    def action_decide(self, decision: str) -> None:
        """Record `decision` for the selected rows (or the highlighted one)."""
        profile, findings = self.workbench.profile, self.workbench.findings
        picked = self._picked()
        if profile is None or picked.height == 0:
            return
        left_out = ""
        if decision == "set_phone":
            can = (
                pl.col("e164").is_not_null()
                & ~pl.col("duplicate")
                & (pl.col("e164") != pl.col("phone"))
            )
            skipped = picked.filter(~can).height
            picked = picked.filter(can)
            if skipped:
                left_out = (
                    f"; {skipped} left out (no valid number, or another contact holds it: "
                    "see Duplicates)"
                )
            if picked.height == 0:
                self.notify("Nothing to normalise" + left_out, timeout=5)
                return
        payload = FLAG_PAYLOAD if decision == "flag" else None
        rate = profile.rate_limit
        count = picked.get_column("contact_id").n_unique()

        def work(_p: ProgressFn, _c: CancelFn) -> DecisionRecorded:
            done = picked.select(pl.col("finding_ids").explode()).to_series().to_list()
            bridge.record_decisions(profile, findings, done, decision, payload=payload)
            people = f"{count} contact" + ("" if count == 1 else "s")
            label = f"{people}: {ACTIONS[decision]} (decided; apply from Plan)"
            if decision == "set_phone":
                label = f"{rewrite_estimate(count, rate)} (decided; apply from Plan){left_out}"
            return DecisionRecorded(done, decision, label)

        self.start("decision", "Saving", work, show=False, exclusive=False)

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        self.finish("decision")
        self.workbench.note_decision(message.finding_ids, message.decision)
        self.selected.clear()
        self.notify(message.label, timeout=5)
        self.refresh_data()
