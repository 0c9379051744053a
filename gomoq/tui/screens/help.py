"""Help: every binding of the app and of each screen, with what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "gomoq finds what is wrong in your Gomobile contacts. Sync (s on the Overview), review the "
    "findings on each screen, then build the plan and apply it (p). Every decision is saved at "
    "once; every applied run can be undone from History (h). Ctrl+P opens the command palette."
)


def bindings_table() -> Table:
    """Every binding, grouped by screen, from the screens' own BINDINGS."""
    from gomoq.tui.app import SCREENS, GomoqApp, _modes
    from gomoq.tui.screens.base import WorkbenchScreen

    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Action")
    table.add_column("Where", style="dim")

    def add(bindings: list[BindingType], where: str) -> None:
        for b in bindings:
            if isinstance(b, Binding) and b.action.startswith("survivor("):
                if b.key == "1":
                    table.add_row("1-9", "Choose the surviving member", where)
                    table.add_row("Enter", "On a member's cell: keep that value", where)
            elif isinstance(b, Binding):
                table.add_row(b.key_display or b.key, b.description or b.action, where)

    add(GomoqApp.BINDINGS, "everywhere")
    table.add_row("ctrl+p", "Command palette", "everywhere")
    add(WorkbenchScreen.BINDINGS, "while a job runs (Esc)")
    titles = {mode: title for mode, _, title, _ in SCREENS}
    for mode, screen in _modes().items():
        own = [b for b in getattr(screen, "BINDINGS", []) if b not in WorkbenchScreen.BINDINGS]
        add(own, titles[mode])
    return table


class HelpScreen(ModalScreen[None]):
    """Every binding; Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static(INTRO, id="help-intro")
            yield Static(bindings_table(), id="help-table")
            yield Static("Esc closes this help.", classes="hint")

    async def action_dismiss(self, result: None = None) -> None:
        """Close the help."""
        self.dismiss(None)
