"""What every workbench screen shares: header, footer, job strip, job helpers, data refresh."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from gomoq.errors import Cancelled
from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.jobs import JobFn, start_job
from gomoq.tui.messages import DecisionsTakenBack, JobFailed, JobProgress
from gomoq.tui.widgets.jobbar import JobBar

if TYPE_CHECKING:
    from gomoq.tui.app import GomoqApp


TAKEN_BACK_LABELS = {
    "dismissed": "not a duplicate / fine",
    "merge": "merge",
    "skip": "skipped",
    "set_attribute": "set value",
    "remove_from_audiences": "off audiences",
}


def taken_back_text(restored: dict[str, str | None], what: str) -> str:
    """What a take-back did, in one sentence (`what` names the row, cluster or group)."""
    if not restored:
        return f"{what}: no decision to take back."
    now = sorted({TAKEN_BACK_LABELS.get(d, d) for d in restored.values() if d is not None})
    if not now:
        return f"{what}: decision taken back, open again."
    return f"{what}: decision taken back, back to {', '.join(now)}."


# Titles in the narrow line (under 110 columns): every screen still fits in 80 columns.
SHORT_TITLES = {  # three letters each: ten screens fit 80 columns with the current one in full
    "overview": "Ovr",
    "contacts": "Con",
    "duplicates": "Dup",
    "calls": "Cal",
    "attributes": "Att",
    "audiences": "Aud",
    "phones": "Tel",
    "inactivity": "Ina",
    "plan": "Pln",
    "history": "His",
}


def nav_text(current: str, *, short: bool = False) -> Text:
    """The line of screen keys at the top, the current screen highlighted (with its full
    title; the others abbreviated when `short`)."""
    from gomoq.tui.app import SCREENS

    text = Text()
    for mode, key, title, _ in SCREENS:
        style = "reverse bold" if mode == current else ""
        if short and mode != current:
            title = SHORT_TITLES.get(mode, title)
        text.append(f" {key}", style="bold " + style)
        text.append(f" {title} ", style=style)
    return text


class WorkbenchScreen(Screen[None]):
    """A screen with the app's header and footer, a job strip, and `refresh_data` on new data."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_job", "Cancel", show=False),
    ]
    TITLE_TEXT = ""
    MODE = ""

    def __init__(self) -> None:
        super().__init__()
        self._cancel = threading.Event()
        self.running: set[str] = set()
        self.last_error: str | None = None
        """The words of the last failed job (also shown as a notification)."""

    @property
    def workbench(self) -> GomoqApp:
        """The app, typed."""
        from gomoq.tui.app import GomoqApp

        assert isinstance(self.app, GomoqApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(nav_text(self.MODE), id="nav")
        yield Static(nav_text(self.MODE, short=True), id="nav-short")
        yield from self.compose_body()
        yield JobBar()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        self.sub_title = self.TITLE_TEXT
        self.watch(self.workbench, "data_version", self._data_changed, init=True)

    def _data_changed(self, _version: int) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        """Rebuild the screen's view from the app's snapshot and findings."""

    def start(
        self, job: str, label: str, fn: JobFn, *, show: bool = True, exclusive: bool = True
    ) -> None:
        """Run `fn` in a worker; with `show`, the job strip follows its progress.

        `exclusive` jobs (reads: search, detail, lists) cancel the previous one of the same name,
        whose answer is then dropped; writes (decisions, sync, apply) pass `exclusive=False` so
        that every one of them is reported.
        """
        self._cancel = threading.Event()
        self.running.add(job)
        if show:
            self.query_one(JobBar).begin(label)
        start_job(self, job, fn, cancel=self._cancel, exclusive=exclusive)

    def finish(self, job: str) -> None:
        """Mark `job` as ended and hide the strip when nothing runs."""
        self.running.discard(job)
        if not self.running:
            self.query_one(JobBar).end()

    def take_back(self, finding_ids: list[str], what: str) -> None:
        """Take back the decisions on `finding_ids` (from any session) in a worker; the screen
        gets `DecisionsTakenBack` (see `taken_back_text`)."""
        profile = self.workbench.profile
        if profile is None:
            return
        if not finding_ids:
            self.notify(f"{what}: no decision to take back.", timeout=3)
            return

        def work(_p: ProgressFn, _c: CancelFn) -> DecisionsTakenBack:
            return DecisionsTakenBack(bridge.take_back_decisions(profile, finding_ids), what)

        self.start("decision", "Taking back", work, show=False, exclusive=False)

    def take_back_rows(self, rows: pl.DataFrame, contacts: int) -> None:
        """Take back the decisions of the decided `rows` (a list screen's rows, each with its
        `finding_ids` and `decision`), said as `contacts` contacts."""
        decided = rows.filter(pl.col("decision").is_not_null())
        ids = decided.select(pl.col("finding_ids").explode()).to_series().drop_nulls().to_list()
        self.take_back(ids, f"{contacts} contact" + ("" if contacts == 1 else "s"))

    def action_cancel_job(self) -> None:
        """Ask the running job to stop at its next safe point."""
        if self.running:
            self._cancel.set()
            self.notify("Cancelling at the next safe point…")

    def on_job_progress(self, message: JobProgress) -> None:
        text = message.text or message.task
        self.query_one(JobBar).step(text, message.done, message.total)

    def on_job_failed(self, message: JobFailed) -> None:
        # Said once, here: the message must not bubble on to the app, which would say it again.
        message.stop()
        self.finish(message.job)
        if isinstance(message.error, Cancelled):  # a clean cancel is not a failure
            self.notify(f"{message.job.capitalize()} cancelled; nothing was left half-done.")
            return
        self.last_error = message.text
        self.notify(message.text, title=f"{message.job} failed", severity="error", timeout=10)
