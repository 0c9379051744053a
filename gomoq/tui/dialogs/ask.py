"""Small modal dialogs: ask for a value, confirm an action."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from gomoq.tui.data import Reading
from gomoq.tui.data.values import EMPTY


class AskValue(ModalScreen[str | None]):
    """Ask for one value; Enter accepts, Esc cancels (dismisses with None).

    With `reader`, the text is checked as it is typed: the line under the input says why it
    cannot be sent, or how it will be sent; Enter does nothing while it cannot.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        question: str,
        placeholder: str = "",
        value: str = "",
        reader: Callable[[str], Reading] | None = None,
    ) -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder
        self.value = value
        self.reader = reader

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="question")
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            yield Label("", id="answer-check", classes="hint")
            yield Label("Enter to accept · Esc to cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#answer", Input).focus()
        self._check(self.value)

    def _check(self, text: str) -> Reading | None:
        if self.reader is None:
            return None
        reading = self.reader(text)
        label = self.query_one("#answer-check", Label)
        # Nothing typed yet: only a problem typing cannot fix (an undefined attribute) is said.
        waiting = not text.strip() and reading.problem == EMPTY
        label.update("" if waiting else reading.describe())
        label.set_class(reading.problem is not None and not waiting, "bad")
        return reading

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        reading = self._check(event.value)
        if reading is not None and reading.problem is not None:
            self.query_one("#answer-check", Label).update(reading.problem)
            self.app.bell()
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """Ask yes or no; `y`/Enter confirm, `n`/Esc refuse."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="primary", id="yes")
                yield Button("No (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)
