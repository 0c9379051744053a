"""Progress and cancellation callbacks shared by every long job (style habit 1).

Services take `progress: ProgressFn | None` and `should_cancel: CancelFn | None`. The CLI renders
events as a rich progress bar on stderr (`gomoq.cli.progress_bar`); the TUI turns them into
messages. Services never know which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gomoq.errors import Cancelled


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One step of a long job.

    `task` names the sub-job ("contacts", "calls", "apply"); `done`/`total` count `unit`s
    (`total` is None while unknown); `message` is an optional short status line.
    """

    task: str
    done: int
    total: int | None = None
    unit: str = "rows"
    message: str | None = None
    finished: bool = False


ProgressFn = Callable[[ProgressEvent], None]
CancelFn = Callable[[], bool]


def no_progress(_event: ProgressEvent) -> None:
    """The default progress sink: ignore every event."""


def check_cancel(should_cancel: CancelFn | None) -> None:
    """Raise `Cancelled` when the operator asked to stop; call between safe points only."""
    if should_cancel is not None and should_cancel():
        raise Cancelled("Cancelled by the operator; nothing was left half-done.")


def format_duration(seconds: float) -> str:
    """`42s`, `1m42s`, `2h05m`: short and exact enough for a progress line or a summary."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
