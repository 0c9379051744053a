"""Plan & apply: the pending decisions as a plan, field by field; apply with live progress."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from gomoq.progress import CancelFn, ProgressFn
from gomoq.tui import bridge
from gomoq.tui.data import TableSource
from gomoq.tui.dialogs.ask import Confirm
from gomoq.tui.messages import JobFailed, PlanBuilt, RunFinished
from gomoq.tui.screens.base import WorkbenchScreen


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


def cell(value: Any) -> str:
    """A value short enough for a table cell (cut at `CELL_WIDTH` with an ellipsis)."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        text = ", ".join(f"{k} {v}" for k, v in value.items()) or "—"
    elif isinstance(value, list | tuple | set):
        text = f"{len(value)} item(s)" if len(value) > 3 else ", ".join(map(str, value))
    else:
        text = str(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


NICE = {"action_id": "action", "contact_id": "contact"}


def contact_names(source: TableSource | None, rows: list[Any]) -> dict[str, str]:
    """Names of the contacts a plan touches, from the snapshot (ids stay when unknown)."""
    ids = sorted({str(as_mapping(r).get("contact_id")) for r in rows})
    if source is None or not ids:
        return {}
    frame = (
        source.scan("contacts")
        .filter(pl.col("id").is_in(ids))
        .select("id", pl.coalesce("full_name", "primary_phone").alias("name"))
        .collect()
    )
    return {str(i): str(n) for i, n in frame.iter_rows() if n}


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
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan: Any = None
        self.rows: list[Any] = []
        self.results: list[Any] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="plan"):
            yield Label("Building the plan…", id="plan-status")
            yield DataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="plan-result"):
                yield Static("", id="plan-result-body")

    def on_screen_resume(self) -> None:
        self.action_build()

    def refresh_data(self) -> None:
        self.action_build()

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
        self.plan, self.rows = message.plan, message.rows
        table = self.query_one("#plan-table", DataTable)
        table.clear(columns=True)
        actions = len(getattr(message.plan, "actions", []) or [])
        if not message.rows:
            self.query_one("#plan-status", Label).update(
                "Nothing to apply: decide on findings in Duplicates, Call failures or Attributes."
            )
            return
        names = message.names
        rows = [as_mapping(r) for r in message.rows]
        pending = [r for r in rows if r.get("before") != r.get("after")]
        in_place = len(rows) - len(pending)
        table.add_columns(*(NICE.get(k, k) for k in rows[0]))
        for values in pending:
            if "contact_id" in values:
                cid = str(values["contact_id"])
                values["contact_id"] = names.get(cid) or cid[:8] + "…"
            table.add_row(*(cell(v) for v in values.values()))
        status = f"{actions} action(s), {len(pending)} change(s) to make"
        if in_place:
            status += f" ({in_place} already in place, not shown)"
        if pending:
            status += " · A (shift+a) applies · Esc cancels an apply"
        else:
            status += " · nothing left to apply; undo from History (h)"
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
        question = (
            f"Apply {count} action(s) to the organisation of profile {profile.name} "
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
