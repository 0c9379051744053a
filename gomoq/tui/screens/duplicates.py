"""Duplicate review: one cluster at a time, members side by side, a decision per key press.

Every decision is saved at once through `gomoq.state.decisions` (a crash loses none); `u` takes
back the decision on the cluster shown, whenever it was taken (the one it replaced comes back:
`m` on a skipped cluster then `u` is "skipped" again), or else the last one taken here. Clusters
marked "not a duplicate" are hidden, as `gomoq check` hides them, except those marked in this
session; `v` shows them all. The queue is ordered by confidence; "N of M" says where one is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from gomoq.progress import CancelFn, ProgressFn
from gomoq.safe_text import printable
from gomoq.tui import bridge
from gomoq.tui.data import (
    Cluster,
    ClusterView,
    choosable,
    cluster_view,
    duplicate_queue,
    merge_payload,
)
from gomoq.tui.data.fit import clip, fit_widths
from gomoq.tui.messages import ClusterLoaded, DecisionRecorded, DecisionsTakenBack
from gomoq.tui.screens.base import WorkbenchScreen, taken_back_text
from gomoq.tui.widgets.safe_cells import SafeDataTable

HINT = Text.assemble(
    ("yellow", "yellow"),
    ": members differ · ",
    ("highlighted", "reverse"),
    ": value kept · empty values are filled from the others\n",
    ("1-9", "bold"),
    " survivor · ",
    ("Enter", "bold"),
    " on a cell keeps that value · ",
    ("m", "bold"),
    " merge · ",
    ("n", "bold"),
    " not a duplicate · ",
    ("s", "bold"),
    " skip · ",
    ("u", "bold"),
    " undo · ",
    ("v", "bold"),
    " show dismissed · ",
    ("[ ]", "bold"),
    " move",
)
LABELS = {"merge": "merged", "dismissed": "not a duplicate", "skip": "skipped"}


@dataclass
class Undoable:
    """A decision taken here, so `u` can take it back (the cluster becomes undecided)."""

    cluster_index: int
    finding_ids: list[str]


class DuplicatesScreen(WorkbenchScreen):
    """Review duplicate clusters."""

    TITLE_TEXT = "Duplicate review"
    MODE = "duplicates"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "decide('merge')", "Merge"),
        Binding("n", "decide('dismissed')", "Not a duplicate"),
        Binding("s", "decide('skip')", "Skip"),
        Binding("u", "undo", "Undo"),
        Binding("v", "toggle_dismissed", "Show dismissed"),
        Binding("right_square_bracket", "move(1)", "Next", key_display="]"),
        Binding("left_square_bracket", "move(-1)", "Previous", key_display="["),
        *[Binding(str(i), f"survivor({i - 1})", f"Survivor {i}", show=False) for i in range(1, 10)],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queue: list[Cluster] = []
        self.position = 0
        self.view: ClusterView | None = None
        self.survivor = 0
        self.choices: dict[str, int] = {}
        self.last: list[Undoable] = []
        self.decided: list[tuple[str, str | None]] = []
        """(cluster id, decision) in the order they were saved (tests assert on it)."""
        self.show_dismissed = False
        self.dismissed_here: set[str] = set()
        """Clusters marked "not a duplicate" in this session: they stay in the queue."""

    def _queue(self) -> list[Cluster]:
        """The clusters to review: dismissed ones hidden unless shown (`v`) or dismissed here."""
        return [
            c
            for c in duplicate_queue(self.workbench.findings)
            if self.show_dismissed
            or c.decision != "dismissed"
            or c.cluster_id in self.dismissed_here
        ]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dupes"):
            yield Label("Waiting for the checks…", id="dupe-status")
            yield Static(id="dupe-evidence")
            yield SafeDataTable(id="dupe-table", cursor_type="cell", zebra_stripes=False)
            yield Label(HINT, id="dupe-hint")

    def refresh_data(self) -> None:
        app = self.workbench
        current = self.queue[self.position].cluster_id if self.queue else None
        self.queue = self._queue()
        if not self.queue:
            text = app.findings_problem or "No duplicate clusters: nothing to review."
            hidden = len(duplicate_queue(app.findings))
            if hidden and not app.findings_problem:
                text = f"{hidden} cluster(s), all marked not a duplicate: v shows them."
            if app.checks_running:
                text = "Checks are running…"
            self.query_one("#dupe-status", Label).update(text)
            return
        ids = [c.cluster_id for c in self.queue]
        if current in ids:
            self.position = ids.index(current)
        else:
            self.position = self._next_undecided(0)
        self.load_cluster()

    def _next_undecided(self, start: int) -> int:
        for offset in range(len(self.queue)):
            i = (start + offset) % len(self.queue)
            if self.queue[i].decision is None:
                return i
        return min(start, len(self.queue) - 1)

    def load_cluster(self) -> None:
        """Read the current cluster's members in a worker."""
        source = self.workbench.source
        if source is None or not self.queue:
            return
        cluster = self.queue[self.position]

        def work(_p: ProgressFn, _c: CancelFn) -> ClusterLoaded:
            return ClusterLoaded(cluster, cluster_view(source, cluster))

        self.start("cluster", "Loading cluster", work, show=False)

    def on_cluster_loaded(self, message: ClusterLoaded) -> None:
        self.finish("cluster")
        if not self.queue or message.cluster.cluster_id != self.queue[self.position].cluster_id:
            return
        self.view = message.view
        self.survivor = 0
        self.choices = {}
        self.render_cluster()

    def render_cluster(self) -> None:
        """Draw the status line, the evidence and the side-by-side table."""
        view, cluster = self.view, self.queue[self.position]
        if view is None:
            return
        decided = sum(1 for c in self.queue if c.decision is not None)
        status = Text.assemble(
            (f"Cluster {self.position + 1} of {len(self.queue)}", "bold"),
            f"  ·  {decided} decided  ·  confidence {cluster.confidence:.2f}  ·  {cluster.kind}",
        )
        if cluster.decision:
            status.append(f"  ·  {LABELS.get(cluster.decision, cluster.decision)}", "italic green")
        self.query_one("#dupe-status", Label).update(status)
        self.query_one("#dupe-evidence", Static).update(
            Text(
                "\n".join(printable(line) for line in cluster.evidence) or "No evidence given.",
                style="italic",
            )
        )
        table = self.query_one("#dupe-table", DataTable)
        cursor = table.cursor_coordinate
        table.clear(columns=True)
        headers = ["field"] + [
            f"{i + 1}{' ★ survivor' if i == self.survivor else ''}"
            for i in range(len(view.member_ids))
        ]
        grid = [[name, *(v or "—" for v in view.values[name])] for name in view.fields]
        # sized to content, shrunk to the screen (4: padding and scrollbar); whole values are
        # in Contacts' detail pane
        widths = fit_widths(headers, grid, self.app.size.width - 4, minimum=10)
        for i, header in enumerate(headers):
            table.add_column(
                clip(header, widths[i]), key="field" if i == 0 else f"m{i - 1}", width=widths[i]
            )
        for name, row in zip(view.fields, grid, strict=True):
            differs = view.differs(name)
            cells: list[Any] = [
                Text(clip(name, widths[0]), style="bold yellow" if differs else "dim")
            ]
            for i, value in enumerate(row[1:]):
                kept = self.choices.get(name, self.survivor) == i
                style = ""
                if differs:
                    style = "reverse" if kept and choosable(name) else "yellow"
                cells.append(Text(clip(value, widths[i + 1]), style=style))
            table.add_row(*cells, key=name)
        if cursor.row < table.row_count:
            table.cursor_coordinate = cursor

    def action_survivor(self, index: int) -> None:
        """Choose which member survives the merge."""
        if self.view is None:
            return
        if index >= len(self.view.member_ids):  # said, not silently ignored
            self.notify(
                f"This cluster has {len(self.view.member_ids)} members: "
                f"1-{len(self.view.member_ids)} choose the survivor.",
                timeout=3,
            )
            return
        self.survivor = index
        self.render_cluster()

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        """Enter on a member's cell: keep that member's value for that field."""
        if self.view is None:
            return
        name = self.view.fields[event.coordinate.row]
        member = event.coordinate.column - 1
        if member >= 0 and choosable(name):
            self.choices[name] = member
            self.render_cluster()

    def action_move(self, step: int) -> None:
        """Go to the next or previous cluster without deciding."""
        if self.queue:
            self.position = (self.position + step) % len(self.queue)
            self.load_cluster()

    def action_decide(self, decision: str) -> None:
        """Save a decision for the current cluster, then move to the next undecided one."""
        view, profile = self.view, self.workbench.profile
        if view is None or profile is None or not self.queue:
            return
        cluster = self.queue[self.position]
        payload = merge_payload(view, self.survivor, self.choices) if decision == "merge" else None
        self.last.append(Undoable(self.position, cluster.finding_ids))
        self._save(cluster.finding_ids, decision, payload)

    def action_undo(self) -> None:
        """Take back the decision on the cluster shown (from any session), else the last one
        taken here; the decision it replaced comes back."""
        if self.view is None or not self.queue:
            self.notify("Nothing to undo here.")
            return
        cluster = self.queue[self.position]
        if cluster.decision is None and self.last:
            undo = self.last.pop()
            target = next(
                (i for i, c in enumerate(self.queue) if c.finding_ids == undo.finding_ids), None
            )
            if target is None:
                self.notify("Nothing to undo here.")
                return
            self.position = target
            cluster = self.queue[target]
        if cluster.decision is None:
            self.notify(f"Cluster {self.position + 1}: no decision to take back.", timeout=3)
            return
        self.take_back(cluster.finding_ids, f"Cluster {self.position + 1}")

    def action_toggle_dismissed(self) -> None:
        """Show or hide the clusters marked "not a duplicate" (hidden by default)."""
        self.show_dismissed = not self.show_dismissed
        self.notify(
            "Showing clusters marked not a duplicate."
            if self.show_dismissed
            else "Hiding clusters marked not a duplicate.",
            timeout=3,
        )
        self.refresh_data()

    def on_decisions_taken_back(self, message: DecisionsTakenBack) -> None:
        self.finish("decision")
        if self.queue:
            now = set(message.restored.values())
            self.decided.append(
                (self.queue[self.position].cluster_id, now.pop() if len(now) == 1 else None)
            )
        self.workbench.note_taken_back(message.restored)
        self.queue = self._queue()
        self.notify(taken_back_text(message.restored, message.label), timeout=3)
        self.position = min(self.position, max(len(self.queue) - 1, 0))
        self.load_cluster()

    def _save(
        self,
        finding_ids: list[str],
        decision: str,
        payload: dict[str, Any] | None,
    ) -> None:
        profile = self.workbench.profile
        assert profile is not None
        label = LABELS.get(decision, decision)
        findings = self.workbench.findings

        def work(_p: ProgressFn, _c: CancelFn) -> DecisionRecorded:
            bridge.record_decisions(profile, findings, finding_ids, decision, payload=payload)
            return DecisionRecorded(finding_ids, decision, label)

        self.start("decision", "Saving", work, show=False, exclusive=False)

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        self.finish("decision")
        cluster = self.queue[self.position]
        self.decided.append((cluster.cluster_id, message.decision))
        if message.decision == "dismissed":
            self.dismissed_here.add(cluster.cluster_id)
        self.workbench.note_decision(message.finding_ids, message.decision)
        self.queue = self._queue()
        # Nothing is sent yet: the merge happens when the plan is applied.
        self.notify(
            f"Cluster {self.position + 1}: {message.label} (decided; apply from Plan).", timeout=3
        )
        self.position = self._next_undecided(self.position)
        self.load_cluster()
