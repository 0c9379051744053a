"""Audiences: every audience with its count, the segment behind it, who would join and leave;
build the refresh plan and apply it (journaled, undoable from History)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from gomoq.progress import CancelFn, ProgressFn
from gomoq.safe_text import printable
from gomoq.tui import bridge
from gomoq.tui.data.audiences import AudienceRow, names_of
from gomoq.tui.dialogs.ask import Confirm
from gomoq.tui.messages import AudiencesLoaded, PlanBuilt, RunFinished
from gomoq.tui.screens.exporting import ExportingScreen
from gomoq.tui.widgets.safe_cells import SafeDataTable

# The segment's filter last: the counts stay in view at 80 columns.
COLUMNS = ("Audience", "Type", "Members", "Match", "Join", "Leave", "Segment")


def preview_text(row: AudienceRow, joiners: list[str], leavers: list[str]) -> Text:
    """The preview pane of one audience: its segment, then who joins and who leaves."""
    text = Text()
    text.append(printable(row.name), style="bold")
    if row.segment is None:
        text.append(f"  {row.type}, {row.members:,} members · no segment behind it\n")
        text.append("gomoq segment add NAME FILTER makes one (the same name keeps it equal)")
        return text
    text.append(f"  = {printable(row.segment)}\n")
    if row.audience_id is None:
        text.append("No audience of that name yet: the plan creates it.\n", style="italic")
    for title, ids, names, style in (
        ("Would join", row.joiners, joiners, "green"),
        ("Would leave", row.leavers, leavers, "red"),
    ):
        text.append(f"{title} ({len(ids):,}): ", style=style)
        shown = ", ".join(printable(n) for n in names)
        more = len(ids) - len(names)
        text.append((shown or "nobody") + (f" and {more:,} more" if more > 0 else "") + "\n")
    return text


class AudiencesScreen(ExportingScreen):
    """Audiences and segments side by side; `b` plans the highlighted segment, `B` all."""

    TITLE_TEXT = "Audiences"
    MODE = "audiences"
    AUTO_FOCUS = "#audiences-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "build", "Plan this segment"),
        Binding("B", "build_all", "Plan all segments"),
        Binding("e", "export", "Export members"),
        Binding("E", "export", "Export members", show=False),  # every list screen's key
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AudienceRow] = []
        self.selection: Any = None
        self.plan: Any = None
        self._source: Any = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="audiences"):
            yield Label("Reading audiences…", id="audiences-status")
            yield SafeDataTable(id="audiences-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="audience-preview"):
                yield Static("", id="audience-preview-body")

    def on_screen_resume(self) -> None:
        # Segments may have been added from the command line since the last visit.
        self.refresh_data()

    def refresh_data(self) -> None:
        profile, source = self.workbench.profile, self.workbench.source
        if profile is None or source is None:
            problem = self.workbench.source_problem or "Opening the cache…"
            self.query_one("#audiences-status", Label).update(problem)
            return
        self._source = source

        def work(_p: ProgressFn, _c: CancelFn) -> AudiencesLoaded:
            selection, rows = bridge.audiences_view(profile, source)
            return AudiencesLoaded(selection, rows)

        self.start("audiences", "Reading audiences", work, show=False)

    def on_audiences_loaded(self, message: AudiencesLoaded) -> None:
        self.finish("audiences")
        self.selection, self.rows = message.selection, message.rows
        table = self.query_one("#audiences-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*COLUMNS)
        for row in self.rows:
            table.add_row(
                printable(row.name)[:26],
                row.type,
                f"{row.members:,}",
                "—" if row.matching is None else f"{row.matching:,}",
                "—" if row.segment is None else f"{len(row.joiners):,}",
                "—" if row.segment is None else f"{len(row.leavers):,}",
                printable(row.segment or "—")[:40],
            )
        if self.rows:
            table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1))
        segments = sum(r.segment is not None for r in self.rows)
        changes = sum(r.changes or 0 for r in self.rows)
        self.query_one("#audiences-status", Label).update(
            f"{len(self.rows)} audience(s) and segment(s), {segments} segment(s), "
            f"{changes:,} change(s) to make · b plans the highlighted segment, B all"
            if segments
            else f"{len(self.rows)} audience(s); no segment yet: `gomoq segment add NAME FILTER`"
        )
        self.show_preview(table.cursor_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_preview(event.cursor_row)

    def show_preview(self, index: int) -> None:
        """The highlighted row's joiners and leavers, by name (a few of each)."""
        body = self.query_one("#audience-preview-body", Static)
        if not 0 <= index < len(self.rows) or self.selection is None:
            body.update("")
            return
        row = self.rows[index]
        joiners = names_of(self.selection, row.joiners)
        leavers = names_of(self.selection, row.leavers)
        body.update(preview_text(row, joiners, leavers))

    def highlighted(self) -> AudienceRow | None:
        """The row under the cursor."""
        index = self.query_one("#audiences-table", DataTable).cursor_row
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def action_build(self) -> None:
        """Plan the highlighted segment's refresh, then ask to apply it."""
        row = self.highlighted()
        if row is None or row.segment is None:
            self.notify("The highlighted audience has no segment behind it.", timeout=4)
            return
        self.build([row.name])

    def action_build_all(self) -> None:
        """Plan the refresh of every segment, then ask to apply it."""
        names = [r.name for r in self.rows if r.segment is not None]
        if not names:
            self.notify("No segment yet: `gomoq segment add NAME FILTER`.", timeout=4)
            return
        self.build(names)

    def build(self, names: list[str]) -> None:
        """Build the plan in a worker (`PlanBuilt`)."""
        profile, selection = self.workbench.profile, self.selection
        if profile is None or selection is None or "apply" in self.running:
            return

        def work(_p: ProgressFn, _c: CancelFn) -> PlanBuilt:
            return PlanBuilt(bridge.refresh_plan(profile, selection, names), [], {})

        self.start("plan", "Planning", work, show=False)

    def on_plan_built(self, message: PlanBuilt) -> None:
        self.finish("plan")
        self.plan = message.plan
        actions = list(getattr(self.plan, "actions", []) or [])
        if not actions:
            self.notify("Nothing to do: the audiences already equal their segments.", timeout=4)
            return
        profile = self.workbench.profile
        assert profile is not None
        adds = sum(len(a.add) for a in actions)
        removes = sum(len(a.remove) for a in actions)
        creates = sum(a.audience is None for a in actions)
        question = (
            f"Refresh {len(actions)} audience(s) of profile {profile.name}: "
            f"create {creates}, add {adds:,} membership(s), remove {removes:,}?\n\n"
            "Every step is journaled: Esc stops at a safe point, and the run can be undone "
            "from History (h)."
        )

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            plan = self.plan

            def work(progress: ProgressFn, should_cancel: CancelFn) -> RunFinished:
                return RunFinished(
                    "apply", bridge.apply_plan(profile, plan, progress, should_cancel)
                )

            self.start("apply", "Applying", work, exclusive=False)

        self.app.push_screen(Confirm(question, "Apply"), confirmed)

    def on_run_finished(self, message: RunFinished) -> None:
        self.finish(message.job)
        self.notify(message.result.headline(), title="Audience refresh", timeout=8)
        self.workbench.reload()

    def action_export(self) -> None:
        """Export the highlighted audience's members (the dialog lets the filter change)."""
        row = self.highlighted()
        where = ""
        if row is not None and row.audience_id is not None:
            where = 'audience:"' + row.name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif row is not None and row.segment is not None:
            where = row.segment
        self.open_export(where, "contacts")
