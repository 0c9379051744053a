"""History: applied runs with their counts; undo one from here."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.dialogs.ask import Confirm
from gomoq.tui.messages import HistoryLoaded, JobFailed, RunFinished
from gomoq.tui.screens.base import WorkbenchScreen
from gomoq.tui.screens.plan import as_mapping, cell, run_summary
from gomoq.tui.widgets.safe_cells import SafeDataTable

HIDDEN = ("finished_at", "plan")


def cannot_undo(run: dict[str, Any], runs: list[dict[str, Any]]) -> str | None:
    """Why `run` cannot be undone from here (one sentence), or None when it can."""
    run_id = str(run.get("run_id") or run.get("id"))
    if run.get("kind") != "apply":
        return f"Run {run_id} is an undo: apply its plan again instead of undoing it."
    if run.get("state") in ("running", "cancelled"):
        return f"Run {run_id} is unfinished: `gomoq apply --resume {run_id}` first, then undo it."
    done = [r for r in runs if r.get("undo_of") == run_id and r.get("state") != "cancelled"]
    if done:
        return f"Run {run_id} was already undone by run {done[0].get('run_id')}."
    return None


def run_row(run: dict[str, Any]) -> dict[str, Any]:
    """A run as the list shows it: times to the minute, internal columns left out."""
    out: dict[str, Any] = {}
    for key, value in run.items():
        if key in HIDDEN:
            continue
        if key.endswith("_at") and isinstance(value, str):
            value = value.replace("T", " ")[:16]
        out[key.replace("_", " ")] = value
    return out


class HistoryScreen(WorkbenchScreen):
    """The applied runs, newest first; `u` undoes the highlighted run."""

    TITLE_TEXT = "History"
    MODE = "history"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "undo", "Undo run"),
        Binding("r", "reload", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[Any] = []
        self.results: list[Any] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="history"):
            yield Label("Loading history…", id="history-status")
            yield SafeDataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="history-result"):
                yield Static("", id="history-result-body")

    def on_screen_resume(self) -> None:
        self.action_reload()

    def refresh_data(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """List the runs again, in a worker."""
        profile = self.workbench.profile
        if profile is None:
            return

        def work(_p: ProgressFn, _c: CancelFn) -> HistoryLoaded:
            return HistoryLoaded(bridge.history(profile))

        self.start("history", "Reading history", work, show=False)

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self.finish("history")
        self.runs = message.runs
        table = self.query_one("#history-table", DataTable)
        table.clear(columns=True)
        if not message.runs:
            self.query_one("#history-status", Label).update("No runs applied yet.")
            return
        rows = [run_row(as_mapping(run)) for run in message.runs]
        table.add_columns(*rows[0].keys())
        for row in rows:
            table.add_row(*(cell(v) for v in row.values()))
        self.query_one("#history-status", Label).update(
            f"{len(message.runs)} run(s) · u undoes the highlighted run"
        )

    def on_job_failed(self, message: JobFailed) -> None:
        super().on_job_failed(message)
        if message.job == "history":
            self.query_one("#history-status", Label).update(message.text)

    def action_undo(self) -> None:
        """Confirm, then undo the highlighted run with live progress."""
        profile = self.workbench.profile
        table = self.query_one("#history-table", DataTable)
        if profile is None or not self.runs or "undo" in self.running:
            return
        run = as_mapping(self.runs[table.cursor_row])
        run_id = str(run.get("run_id") or run.get("id"))
        why_not = cannot_undo(run, [as_mapping(r) for r in self.runs])
        if why_not:  # said before any dialog: never offer what cannot be done
            self.notify(why_not, severity="warning", timeout=6)
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return

            def work(progress: ProgressFn, should_cancel: CancelFn) -> RunFinished:
                return RunFinished(
                    "undo", bridge.undo_run(profile, run_id, progress, should_cancel)
                )

            self.start("undo", "Undoing", work, exclusive=False)

        question = (
            f"Undo run {run_id} ({run.get('kind')}, {run.get('state')})?\n\nEvery change it "
            "made is put back as it was; a contact changed since then is reported as a "
            "conflict and left alone. Deleted contacts are re-created: the API has no restore, "
            "so they come back with new ids, and their call history stays with the old ids. "
            "The decisions behind the run are taken back (open again)."
        )
        self.app.push_screen(Confirm(question, "Undo"), confirmed)

    def on_run_finished(self, message: RunFinished) -> None:
        self.finish(message.job)
        self.results.append(message.result)
        self.query_one("#history-result-body", Static).update(run_summary(message.result))
        self.notify("Undo finished.")
        self.action_reload()
        self.workbench.reload()
