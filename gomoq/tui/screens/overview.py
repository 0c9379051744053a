"""Overview: sync state and age, a card per check, findings over syncs and call outcomes."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Static

from gomoq.checks.findings import SEVERITIES
from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.data import (
    CheckCard,
    call_outcomes,
    describe_age,
    overview_cards,
    record_trend,
    severity_counts,
    sync_time,
    trend_totals,
)
from gomoq.tui.messages import OverviewComputed, SyncFinished
from gomoq.tui.screens.base import WorkbenchScreen

NEXT_STEPS = Text.assemble(
    ("Next: ", "bold"),
    "review findings on ",
    ("d", "bold"),
    " Duplicates, ",
    ("f", "bold"),
    " Calls and ",
    ("a", "bold"),
    " Attributes (each decision is saved at once, nothing is sent yet), then ",
    ("p", "bold"),
    " Plan to see and apply the changes. ",
    ("?", "bold"),
    " lists every key.",
)
CHECKS = ("phones", "duplicates", "call_failures", "attributes", "inactivity")
SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}
WHERE = {
    "duplicates": "d reviews them",
    "call_failures": "f lists them",
    "attributes": "a audits them",
    "phones": "c, then search\ncheck:phones",
    "inactivity": "c, then search\ncheck:inactivity",
}


def card_text(card: CheckCard, running: bool = False) -> Text:
    """A card's body: counts by severity, change since the previous sync, where to go.

    While the checks run the counts are not known yet: "…", never a misleading 0. The change
    line is short ("+13 vs last") so that it fits a card at 80 columns without wrapping.
    """
    text = Text()
    text.append(card.check.replace("_", " ").title() + "\n", style="bold")
    for severity in SEVERITIES:
        n = card.counts.get(severity, 0)
        if running:
            text.append(f"{'…':>7} ", style="dim")
        else:
            text.append(f"{n:>7,} ", style=SEVERITY_STYLE[severity] if n else "dim")
        text.append(f"{severity}\n", style="dim")
    change = card.change()
    if running:
        text.append("checking…", style="dim")
    elif change is None:
        text.append("first sync", style="dim")
    elif change == 0:
        text.append("= vs last sync", style="dim")
    else:
        text.append(f"{change:+,} vs last", style="red" if change > 0 else "green")
    text.append(f"\n{WHERE.get(card.check, '')}", style="dim italic")
    return text


class OverviewScreen(WorkbenchScreen):
    """Where the operator starts: is the cache fresh, what is wrong, is it getting better."""

    TITLE_TEXT = "Overview"
    MODE = "overview"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sync", "Sync"),
        Binding("r", "recheck", "Re-run checks"),
    ]

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="overview"):
            yield Static(id="sync-state")
            yield Grid(id="cards")
            with Horizontal(id="charts"):
                with Vertical(classes="chart"):
                    yield Label("Findings over the last syncs", classes="chart-title")
                    yield Static(id="trend")
                with Vertical(classes="chart"):
                    yield Label("Call outcomes", classes="chart-title")
                    yield Static(id="outcomes")
            yield Static(NEXT_STEPS, id="next-steps")

    def refresh_data(self) -> None:
        app = self.workbench
        state = self.query_one("#sync-state", Static)
        if app.source is None:
            problem = app.source_problem or "Opening the cache…"
            state.update(Text.assemble(("No snapshot: ", "bold"), problem, "  Press s to sync."))
            return
        manifest = app.source.manifest
        when = sync_time(manifest)
        checks = (
            "checks running…"
            if app.checks_running
            else (app.findings_problem or f"{app.findings.height:,} findings")
        )
        state.update(
            Text.assemble(
                ("Profile ", "dim"),
                (app.profile.name if app.profile else "?", "bold"),
                ("  ·  last sync ", "dim"),
                describe_age(when),
                ("  ·  ", "dim"),
                checks,
                ("  ·  s syncs now", "dim"),
                changes_text(app.check_summary),
            )
        )
        source = app.source
        findings = app.findings
        name = app.profile.name if app.profile else "default"
        checked = app.findings_problem is None

        def compute(_p: ProgressFn, _c: CancelFn) -> OverviewComputed:
            counts = severity_counts(findings)
            history = record_trend(name, when, counts) if checked else []
            previous = history[-2]["counts"] if len(history) > 1 else None
            cards = overview_cards(findings, previous, CHECKS)
            return OverviewComputed(cards, call_outcomes(source), trend_totals(history))

        self.start("overview", "Summarising", compute, show=False)

    def on_overview_computed(self, message: OverviewComputed) -> None:
        self.finish("overview")
        grid = self.query_one("#cards", Grid)
        grid.remove_children()
        running = self.workbench.checks_running
        grid.mount_all(Static(card_text(c, running), classes="card") for c in message.cards)
        self.query_one("#trend", Static).update(trend_text(message.trend))
        self.query_one("#outcomes", Static).update(outcome_bars(message.outcomes))

    def action_sync(self) -> None:
        """Sync the profile in a worker; the app keeps showing the old snapshot meanwhile."""
        profile = self.workbench.profile
        if profile is None or "sync" in self.running:
            return

        def work(progress: ProgressFn, should_cancel: CancelFn) -> SyncFinished:
            return SyncFinished(bridge.sync(profile, progress, should_cancel))

        self.start("sync", "Syncing", work, exclusive=False)

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.finish("sync")
        self.notify("Sync finished; re-running the checks.", title="Sync")
        self.workbench.reload()

    def action_recheck(self) -> None:
        """Run the checks again over the same snapshot."""
        self.workbench.run_checks()
        self.refresh_data()


BLOCKS = " ▁▂▃▄▅▆▇█"


def trend_text(totals: list[int], width: int = 24) -> Text:
    """Findings per sync as a row of bars (oldest first) with the latest numbers."""
    if not totals:
        return Text("No checked sync yet.", style="dim")
    shown = totals[-width:]
    top = max(shown) or 1
    bars = "".join(BLOCKS[max(1, round(8 * t / top))] for t in shown)
    text = Text(bars, style="bold")
    text.append("\n" + " → ".join(f"{t:,}" for t in shown[-5:]))
    if len(shown) == 1:
        text.append("  (one sync so far)", style="dim")
    return text


def changes_text(summary: Any) -> Text:
    """What changed in the data since the previous sync, from the checks' summary."""
    changes = getattr(summary, "changes", None)
    if changes is None:
        return Text()
    return Text(
        f"\nSince the previous sync: +{changes.contacts_added:,} / -{changes.contacts_removed:,}"
        f" contacts, {changes.contacts_updated:,} updated, +{changes.calls_added:,} calls",
        style="dim",
    )


def outcome_bars(outcomes: dict[str, int], width: int = 24) -> Text:
    """Horizontal bars of call counts per status."""
    text = Text()
    if not outcomes:
        return Text("no calls in the snapshot", style="dim")
    top = max(outcomes.values())
    for status, n in list(outcomes.items())[:7]:
        bar = "█" * max(1, round(width * n / top))
        style = "green" if status == "answered" else "red" if status == "failed" else "yellow"
        text.append(f"{status[:12]:<12} ", style="dim")
        text.append(bar, style=style)
        text.append(f" {n:,}\n")
    return text
