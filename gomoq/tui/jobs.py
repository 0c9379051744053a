"""Running blocking work in thread workers that report only through messages (style habits 2-3).

`start_job(node, job, fn)` runs `fn(progress, should_cancel)` in a thread worker with
`exit_on_error=False`. Progress events become `JobProgress` messages, the returned message (if any)
is posted to `node`, and any exception becomes a `JobFailed` message with words for the operator.
Cancelling the worker (or setting `cancel`) makes `should_cancel()` true at the service's next safe
point.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, get_current_worker

from gomoq.progress import CancelFn, ProgressEvent, ProgressFn
from gomoq.tui.bridge import explain
from gomoq.tui.messages import JobFailed, JobProgress

JobFn = Callable[[ProgressFn, CancelFn], Message | None]


def start_job(
    node: MessagePump,
    job: str,
    fn: JobFn,
    *,
    cancel: threading.Event | None = None,
    exclusive: bool = True,
) -> Worker[None]:
    """Start `fn` in a thread worker named and grouped `job` on `node`."""

    def body() -> None:
        worker = get_current_worker()

        def progress(event: ProgressEvent) -> None:
            node.post_message(JobProgress(job, event.task, event.done, event.total, event.message))

        def should_cancel() -> bool:
            return worker.is_cancelled or (cancel is not None and cancel.is_set())

        try:
            message = fn(progress, should_cancel)
        except BaseException as exc:  # every failure becomes words on screen, never a crash
            node.post_message(JobFailed(job, explain(exc), exc))
            return
        # A newer job of the same group cancelled this one: its answer is stale, drop it.
        if message is not None and not worker.is_cancelled:
            node.post_message(message)

    worker: Worker[None] = node.run_worker(  # type: ignore[attr-defined]
        body, name=job, group=job, thread=True, exclusive=exclusive, exit_on_error=False
    )
    return worker
