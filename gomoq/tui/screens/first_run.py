"""First run: no profile yet. Add one here, or leave and start the demo."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from gomoq.config import Profile, save_profile
from gomoq.errors import GomoqError

WELCOME = (
    "Welcome to gomoq. No profile yet: add the Gomobile API you work on below (Ctrl+S saves), "
    "or press Ctrl+D to try the demo — a local sandbox with a generated organisation; nothing "
    "real is touched."
)


class FirstRunScreen(Screen[None]):
    """A small form for the first profile; the first field has the focus, so typing goes there
    (and `q` is a letter of the name, not Quit)."""

    AUTO_FOCUS = "#name"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save profile", priority=True),
        Binding("ctrl+d", "demo", "Start the demo", priority=True),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="first-run", classes="dialog"):
            yield Static(WELCOME)
            yield Label("Profile name")
            yield Input(value="default", id="name")
            yield Label("API base URL")
            yield Input(placeholder="https://api.example.com/api", id="base-url")
            yield Label("API key (kept in the config file, readable only by you)")
            yield Input(password=True, id="api-key")
            yield Label("", id="first-run-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Start the demo (ctrl+d)", id="demo")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_demo()

    def action_demo(self) -> None:
        """Leave the app; `gomoq` then runs `gomoq demo`."""
        self.app.exit("demo")

    def action_save(self) -> None:
        """Save the profile and open the workbench on it."""
        from gomoq.tui.app import GomoqApp

        name = self.query_one("#name", Input).value.strip()
        profile = Profile(
            name=name,
            base_url=self.query_one("#base-url", Input).value.strip(),
            api_key=self.query_one("#api-key", Input).value.strip(),
        )
        try:
            if not profile.api_key:
                raise GomoqError("Enter the API key.")
            save_profile(profile, store_key=True, activate=True)
        except GomoqError as exc:
            self.query_one("#first-run-error", Label).update(str(exc))
            return
        app = self.app
        assert isinstance(app, GomoqApp)
        app.profile = profile
        app.title = f"gomoq — {profile.name}"
        self.dismiss()
        app.switch_mode("overview")
        app.reload()
