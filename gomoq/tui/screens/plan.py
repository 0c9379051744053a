"""Plan & apply: the pending decisions as a plan, field by field; apply with live progress.

`v` switches the table to the decisions in force (from every screen and session, as
`gomoq decisions list` shows them); there `u` takes the highlighted one back.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from gomoq.api.contract import spelled
from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.data import TableSource
from gomoq.tui.data.fit import clip, fit_widths
from gomoq.tui.dialogs.ask import Confirm
from gomoq.tui.messages import (
    DecisionsListed,
    DecisionsTakenBack,
    JobFailed,
    PlanBuilt,
    RunFinished,
)
from gomoq.tui.screens.base import WorkbenchScreen, taken_back_text
from gomoq.tui.widgets.safe_cells import SafeDataTable


def as_mapping(obj: Any) -> dict[str, Any]:
    """A services' result object (dataclass, mapping or plain object) as a dict."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return dict(obj)
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


CELL_WIDTH = 26
"""Characters a cell of the plan's table shows: a "before" holding three audience ids (110
characters) pushed the "after" column off a 120-column screen; three cells of 26 fit beside
action, kind and contact. `gomoq plan show` prints everything."""


def cell(value: Any, width: int | None = CELL_WIDTH) -> str:
    """A value as a table cell shows it (API spelling; cut at `width` with an ellipsis unless
    `width` is None)."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        text = ", ".join(f"{k} {spelled(v)}" for k, v in value.items()) or "—"
    elif isinstance(value, list | tuple | set):
        text = f"{len(value)} item(s)" if len(value) > 3 else ", ".join(map(spelled, value))
    else:
        text = spelled(value)  # the API's spelling: true, 12, never Python's True
    return text if width is None else clip(text, width)


NICE = {"action_id": "action", "contact_id": "contact"}


def contact_names(source: TableSource | None, rows: list[Any]) -> dict[str, str]:
    """Names of the contacts a plan touches and of every audience, from the snapshot (ids stay
    when unknown): the Plan shows audiences by name, as Contacts does."""
    ids = sorted({str(as_mapping(r).get("contact_id")) for r in rows})
    if source is None or not ids:
        return {}
    frame = (
        source.scan("contacts")
        .filter(pl.col("id").is_in(ids))
        .select("id", pl.coalesce("full_name", "primary_phone").alias("name"))
        .collect()
    )
    audiences = source.scan("audiences").select("id", "name").collect()
    return {str(i): str(n) for i, n in [*frame.iter_rows(), *audiences.iter_rows()] if n}


_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def with_names(value: Any, names: dict[str, str]) -> Any:
    """`value` with every known id in it (a text listing audience ids) replaced by its name."""
    if not isinstance(value, str) or not names:
        return value
    return _ID.sub(lambda m: names.get(m.group(0), m.group(0)), value)


def run_summary(result: Any) -> Text:
    """What an apply or undo did (a `gomoq.plan.engine.RunResult`): its headline, what to do
    next, then the actions that need a look (conflicts and failures in red; at most 20,
    `gomoq history` has them all)."""
    trouble = result.failed or result.pending or result.state == "cancelled"
    style = "bold red" if trouble else "bold yellow" if result.conflicts else "bold green"
    text = Text(result.headline() + "\n", style=style)
    if trouble and result.kind == "undo":
        text.append("Undo it again from History (u) to retry what is left.\n")
    elif trouble:
        text.append("Rebuild the plan (b) and apply (A) to finish what is left.\n")
    elif result.kind == "apply" and result.done:
        text.append("Undo it from History (h) if needed.\n")
    for line in list(result.messages)[:20]:
        bad = ": failed:" in line or ": conflict:" in line
        text.append(f"  • {line}\n", style="red" if bad else "")
    if len(result.messages) > 20:
        text.append(f"  … and {len(result.messages) - 20} more (gomoq history)\n")
    return text


class PlanScreen(WorkbenchScreen):
    """Build the plan (b), read it, apply it (a) — cancellable with Esc."""

    TITLE_TEXT = "Plan & apply"
    MODE = "plan"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "build", "Rebuild plan"),
        Binding("A", "apply", "Apply"),
        Binding("v", "toggle_view", "Plan/decisions"),
        Binding("u", "undo", "Take back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan: Any = None
        self.rows: list[Any] = []
        self.results: list[Any] = []
        self.names: dict[str, str] = {}
        self.showing = "plan"
        """What the table shows: "plan" (the changes) or "decisions" (the decisions in force)."""
        self.decisions: list[Any] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="plan"):
            yield Label("Building the plan…", id="plan-status")
            yield SafeDataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="plan-result"):
                yield Static("", id="plan-result-body")

    def on_screen_resume(self) -> None:
        # the result of a run shown when one comes back to the screen is stale (an undo may
        # have reversed it since): the screen shows the plan as it is now
        if "apply" not in self.running:
            self.query_one("#plan-result-body", Static).update("")
        self.refresh_data()

    def refresh_data(self) -> None:
        self.action_build()
        if self.showing == "decisions":
            self.load_decisions()

    def action_toggle_view(self) -> None:
        """Switch the table between the plan's changes and the decisions in force."""
        self.showing = "decisions" if self.showing == "plan" else "plan"
        if self.showing == "decisions":
            self.load_decisions()
        else:
            self.draw_plan()

    def load_decisions(self) -> None:
        """Read the decisions in force, in a worker."""
        profile = self.workbench.profile
        if profile is None:
            return

        source = self.workbench.source

        def work(_p: ProgressFn, _c: CancelFn) -> DecisionsListed:
            rows = bridge.list_decisions(profile)
            touched = [{"contact_id": c} for r in rows for c in r.contact_ids[:2]]
            return DecisionsListed(rows, contact_names(source, touched))

        self.start("decisions", "Listing decisions", work, show=False)

    def on_decisions_listed(self, message: DecisionsListed) -> None:
        self.finish("decisions")
        self.decisions = message.rows
        self.names = {**self.names, **message.names}
        if self.showing == "decisions":
            self.draw_decisions()

    def draw_decisions(self) -> None:
        """The decisions in force, one a row, newest first."""
        table = self.query_one("#plan-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns("decided", "status", "decision", "detail", "check", "contacts", "id")
        for r in self.decisions:
            names = [self.names.get(c) or c[:8] + "…" for c in r.contact_ids[:2]]
            more = len(r.contact_ids) - len(names)
            table.add_row(
                r.decided_at[:16].replace("T", " "),
                r.status,
                r.decision,
                cell(r.detail or "—"),
                r.check or "—",
                cell(", ".join(names) + (f" +{more}" if more > 0 else "") or "—"),
                r.finding_id,
            )
        if self.decisions:
            table.move_cursor(row=min(cursor, len(self.decisions) - 1))
        self.query_one("#plan-status", Label).update(
            f"{len(self.decisions)} decision(s) in force · u takes the highlighted one back · "
            "v shows the plan"
            if self.decisions
            else "No decisions yet · v shows the plan"
        )

    def action_undo(self) -> None:
        """Take back the highlighted decision (decisions view only)."""
        if self.showing != "decisions":
            self.notify("v lists the decisions; u takes one back there.", timeout=3)
            return
        table = self.query_one("#plan-table", DataTable)
        if not 0 <= table.cursor_row < len(self.decisions):
            return
        row = self.decisions[table.cursor_row]
        self.take_back([row.finding_id], f"{row.decision} on {row.check or row.finding_id}")

    def on_decisions_taken_back(self, message: DecisionsTakenBack) -> None:
        self.finish("decision")
        self.workbench.note_taken_back(message.restored)
        self.notify(taken_back_text(message.restored, message.label), timeout=3)
        self.refresh_data()

    def action_build(self) -> None:
        """Turn the saved decisions into a plan, in a worker."""
        profile = self.workbench.profile
        if profile is None or "apply" in self.running:
            return

        source = self.workbench.source

        def work(_p: ProgressFn, _c: CancelFn) -> PlanBuilt:
            plan, rows = bridge.build_plan(profile)
            return PlanBuilt(plan, rows, contact_names(source, rows))

        self.start("plan", "Building plan", work, show=False)

    def on_plan_built(self, message: PlanBuilt) -> None:
        self.finish("plan")
        self.plan, self.rows, self.names = message.plan, message.rows, message.names
        if self.showing == "plan":
            self.draw_plan()

    def draw_plan(self) -> None:
        """The plan's changes, field by field (those already in place are not shown)."""
        table = self.query_one("#plan-table", DataTable)
        table.clear(columns=True)
        actions = len(getattr(self.plan, "actions", []) or [])
        if self.plan is None:
            self.query_one("#plan-status", Label).update("Building the plan…")
            return
        if not self.rows:
            self.query_one("#plan-status", Label).update(
                "Nothing to apply: decide on findings in Duplicates, Calls or Attributes"
                " · v lists the decisions"
            )
            return
        names = self.names
        rows = [as_mapping(r) for r in self.rows]
        pending = [r for r in rows if r.get("before") != r.get("after")]
        in_place = len(rows) - len(pending)
        headers = [NICE.get(k, k) for k in rows[0]]
        grid: list[list[str]] = []
        for values in pending:
            if "contact_id" in values:
                cid = str(values["contact_id"])
                values["contact_id"] = names.get(cid) or cid[:8] + "…"
            if values.get("field") == "audiences":
                for side in ("before", "after"):
                    values[side] = with_names(values.get(side), names)
            grid.append([cell(v, width=None) for v in values.values()])
        # sized to content, shrunk to the screen; `gomoq plan show` prints every value whole
        widths = fit_widths(headers, grid, self.app.size.width - 5, minimum=8)
        for header, width in zip(headers, widths, strict=True):
            table.add_column(clip(header, width), width=width)
        for row in grid:
            table.add_row(*(clip(v, w) for v, w in zip(row, widths, strict=True)))
        status = f"{actions} action(s), {len(pending)} change(s) to make"
        if in_place:
            status += f" ({in_place} already in place, not shown)"
        if pending:
            status += " · A (shift+a) applies · Esc cancels an apply"
        else:
            status += " · nothing left to apply; undo from History (h)"
        status += " · v lists the decisions"
        self.query_one("#plan-status", Label).update(status)

    def on_job_failed(self, message: JobFailed) -> None:
        super().on_job_failed(message)
        if message.job == "plan":
            self.query_one("#plan-status", Label).update(message.text)

    def action_apply(self) -> None:
        """Confirm, then apply the plan through the API with live progress."""
        profile, plan = self.workbench.profile, self.plan
        if profile is None or plan is None or not self.rows or "apply" in self.running:
            self.notify("Nothing to apply yet.")
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return

            def work(progress: ProgressFn, should_cancel: CancelFn) -> RunFinished:
                return RunFinished(
                    "apply", bridge.apply_plan(profile, plan, progress, should_cancel)
                )

            self.start("apply", "Applying", work, exclusive=False)

        count = len(getattr(plan, "actions", []) or [])
        changes = bridge.count_changes(plan)
        question = (
            f"Apply {changes} change{'' if changes == 1 else 's'} ({count} action"
            f"{'' if count == 1 else 's'} of the plan) to the organisation of profile "
            f"{profile.name} "
            f"({profile.base_url})?\n\nEvery step is journaled: Esc stops at a safe point, "
            "and the run can be undone later from History (h)."
        )
        self.app.push_screen(Confirm(question, "Apply"), confirmed)

    def on_run_finished(self, message: RunFinished) -> None:
        self.finish(message.job)
        self.results.append(message.result)
        self.query_one("#plan-result-body", Static).update(run_summary(message.result))
        self.notify("Apply finished: see the result below; undo it from History (h).")
        self.workbench.reload()
