"""Call failures: contacts whose calls keep failing, each with its attempts timeline."""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from gomoq.checks.settings import CallFailureSettings
from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.data import call_failure_rows, call_timeline
from gomoq.tui.data.fit import clip, fit_widths
from gomoq.tui.messages import DecisionRecorded, DecisionsTakenBack, TableReady
from gomoq.tui.screens.base import taken_back_text
from gomoq.tui.screens.exporting import EXPORT_BINDING, ExportingScreen
from gomoq.tui.widgets.safe_cells import SafeDataTable

SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}
ACTIONS = {"flag": "flagged", "delete": "to delete", "remove_from_audiences": "off audiences"}


def timeline_text(calls: pl.DataFrame, cfg: CallFailureSettings | None = None) -> Text:
    """One line per attempt, oldest first, marked as the check classifies it (the profile's
    `checks.call_failures`): ✗ a failure, ● answered, ○ neither (voicemail by default, or an
    unknown status), so the marks agree with the check's evidence."""
    cfg = cfg or CallFailureSettings()
    failures, answered = set(cfg.failures()), set(cfg.answered_statuses)
    text = Text()
    if calls.height == 0:
        return Text("No calls in the snapshot.", style="dim")
    for row in calls.iter_rows(named=True):
        when = row["created_at"].strftime("%Y-%m-%d %H:%M") if row["created_at"] else "?"
        status = row["status"] or "(none)"
        if status in answered:
            text.append("● ", style="green")
        elif status in failures or (cfg.unknown_is_failure and status not in cfg.known()):
            text.append("✗ ", style="red")
        else:
            text.append("○ ", style="dim")
        text.append(f"{when}  ", style="dim")
        text.append(f"{status}\n")
    return text


class CallsScreen(ExportingScreen):
    """Select contacts (space) and flag, delete or remove them from audiences."""

    TITLE_TEXT = "Call failures"
    MODE = "calls"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_row", "Select"),
        Binding("asterisk", "toggle_all", "Select all", key_display="*"),
        Binding("F", "decide('flag')", "Flag"),
        Binding("x", "decide('delete')", "Delete"),
        Binding("r", "decide('remove_from_audiences')", "Remove from audiences"),
        Binding("u", "undo", "Undo"),
        EXPORT_BINDING,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: pl.DataFrame | None = None
        self.selected: set[str] = set()

    def compose_body(self) -> ComposeResult:
        with Vertical(id="calls"):
            yield Label("Waiting for the checks…", id="calls-status")
            with Horizontal(id="calls-main"):
                yield SafeDataTable(id="calls-table", cursor_type="row")
                with VerticalScroll(id="timeline"):
                    yield Static("Highlight a contact to see its attempts.", id="timeline-body")

    def refresh_data(self) -> None:
        app = self.workbench
        source, findings = app.source, app.findings
        if source is None:
            return

        def work(_p: ProgressFn, _c: CancelFn) -> TableReady:
            return TableReady("calls", call_failure_rows(findings, source))

        self.start("calls", "Listing call failures", work, show=False)

    def on_table_ready(self, message: TableReady) -> None:
        self.finish(message.name)
        if message.name == "timeline":
            cfg = self.workbench.check_settings().call_failures
            body = self.current_header() + timeline_text(message.frame, cfg)
            self.query_one("#timeline-body", Static).update(body)
            return
        self.rows = message.frame
        self.redraw()

    def redraw(self) -> None:
        """Draw the list keeping the cursor where it was."""
        rows = self.rows
        if rows is None:
            return
        table = self.query_one("#calls-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        # The check's own words: severity, kind and evidence (one source of truth for what a
        # failure is); columns sized to content, the evidence cut last (whole in the timeline)
        headers = ["", "Name", "Phone", "Sev", "Problem", "Decision", "Evidence"]
        cells = [
            [
                "■" if r["contact_id"] in self.selected else "□",
                r["name"] or "—",
                r["phone"] or "—",
                r["severity"] or "",
                (r["kind"] or "").replace("_", " "),
                ACTIONS.get(r["decision"] or "", r["decision"] or ""),
                r["evidence"] or "",
            ]
            for r in rows.iter_rows(named=True)
        ]
        narrow = self.app.size.width < 110
        # at 80 columns the phone and the severity give way (the severity is the colour of
        # the problem), so name, problem and decision keep readable widths
        keep = [0, 1, 4, 5, 6] if narrow else list(range(len(headers)))
        headers = [headers[i] for i in keep]
        severities = [r["severity"] or "" for r in rows.iter_rows(named=True)]
        cells = [[row[i] for i in keep] for row in cells]
        pane = 30 if narrow else 40
        widths = fit_widths(headers, cells, self.app.size.width - pane - 8, minimum=8, fixed=[1])
        for header, width in zip(headers, widths, strict=True):
            table.add_column(clip(header, width), width=width)
        for r, row, severity in zip(rows.iter_rows(named=True), cells, severities, strict=True):
            table.add_row(
                *(
                    Text(clip(v, w), style=SEVERITY_STYLE.get(severity, ""))
                    if headers[i] in ("Sev", "Problem")
                    else clip(v, w)
                    for i, (v, w) in enumerate(zip(row, widths, strict=True))
                ),
                key=r["contact_id"],
            )
        if rows.height:
            table.move_cursor(row=min(cursor, rows.height - 1))
        text = f"{rows.height:,} contacts with repeated call failures"
        if self.selected:
            text += f" · {len(self.selected)} selected"
        if self.workbench.findings_problem:
            text = self.workbench.findings_problem
        self.query_one("#calls-status", Label).update(text)

    def current_header(self) -> Text:
        """The highlighted contact's finding, whole: phone, severity, kind, the evidence."""
        table = self.query_one("#calls-table", DataTable)
        if self.rows is None or not 0 <= table.cursor_row < self.rows.height:
            return Text()
        r = self.rows.row(table.cursor_row, named=True)
        text = Text()
        text.append(f"{r['name'] or '—'}\n", style="bold")
        text.append(f"{r['phone'] or '—'}\n", style="dim")
        text.append(f"{r['severity']} ", style=SEVERITY_STYLE.get(r["severity"] or "", ""))
        text.append(f"{(r['kind'] or '').replace('_', ' ')}\n")
        text.append(f"{r['evidence'] or ''}\n\n", style="italic")
        return text

    def _current_id(self) -> str | None:
        table = self.query_one("#calls-table", DataTable)
        if self.rows is None or not 0 <= table.cursor_row < self.rows.height:
            return None
        return str(self.rows.get_column("contact_id")[table.cursor_row])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        contact_id, source = self._current_id(), self.workbench.source
        if contact_id is None or source is None:
            return

        def work(_p: ProgressFn, _c: CancelFn) -> TableReady:
            return TableReady("timeline", call_timeline(source, contact_id))

        self.start("timeline", "Loading attempts", work, show=False)

    def action_toggle_row(self) -> None:
        """Select or unselect the highlighted contact."""
        contact_id = self._current_id()
        if contact_id is not None:
            self.selected ^= {contact_id}
            self.redraw()

    def action_toggle_all(self) -> None:
        """Select every contact listed, or none when all are selected already."""
        if self.rows is None:
            return
        every = set(self.rows.get_column("contact_id").to_list())
        self.selected = set() if every <= self.selected else every
        self.redraw()

    def _targets(self) -> list[str]:
        return sorted(self.selected) or [c for c in [self._current_id()] if c]

    def action_export(self) -> None:
        """Export the contacts with a call-failure finding (the dialog lets it change)."""
        self.open_export("check:call_failures", "contacts")

    def action_undo(self) -> None:
        """Take back the decisions on the selected contacts (or the highlighted one), whenever
        they were taken."""
        rows, targets = self.rows, self._targets()
        if rows is None or not targets:
            return
        self.take_back_rows(rows.filter(pl.col("contact_id").is_in(targets)), len(targets))

    def on_decisions_taken_back(self, message: DecisionsTakenBack) -> None:
        self.finish("decision")
        self.workbench.note_taken_back(message.restored)
        self.selected.clear()
        self.notify(taken_back_text(message.restored, message.label), timeout=3)
        self.refresh_data()

    def action_decide(self, decision: str) -> None:
        """Record `decision` for the selected contacts (or the highlighted one)."""
        profile, source, rows = self.workbench.profile, self.workbench.source, self.rows
        targets = self._targets()
        if profile is None or source is None or rows is None or not targets:
            return
        picked = rows.filter(pl.col("contact_id").is_in(targets))
        findings = self.workbench.findings

        def work(_p: ProgressFn, _c: CancelFn) -> DecisionRecorded:
            pairs = picked.select("contact_id", "finding_ids").explode("finding_ids")
            done = pairs.get_column("finding_ids").to_list()
            bridge.record_decisions(profile, findings, done, decision)
            people = f"{len(targets)} contact" + ("" if len(targets) == 1 else "s")
            return DecisionRecorded(
                done, decision, f"{people}: {ACTIONS[decision]} (decided; apply from Plan)"
            )

        self.start("decision", "Saving", work, show=False, exclusive=False)

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        self.finish("decision")
        self.workbench.note_decision(message.finding_ids, message.decision)
        self.selected.clear()
        self.notify(message.label, timeout=3)
        self.refresh_data()
