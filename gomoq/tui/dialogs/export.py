"""The export dialog (`E` on every list screen, `e` too on Contacts and Audiences): what, which
format, which contacts (the screen's filter, editable). Dismisses with the request for
`gomoq.tui.bridge.export`, or None (Esc)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

KINDS = ("contacts", "calls", "memberships", "findings")
FORMATS = ("csv", "xlsx", "parquet", "jsonl")


def default_output(kind: str, fmt: str) -> str:
    """`<kind>-{snapshot}.<fmt>` in the working folder (the snapshot's time fills the name)."""
    return f"{kind}-{{snapshot}}.{fmt}"


class ExportDialog(ModalScreen[dict[str, Any] | None]):
    """Ask for an export; Enter in a field or the Export button accepts, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, where: str = "", kind: str = "contacts") -> None:
        super().__init__()
        self.where = where
        self.kind = kind if kind in KINDS else "contacts"

    def compose(self) -> ComposeResult:
        # Compact widgets (one row each): the whole dialog fits an 80x24 terminal.
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label("Export from the cache", classes="question")
            with Horizontal(classes="export-row"):
                yield Label("What", classes="export-label")
                yield Select(
                    [(k, k) for k in KINDS],
                    value=self.kind,
                    allow_blank=False,
                    id="export-kind",
                    compact=True,
                )
                yield Select(
                    [(f, f) for f in FORMATS],
                    value="csv",
                    allow_blank=False,
                    id="export-format",
                    compact=True,
                )
            with Horizontal(classes="export-row"):
                yield Label("Attributes", classes="export-label")
                yield Select(
                    [("one column each", "wide"), ("one row each", "long")],
                    value="wide",
                    allow_blank=False,
                    id="export-attributes",
                    compact=True,
                )
            with Horizontal(classes="export-row"):
                yield Label("Filter", classes="export-label")
                yield Input(
                    value=self.where,
                    placeholder="empty: every contact",
                    id="export-where",
                    compact=True,
                )
            with Horizontal(classes="export-row"):
                yield Label("File", classes="export-label")
                yield Input(
                    value=default_output(self.kind, "csv"), id="export-output", compact=True
                )
            yield Checkbox(
                "raw: keep spreadsheet formulas as they are", id="export-raw", compact=True
            )
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="export-go", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)
            yield Label("Enter writes · Esc cancels · {snapshot}: the sync's time", classes="hint")

    def on_select_changed(self, event: Select.Changed) -> None:
        """Keep the default file name in step with the kind and the format."""
        output = self.query_one("#export-output", Input)
        kinds = [default_output(k, f) for k in KINDS for f in FORMATS]
        if output.value in kinds:
            kind = str(self.query_one("#export-kind", Select).value)
            fmt = str(self.query_one("#export-format", Select).value)
            output.value = default_output(kind, fmt)

    def request(self) -> dict[str, Any]:
        """The answers, as `gomoq.tui.bridge.export` takes them."""
        return {
            "kind": str(self.query_one("#export-kind", Select).value),
            "fmt": str(self.query_one("#export-format", Select).value),
            "attributes": str(self.query_one("#export-attributes", Select).value),
            "where": self.query_one("#export-where", Input).value,
            "output": self.query_one("#export-output", Input).value,
            "raw": self.query_one("#export-raw", Checkbox).value,
        }

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.dismiss(self.request())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.request() if event.button.id == "export-go" else None)

    def action_cancel(self) -> None:
        """Close without exporting."""
        self.dismiss(None)
