"""Contacts: every contact in a virtual table, searched in polars, with a detail pane."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static
from textual_fastdatatable import DataTable

from gomoq.filters import FilterError, Vocabulary
from gomoq.progress import CancelFn, ProgressFn
from gomoq.safe_text import printable
from gomoq.tui.data import (
    LIST_COLUMNS,
    LIST_LABELS,
    LIST_WIDTHS,
    ContactDetail,
    ContactIndex,
    contact_detail,
)
from gomoq.tui.data.fit import clip
from gomoq.tui.messages import (
    ContactDetailLoaded,
    ContactsIndexed,
    ContactsSearched,
)
from gomoq.tui.screens.exporting import ExportingScreen
from gomoq.tui.widgets.filter_input import FilterSuggester
from gomoq.tui.widgets.table import ArrowTable, FixedWidthBackend, arrow_table

SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}


def detail_text(detail: ContactDetail) -> Text:
    """The detail pane: fields, attributes, audiences, calls, findings (data as plain text,
    control characters shown as pictures: never markup, never a terminal command)."""
    text = Text()

    def section(title: str) -> None:
        text.append(f"\n{title}\n", style="bold underline")

    section("Fields")
    for name, value in detail.fields:
        if value:
            text.append(f"{clip(name, 17):<18}", style="dim")  # never runs into its value
            text.append(f"{printable(str(value))}\n")
    section(f"Attributes ({len(detail.attributes)})")
    for name, value in detail.attributes:
        text.append(f"{clip(printable(str(name)), 17):<18}", style="dim")
        text.append(f"{printable(str(value))}\n")
    section(f"Audiences ({len(detail.audiences)})")
    text.append(printable(", ".join(detail.audiences)) or "none")
    text.append("\n")
    section(f"Calls ({detail.calls.height})")
    for row in detail.calls.tail(12).iter_rows(named=True):
        when = row["created_at"].strftime("%Y-%m-%d %H:%M") if row["created_at"] else "?"
        style = "green" if row["status"] == "answered" else "red"
        text.append(f"{when} ", style="dim")
        text.append(f"{printable(str(row['status']))}\n", style=style)
    section(f"Findings ({detail.findings.height})")
    for row in detail.findings.iter_rows(named=True):
        text.append(f"{row['severity']:<6}", style=SEVERITY_STYLE.get(row["severity"], ""))
        text.append(printable(f"{row['check']}/{row['kind']}: {row['evidence'] or ''}"))
        if row.get("decision"):
            text.append(f" [{row['decision']}]", style="italic")
        text.append("\n")
    return text


class ContactsScreen(ExportingScreen):
    """Search all contacts; the highlighted one's detail shows on the right."""

    TITLE_TEXT = "Contacts"
    AUTO_FOCUS = "#contacts-table"
    MODE = "contacts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("w", "toggle_findings", "With findings only"),
        Binding("D", "toggle_detail", "Detail pane"),
        Binding("e", "export", "Export"),
        Binding("E", "export", "Export", show=False),  # the export key of every list screen
    ]

    def __init__(self) -> None:
        super().__init__()
        self.index: ContactIndex | None = None
        self.rows: pl.DataFrame | None = None
        self.only_findings = False
        self._source: Any = None
        self.searches = 0
        """Searches shown so far (tests and the benchmark wait on it)."""
        self.index_seconds: float | None = None
        self.last_search_seconds: float | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="contacts"):
            yield Input(
                placeholder="Filter: a name, phone, email, city…  or city:rabat band:at-risk"
                " check:phones (see README, Filters)",
                id="search",
                suggester=FilterSuggester(self.vocabulary),
            )
            yield Label("Loading contacts…", id="contacts-status")
            with Horizontal(id="contacts-main"):
                yield Vertical(id="table-slot")
                with VerticalScroll(id="detail"):
                    yield Static("Highlight a contact to see its details.", id="detail-body")

    def refresh_data(self) -> None:
        source = self.workbench.source
        if source is None:
            problem = self.workbench.source_problem or "Opening the cache…"
            self.query_one("#contacts-status", Label).update(problem)
            return
        if source is self._source:
            return
        self._source = source

        settings = self.workbench.check_settings()

        def load(_p: ProgressFn, _c: CancelFn) -> ContactsIndexed:
            started = time.perf_counter()
            index = ContactIndex.load(source, settings)
            return ContactsIndexed(index, time.perf_counter() - started)

        self.start("contacts", "Loading contacts", load)

    def on_contacts_indexed(self, message: ContactsIndexed) -> None:
        self.finish("contacts")
        self.index = message.index
        self.index_seconds = message.seconds
        self.search(self.query_one("#search", Input).value)

    async def show_rows(self, frame: pl.DataFrame, backend: FixedWidthBackend, query: str) -> None:
        """Show `frame` in the table (replacing the table's data in place after the first time)."""
        self.rows = frame
        existing = self.query("#contacts-table").results(ArrowTable)
        table = next(iter(existing), None)
        if table is None:
            table = arrow_table(backend, LIST_LABELS, LIST_WIDTHS, id="contacts-table")
            await self.query_one("#table-slot", Vertical).mount(table)
            if self.focused is None:
                table.focus()
        else:
            table.replace_backend(backend)
        self.load_detail(0)
        total = self.index.frame.height if self.index else frame.height
        what = f"{frame.height:,} of {total:,} contacts"
        if query:
            what += f" matching “{query}”"
        if self.only_findings:
            what += " with findings"
        self.query_one("#contacts-status", Label).update(what)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#table-slot").query(DataTable).focus()

    def search(self, query: str) -> None:
        """Filter in polars in a worker; a newer search cancels the older one."""
        index = self.index
        if index is None:
            return
        findings, only_findings = self.workbench.findings, self.only_findings

        def work(_p: ProgressFn, should_cancel: CancelFn) -> ContactsSearched | None:
            started = time.perf_counter()
            only = None
            if only_findings:
                only = findings.get_column("contact_id").drop_nulls().unique()
            try:
                frame = index.search(query, findings=findings, only_ids=only)
            except FilterError as exc:
                return ContactsSearched(query, None, None, time.perf_counter() - started, exc)
            if should_cancel():
                return None
            backend = FixedWidthBackend(frame.select(LIST_COLUMNS), LIST_WIDTHS)
            return ContactsSearched(query, frame, backend, time.perf_counter() - started)

        self.start("search", "Searching", work, show=False)

    async def on_contacts_searched(self, message: ContactsSearched) -> None:
        self.finish("search")
        self.last_search_seconds = message.seconds
        if message.error is not None or message.frame is None:
            # The rows stay as they were; the status line says what is wrong, and where.
            self.query_one("#contacts-status", Label).update(
                Text(str(message.error), style="bold red")
            )
        else:
            await self.show_rows(message.frame, message.backend, message.query)
        self.searches += 1

    def vocabulary(self) -> Vocabulary | None:
        """The names the filter may complete (None until the contacts are loaded)."""
        return self.index.vocabulary() if self.index is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.load_detail(event.cursor_row)

    def load_detail(self, row: int) -> None:
        """Read the detail of the contact in `row` of the shown list, in a worker."""
        rows, source = self.rows, self.workbench.source
        if rows is None or source is None or not 0 <= row < rows.height:
            self.query_one("#detail-body", Static).update("No contact to show.")
            return
        contact_id = str(rows.get_column("id")[row])
        findings = self.workbench.findings

        def work(_p: ProgressFn, _c: CancelFn) -> ContactDetailLoaded:
            return ContactDetailLoaded(contact_detail(source, contact_id, findings))

        self.start("detail", "Loading detail", work, show=False)

    def on_contact_detail_loaded(self, message: ContactDetailLoaded) -> None:
        self.finish("detail")
        body = self.query_one("#detail-body", Static)
        body.update(detail_text(message.detail) if message.detail else "Not in the snapshot.")

    def action_focus_search(self) -> None:
        """Put the cursor in the search box."""
        self.query_one("#search", Input).focus()

    def action_export(self) -> None:
        """Export the contacts of the current filter (the dialog lets it be changed)."""
        self.open_export(self.query_one("#search", Input).value, "contacts")

    def action_toggle_detail(self) -> None:
        """Move the focus to the detail pane (↑ ↓ PgUp PgDn Home End scroll it), or back to the
        list: the pane's lower sections (calls, findings) are reachable without a mouse."""
        detail = self.query_one("#detail", VerticalScroll)
        if self.focused is detail:
            self.query_one("#table-slot").query(DataTable).focus()
        else:
            detail.focus()

    def action_toggle_findings(self) -> None:
        """Show only contacts that have findings, or all again."""
        self.only_findings = not self.only_findings
        self.search(self.query_one("#search", Input).value)
