"""Typed messages: the only way workers report back to the UI (style habit 2).

Past-tense names for results, `JobFailed` for any worker failure, `JobProgress` for progress
(coalesced with `can_replace` so a flood of events costs one repaint).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from textual.message import Message

from gomoq.tui.data import (
    CheckCard,
    Cluster,
    ClusterView,
    ContactDetail,
    ContactIndex,
    TableSource,
)


class JobProgress(Message):
    """A long job moved on: `done` of `total` `unit`s in `task`."""

    def __init__(
        self, job: str, task: str, done: int, total: int | None, message: str | None
    ) -> None:
        super().__init__()
        self.job = job
        self.task = task
        self.done = done
        self.total = total
        self.text = message

    def can_replace(self, message: Message) -> bool:
        """Only the latest progress of the same job matters."""
        return isinstance(message, JobProgress) and message.job == self.job


class JobFailed(Message):
    """A worker failed; `text` says why and what to do."""

    def __init__(self, job: str, text: str, error: BaseException) -> None:
        super().__init__()
        self.job = job
        self.text = text
        self.error = error


class SnapshotLoaded(Message):
    """The cache snapshot is open (or absent: `source` None, `problem` says why)."""

    def __init__(self, source: TableSource | None, problem: str | None) -> None:
        super().__init__()
        self.source = source
        self.problem = problem


class ChecksFinished(Message):
    """The checks ran over the snapshot."""

    def __init__(
        self, findings: pl.DataFrame, problem: str | None = None, summary: Any = None
    ) -> None:
        super().__init__()
        self.findings = findings
        self.problem = problem
        self.summary = summary


class SyncFinished(Message):
    """A sync ended well; `result` is the services' `SyncResult`."""

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class OverviewComputed(Message):
    """The Overview's cards, call outcomes and trend are ready."""

    def __init__(self, cards: list[CheckCard], outcomes: dict[str, int], trend: list[int]) -> None:
        super().__init__()
        self.cards = cards
        self.outcomes = outcomes
        self.trend = trend


class ContactsIndexed(Message):
    """The contacts list is loaded and searchable."""

    def __init__(self, index: ContactIndex, seconds: float) -> None:
        super().__init__()
        self.index = index
        self.seconds = seconds


class ContactsSearched(Message):
    """A search finished: `frame` holds the matching rows."""

    def __init__(
        self,
        query: str,
        frame: pl.DataFrame | None,
        backend: Any,
        seconds: float,
        error: Exception | None = None,
    ) -> None:
        super().__init__()
        self.query = query
        self.frame = frame
        self.error = error
        """The filter's `FilterError` when it does not parse (then `frame` is None)."""
        self.backend = backend
        """The table's Arrow backend, built in the worker so the event loop only mounts it."""
        self.seconds = seconds


class ContactDetailLoaded(Message):
    """The detail of the highlighted contact is ready."""

    def __init__(self, detail: ContactDetail | None) -> None:
        super().__init__()
        self.detail = detail


class ClusterLoaded(Message):
    """A duplicate cluster's members are ready to compare."""

    def __init__(self, cluster: Cluster, view: ClusterView) -> None:
        super().__init__()
        self.cluster = cluster
        self.view = view


class DecisionRecorded(Message):
    """Decisions were saved for these findings (`decision` None: undone)."""

    def __init__(self, finding_ids: list[str], decision: str | None, label: str) -> None:
        super().__init__()
        self.finding_ids = finding_ids
        self.decision = decision
        self.label = label


class DecisionsTakenBack(Message):
    """Decisions were taken back: finding id -> the decision now in force (None: open)."""

    def __init__(self, restored: dict[str, str | None], label: str) -> None:
        super().__init__()
        self.restored = restored
        self.label = label


class DecisionsListed(Message):
    """The decisions in force (`gomoq.services.decisions.DecisionRow`), newest first."""

    def __init__(self, rows: list[Any], names: dict[str, str] | None = None) -> None:
        super().__init__()
        self.rows = rows
        self.names = names or {}
        """contact id -> name, for the contacts the decisions are about."""


class TableReady(Message):
    """A screen's list (call failures, attribute groups) is computed."""

    def __init__(self, name: str, frame: pl.DataFrame, extra: Any = None) -> None:
        super().__init__()
        self.name = name
        self.frame = frame
        self.extra = extra


class PlanBuilt(Message):
    """The plan of pending decisions and its description are ready."""

    def __init__(self, plan: Any, rows: list[Any], names: dict[str, str] | None = None) -> None:
        super().__init__()
        self.plan = plan
        self.rows = rows
        self.names = names or {}
        """contact id -> name, for the contacts the plan touches."""


class RunFinished(Message):
    """Apply or undo ended; `result` is the services' `RunResult`."""

    def __init__(self, job: str, result: Any) -> None:
        super().__init__()
        self.job = job
        self.result = result


class HistoryLoaded(Message):
    """The applied runs are listed."""

    def __init__(self, runs: list[Any]) -> None:
        super().__init__()
        self.runs = runs


class Exported(Message):
    """An export finished: `result` is the services' `ExportResult`."""

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class AudiencesLoaded(Message):
    """The Audiences screen's rows (`gomoq.tui.data.audiences.AudienceRow`) and the selection
    they were computed with (kept to preview names and build plans)."""

    def __init__(self, selection: Any, rows: list[Any]) -> None:
        super().__init__()
        self.selection = selection
        self.rows = rows
