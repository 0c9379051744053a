"""Attribute audit: invalid custom attribute values grouped by value; one decision per group."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from gomoq.api.contract import spelled
from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.data import EXAMPLES, attribute_definition, attribute_groups, read_value
from gomoq.tui.data.fit import clip, fit_widths
from gomoq.tui.dialogs.ask import AskValue
from gomoq.tui.messages import DecisionRecorded, DecisionsTakenBack, TableReady
from gomoq.tui.screens.base import taken_back_text
from gomoq.tui.screens.exporting import EXPORT_BINDING, ExportingScreen
from gomoq.tui.widgets.safe_cells import SafeDataTable


def shown_value(value: Any) -> str:
    """A cached raw value as JSON spells it (quotes show spaces at either end), ∅ for none."""
    return "∅ (empty)" if value is None else json.dumps(value, ensure_ascii=False)


class AttributesScreen(ExportingScreen):
    """Fix a whole group of contacts sharing one invalid value in one decision."""

    TITLE_TEXT = "Attribute audit"
    MODE = "attributes"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "set_value", "Set to…"),
        Binding("x", "clear_value", "Clear"),
        Binding("F", "flag", "Flag"),
        Binding("u", "undo", "Undo"),
        EXPORT_BINDING,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.groups: pl.DataFrame | None = None
        self.recorded: list[tuple[str, str | None, str, Any]] = []
        """(attribute, value, decision, new value) in the order saved (tests assert on it)."""
        self.definitions: dict[str, dict[str, Any] | None] = {}
        """attribute -> its definition in the cache (None: none), read with the detail pane."""

    def compose_body(self) -> ComposeResult:
        with Vertical(id="attrs"):
            yield Label("Waiting for the checks…", id="attrs-status")
            with Horizontal(id="attrs-main"):
                yield SafeDataTable(id="attrs-table", cursor_type="row")
                with VerticalScroll(id="attr-def"):
                    yield Static(
                        "Highlight a group to see the attribute's definition.", id="attr-def-body"
                    )

    def refresh_data(self) -> None:
        findings = self.workbench.findings

        def work(_p: ProgressFn, _c: CancelFn) -> TableReady:
            return TableReady("groups", attribute_groups(findings))

        self.start("groups", "Grouping values", work, show=False)

    def on_table_ready(self, message: TableReady) -> None:
        self.finish(message.name)
        if message.name == "definition":
            text, field, definition = message.extra
            self.definitions[field] = definition
            self.query_one("#attr-def-body", Static).update(text)
            return
        self.groups = message.frame
        table = self.query_one("#attrs-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        # Decision first after the value: it is what the operator acts on, and it must never
        # fall off the screen; columns sized to content, the whole value in the side pane
        headers = ["Attribute", "Invalid value", "Decision", "Contacts", "Problem"]
        cells = [
            [
                str(r["field"]),
                shown_value(r["value"]),
                str(r["decision"] or ""),
                f"{r['count']:,}",
                str(r["kind"] or "").replace("_", " "),
            ]
            for r in message.frame.iter_rows(named=True)
        ]
        pane = 30 if self.app.size.width < 110 else 40
        widths = fit_widths(headers, cells, self.app.size.width - pane - 8, minimum=8)
        for header, width in zip(headers, widths, strict=True):
            table.add_column(clip(header, width), width=width)
        for row in cells:
            table.add_row(*(clip(v, w) for v, w in zip(row, widths, strict=True)))
        if message.frame.height:
            table.move_cursor(row=min(cursor, message.frame.height - 1))
        status = f"{message.frame.height:,} invalid value groups"
        if self.workbench.findings_problem:
            status = self.workbench.findings_problem
        self.query_one("#attrs-status", Label).update(
            f"{status} · e set to… · x clear · F flag (applies to every contact in the group)"
        )

    def current(self) -> dict[str, Any] | None:
        """The highlighted group."""
        table = self.query_one("#attrs-table", DataTable)
        if self.groups is None or not 0 <= table.cursor_row < self.groups.height:
            return None
        return self.groups.row(table.cursor_row, named=True)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        group, source = self.current(), self.workbench.source
        if group is None or source is None:
            return

        def work(_p: ProgressFn, _c: CancelFn) -> TableReady:
            definition = attribute_definition(source, group["field"])
            text = Text()
            text.append(f"{group['field']}\n", style="bold")
            if definition and definition.get("name") != group["field"]:
                text.append(
                    f"No attribute is named {group['field']!r}, but {definition.get('name')!r} "
                    "has it as display name: the value probably belongs there.\n",
                    style="yellow",
                )
            elif definition:
                text.append(f"type {definition.get('type')}\n", style="cyan")
                text.append(f"{definition.get('description') or 'no description'}\n", "dim")
            else:
                text.append("No definition in the organisation.\n", style="red")
            text.append(f"\n{group['count']:,} contacts hold {shown_value(group['value'])}\n")
            text.append(f"\n{group['evidence'] or ''}\n", style="italic")
            return TableReady("definition", pl.DataFrame(), (text, group["field"], definition))

        self.start("definition", "Reading definition", work, show=False)

    def action_set_value(self) -> None:
        """Ask for the new value, checked against the attribute's type as it is typed (the
        API's rules), then set it for every contact in the group."""
        group = self.current()
        if group is None:
            return
        field = str(group["field"])
        if field not in self.definitions:
            self.notify("Reading the attribute's definition… press e again.", timeout=3)
            return
        definition = self.definitions[field]
        kind = str((definition or {}).get("type") or "")

        def reader(text: str) -> Any:
            return read_value(field, definition, text)

        def answered(text: str | None) -> None:
            if text is not None:
                reading = reader(text)
                if reading.problem is None:
                    self.decide(group, "set_attribute", reading.value)

        count = int(group["count"])
        people = f"{count:,} contact" + ("" if count == 1 else "s")
        question = f"New value of {field} ({kind or 'undefined'}) for {people}"
        self.app.push_screen(
            AskValue(question, EXAMPLES.get(kind, ""), reader=reader),
            answered,
        )

    def action_clear_value(self) -> None:
        """Clear the attribute on every contact of the group."""
        group = self.current()
        if group is not None:
            self.decide(group, "set_attribute", None)

    def action_flag(self) -> None:
        """Flag every contact of the group for a human to look at."""
        group = self.current()
        if group is not None:
            self.decide(group, "flag", None)

    def action_export(self) -> None:
        """Export the contacts with an attributes finding (the dialog lets it change)."""
        self.open_export("check:attributes", "contacts")

    def action_undo(self) -> None:
        """Take back the highlighted group's decision, whenever it was taken."""
        group = self.current()
        if group is None:
            return
        ids = list(group["finding_ids"]) if group["decision"] else []
        self.take_back(ids, str(group["field"]))

    def on_decisions_taken_back(self, message: DecisionsTakenBack) -> None:
        self.finish("decision")
        self.workbench.note_taken_back(message.restored)
        self.notify(taken_back_text(message.restored, message.label), timeout=3)
        self.refresh_data()

    def decide(self, group: dict[str, Any], decision: str, value: Any) -> None:
        """Record one decision for every finding of the group, in a worker."""
        profile, source = self.workbench.profile, self.workbench.source
        if profile is None or source is None:
            return
        finding_ids = list(group["finding_ids"])
        findings = self.workbench.findings
        # A flag goes to gomoq's own flag attribute (the plan's default), a fix to the attribute.
        payload = None if decision == "flag" else {"attribute": group["field"], "value": value}
        label = {
            "flag": "flagged",
            "set_attribute": "cleared" if value is None else f"set to {spelled(value)}",
        }[decision]

        def work(_p: ProgressFn, _c: CancelFn) -> DecisionRecorded:
            bridge.record_decisions(profile, findings, finding_ids, decision, payload=payload)
            return DecisionRecorded(finding_ids, decision, f"{group['field']}: {label}")

        self.recorded.append((group["field"], group["value"], decision, value))
        self.start("decision", "Saving", work, show=False, exclusive=False)

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        self.finish("decision")
        self.workbench.note_decision(message.finding_ids, message.decision)
        count = len(message.finding_ids)
        self.notify(
            f"{message.label} for {count:,} contact{'' if count == 1 else 's'}"
            " (decided; apply from Plan).",
            timeout=3,
        )
        self.refresh_data()
