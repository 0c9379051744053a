"""Progress on stderr for every long CLI command, fed by `gomoq.progress.ProgressEvent`s.

Usage::

    with progress_bar("Syncing", quiet=quiet) as progress:
        services.sync(profile, progress=progress)

On a terminal: one rich bar per task (`event.task`) with count, rate and ETA. When stderr is not
a terminal (cron, CI, a pipe): a plain line per task at most every `interval` seconds, plus one
when a task finishes, so logs show that the job is alive without drowning in redraws. `quiet`
silences both. Nothing is ever written to stdout, which carries data.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from gomoq.progress import ProgressEvent, ProgressFn, format_duration

__all__ = ["PlainReporter", "progress_bar"]


FEW_ITEMS = 20


class RateColumn(ProgressColumn):
    """Items per second with the task's unit (`981 rows/s`); rich's own speed column is bytes.

    Nothing for a task announced with at most `FEW_ITEMS` items (the five checks): a rate of
    "3 checks/s" says nothing an operator can use."""

    def render(self, task: Task) -> Text:
        if not task.fields.get("show_rate", True):
            return Text("")
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "rows")
        if speed is None:
            return Text(f"– {unit}/s", style="progress.data.speed")
        return Text(f"{speed:,.0f} {unit}/s", style="progress.data.speed")


@dataclass
class _PlainTask:
    started: float
    last_print: float = 0.0
    done: int = 0
    total: int | None = None
    unit: str = "rows"
    finished: bool = False
    message: str | None = None


def _label(description: str | None, task: str) -> str:
    """`Syncing: contacts`; the task alone when it repeats the description (not `apply: apply`)."""
    if not description or description.strip().lower() == task.strip().lower():
        return task
    return f"{description}: {task}"


@dataclass
class PlainReporter:
    """The non-terminal renderer: one line per task every `interval` seconds and at its end."""

    stream: IO[str]
    label: str | None = None
    interval: float = 5.0
    clock: Callable[[], float] = time.monotonic
    tasks: dict[str, _PlainTask] = field(default_factory=dict)

    def __call__(self, event: ProgressEvent) -> None:
        now = self.clock()
        state = self.tasks.get(event.task)
        if state is None:
            state = self.tasks[event.task] = _PlainTask(started=now, last_print=now)
        if state.finished:
            return
        state.done, state.total, state.unit = event.done, event.total, event.unit
        state.message = event.message
        if event.finished:
            state.finished = True
            self._line(event.task, state, now)
        elif now - state.last_print >= self.interval:
            self._line(event.task, state, now)

    def _line(self, name: str, state: _PlainTask, now: float) -> None:
        state.last_print = now
        elapsed = now - state.started
        rate = state.done / elapsed if elapsed > 0 else 0.0
        count = f"{state.done:,}" if state.total is None else f"{state.done:,}/{state.total:,}"
        parts = [f"{count} {state.unit}", f"{rate:,.0f} {state.unit}/s"]
        if state.finished:
            parts.append(f"done in {format_duration(elapsed)}")
        elif state.total is not None and rate > 0 and state.total > state.done:
            parts.append(f"ETA {format_duration((state.total - state.done) / rate)}")
        if state.message:
            parts.append(state.message)
        prefix = _label(self.label, name)
        self.stream.write(f"{prefix}: {', '.join(parts)}\n")
        self.stream.flush()


@contextmanager
def progress_bar(
    description: str | None = None,
    *,
    quiet: bool = False,
    stream: IO[str] | None = None,
    force_terminal: bool | None = None,
    interval: float = 5.0,
) -> Iterator[ProgressFn]:
    """A `ProgressFn` rendering events on stderr for the duration of the `with` block.

    `description` prefixes each task's name ("Syncing: contacts"). `quiet` gives a sink that
    ignores everything. `stream` and `force_terminal` exist for tests; by default the choice
    between rich bars and plain lines follows whether stderr is a terminal.
    """
    if quiet:
        yield _ignore
        return
    out = stream if stream is not None else sys.stderr
    terminal = force_terminal if force_terminal is not None else out.isatty()
    if not terminal:
        yield PlainReporter(out, description, interval)
        return
    bars: dict[str, TaskID] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
        console=Console(file=out, force_terminal=True),
        transient=False,
    ) as progress:

        def update(event: ProgressEvent) -> None:
            task = bars.get(event.task)
            if task is None:
                label = _label(description, event.task)
                few = event.total is not None and event.total <= FEW_ITEMS
                task = bars[event.task] = progress.add_task(
                    label, total=event.total, note="", unit=event.unit, show_rate=not few
                )
            total = event.total
            if event.finished and total is None:
                total = event.done  # a finished count-only task shows a full bar
            progress.update(
                task, completed=event.done, total=total, note=event.message or "", unit=event.unit
            )
            if event.finished:
                progress.stop_task(task)

        yield update


def _ignore(_event: ProgressEvent) -> None:
    """The quiet sink."""
