"""The gomoq workbench: one screen per task, switched by a key or from the command palette.

The app holds what every screen shares: the profile, the open cache snapshot and the findings of
the checks over it. Loading them runs in thread workers; screens watch `data_version` and rebuild
their views when it changes (each view an immutable snapshot, style habit 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import polars as pl
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import WorkerState

from gomoq.checks.findings import empty_findings
from gomoq.checks.settings import CheckSettings
from gomoq.config import Profile
from gomoq.errors import ConfigError
from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.data import TableSource, apply_decisions
from gomoq.tui.jobs import start_job
from gomoq.tui.messages import ChecksFinished, JobFailed, JobProgress, SnapshotLoaded

# (mode, key, title, help) — the order of the navigation line and of the command palette.
SCREENS: tuple[tuple[str, str, str, str], ...] = (
    ("overview", "o", "Overview", "Sync state and a card per check"),
    ("contacts", "c", "Contacts", "Every contact, searchable, with details"),
    ("duplicates", "d", "Duplicates", "Review duplicate clusters and merge them"),
    ("calls", "f", "Calls", "Call failures: contacts whose calls keep failing"),
    ("attributes", "a", "Attributes", "Attribute audit: invalid values, by value"),
    ("audiences", "g", "Audiences", "Audiences and segments: who joins, who leaves; refresh"),
    ("phones", "t", "Phones", "Unusable numbers by reason; numbers to rewrite in E.164"),
    ("inactivity", "i", "Inactivity", "Engagement bands; archive inactive contacts (A/B/C)"),
    ("plan", "p", "Plan", "Plan & apply: the pending decisions; apply them"),
    ("history", "h", "History", "Applied runs; undo one"),
)


def _modes() -> dict[str, Callable[[], Screen[None]]]:
    from gomoq.tui.screens.attributes import AttributesScreen
    from gomoq.tui.screens.audiences import AudiencesScreen
    from gomoq.tui.screens.calls import CallsScreen
    from gomoq.tui.screens.contacts import ContactsScreen
    from gomoq.tui.screens.duplicates import DuplicatesScreen
    from gomoq.tui.screens.history import HistoryScreen
    from gomoq.tui.screens.inactivity import InactivityScreen
    from gomoq.tui.screens.overview import OverviewScreen
    from gomoq.tui.screens.phones import PhonesScreen
    from gomoq.tui.screens.plan import PlanScreen

    return {
        "overview": OverviewScreen,
        "contacts": ContactsScreen,
        "duplicates": DuplicatesScreen,
        "calls": CallsScreen,
        "attributes": AttributesScreen,
        "audiences": AudiencesScreen,
        "phones": PhonesScreen,
        "inactivity": InactivityScreen,
        "plan": PlanScreen,
        "history": HistoryScreen,
    }


class GomoqApp(App[str | None]):
    """The workbench over one profile (`profile` None: the first-run screen asks for one).

    `source` and `findings` let tests and the benchmark hand in a snapshot and findings;
    otherwise the profile's cache is opened and the checks run. `start_mode` is the first screen.
    """

    CSS_PATH = "app.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012 - Textual declares it without ClassVar
    TITLE = "gomoq"
    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(key, f"show('{mode}')", title, show=False) for mode, key, title, _ in SCREENS],
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    data_version: reactive[int] = reactive(0, init=False)
    """Bumped whenever `source` or `findings` change; screens watch it."""

    def __init__(
        self,
        profile: Profile | None,
        *,
        source: TableSource | None = None,
        start_mode: str = "overview",
        findings: pl.DataFrame | None = None,
    ) -> None:
        super().__init__()
        self.profile = profile
        self.source: TableSource | None = source
        self.source_problem: str | None = None
        self.findings: pl.DataFrame = empty_findings()
        self.findings_problem: str | None = "Checks have not run yet."
        self.checks_running = False
        self.check_summary: Any = None
        """The services' summary of the last check run (`services.checks.RunSummary`), if any."""
        self._given_source = source is not None
        self._start_mode = start_mode
        self._given_findings = findings
        self.unfinished_jobs: list[str] = []
        """Jobs still running when the operator quit (the CLI says it waits for them)."""
        self.events: list[str] = []
        """The sequence of data events handled (tests assert on it)."""

    def on_mount(self) -> None:
        for name, factory in _modes().items():
            self.add_mode(name, factory)
        if self.profile is None:
            from gomoq.tui.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen())
            return
        self.title = f"gomoq — {self.profile.name}"
        self.switch_mode(self._start_mode)
        self.reload()

    # -- shared data ---------------------------------------------------------------------------

    def check_settings(self) -> CheckSettings:
        """The profile's check settings (the defaults when they cannot be read: the checks'
        own run says why)."""
        if self.profile is None:
            return CheckSettings()
        try:
            return CheckSettings.from_mapping(self.profile.checks, region=self.profile.region)
        except ConfigError:
            return CheckSettings(region=self.profile.region)

    def reload(self) -> None:
        """Open the snapshot again (after a sync or an apply), then run the checks."""
        profile = self.profile
        if profile is None:
            return
        if self._given_source:
            self.post_message(SnapshotLoaded(self.source, None))
            return

        def load(_p: ProgressFn, _c: CancelFn) -> SnapshotLoaded:
            try:
                return SnapshotLoaded(bridge.open_snapshot(profile.name), None)
            except bridge.NotAvailable as exc:
                return SnapshotLoaded(None, str(exc))
            except Exception as exc:
                return SnapshotLoaded(None, bridge.explain(exc))

        start_job(self, "load", load)

    def on_snapshot_loaded(self, message: SnapshotLoaded) -> None:
        self.source = message.source
        self.source_problem = message.problem
        self.events.append("snapshot" if message.source is not None else "no-snapshot")
        if message.source is None:
            self.findings_problem = message.problem
        if self._given_findings is not None:
            self.post_message(ChecksFinished(self._given_findings))
        elif message.source is not None:
            self.run_checks()  # before screens refresh, so they say the checks are running
        self.data_version += 1

    def run_checks(self) -> None:
        """Run the checks over the current snapshot in a worker."""
        profile = self.profile
        if profile is None:
            return
        self.checks_running = True

        source = self.source if self._given_source else None

        def work(progress: ProgressFn, should_cancel: CancelFn) -> ChecksFinished:
            try:
                result = bridge.run_checks(profile, progress, should_cancel, source)
            except bridge.NotAvailable as exc:
                return ChecksFinished(empty_findings(), str(exc))
            return ChecksFinished(result.findings, None, result.summary)

        start_job(self, "checks", work)

    def on_checks_finished(self, message: ChecksFinished) -> None:
        self.sub_title = ""  # the progress of the checks is over: no stale "checks 5/5"
        self.checks_running = False
        self.findings = message.findings
        self.findings_problem = message.problem
        self.check_summary = message.summary
        self.events.append("checks" if message.problem is None else "no-checks")
        self.data_version += 1

    def on_job_failed(self, message: JobFailed) -> None:
        self.sub_title = ""
        if message.job == "checks":
            self.checks_running = False
            self.findings_problem = message.text
            self.data_version += 1
        self.notify(message.text, title=f"{message.job} failed", severity="error", timeout=10)

    def on_job_progress(self, message: JobProgress) -> None:
        """App-level jobs (load, checks) report in the sub-title only."""
        done = f"{message.done:,}/{message.total:,}" if message.total else f"{message.done:,}"
        self.sub_title = f"{message.text or message.task} {done}"

    def note_decision(self, finding_ids: list[str], decision: str | None) -> None:
        """Reflect a saved decision in the findings every screen reads (no re-run needed)."""
        self.findings = apply_decisions(self.findings, finding_ids, decision)
        self.events.append(f"decision:{decision}")

    def note_taken_back(self, restored: dict[str, str | None]) -> None:
        """Reflect taken-back decisions (finding id -> decision now in force, None: open)."""
        by_decision: dict[str | None, list[str]] = {}
        for finding_id, decision in restored.items():
            by_decision.setdefault(decision, []).append(finding_id)
        for decision, ids in by_decision.items():
            self.findings = apply_decisions(self.findings, ids, decision)
        self.events.append("taken-back")

    # -- navigation ----------------------------------------------------------------------------

    def action_show(self, mode: str) -> None:
        """Switch to the screen `mode` (each keeps its state while hidden)."""
        if self.profile is None:
            return
        self.switch_mode(mode)

    async def action_quit(self) -> None:
        """Quit; jobs still running are cancelled (they stop at their next safe point)."""
        self.unfinished_jobs = [w.name for w in self.workers if w.state == WorkerState.RUNNING]
        self.workers.cancel_all()
        self.exit()

    def action_help(self) -> None:
        """Show every binding."""
        from gomoq.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, key, title, text in SCREENS:
            yield SystemCommand(f"{title} ({key})", text, lambda m=mode: self.action_show(m))
        yield SystemCommand("Help (?)", "Every key binding", self.action_help)
        yield SystemCommand("Run checks again", "Recompute findings", self.run_checks)
