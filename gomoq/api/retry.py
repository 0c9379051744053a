"""When to retry a request, and how long to wait (style habit 7; openai-python's policy).

Idempotent requests (GET, and PUT/PATCH/DELETE on an id) are retried on timeouts, dropped
connections, 429 and 5xx. A POST (create, upsert, add/remove-contacts, export) is never re-sent
after a timeout, a dropped connection or a 5xx: the API has no idempotency key, so the first
attempt may have been carried out and a retry could create a second contact. A POST *is*
retried only when the server certainly did not process it:
- a connection that could not be opened (nothing was sent);
- 429: a rate limiter rejects a request before any processing (gomobile-api.md §2.3; the
  sandbox checks the limit before the route runs).
A 503, even with `Retry-After`, is not retried for a POST: nothing in the API promises that the
backend did not act before a proxy or the app answered 503, and a duplicate contact is worse
than an error the caller can handle by reading the state back (`outcome_unknown`).

Above the client, a layer decides only *whether an operation may be repeated* (a sync may read
a garbled page again; an apply may re-send a step once it has checked that the step did not
land; an upsert by stored phone has the same effect twice). How many times and how long to wait
is this module's: `attempts()` yields the tries of such an operation, `repeat()` runs one.
Each try is itself one client request with the client's own retries, so `repeat` is kept for
what the client cannot retry (a garbled body, a POST whose outcome is unknown).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("gomoq.api")

BASE_DELAY = 0.5  # seconds, first backoff
MAX_DELAY = 8.0  # seconds, cap of the exponential backoff
RETRY_AFTER_CAP = 60.0  # seconds; a longer Retry-After is treated as "give up"

# Operations repeated above the client (see the module docstring).
OPERATION_ATTEMPTS = 4
STEP_BASE_DELAY = (
    0.2  # apply: a step (checked on the server first) is re-sent after 0.2, 0.4, 0.8 s
)
READ_BASE_DELAY = 1.0  # sync: a garbled page, a calls export, read again after 1, 2, 4 s

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


def is_idempotent(method: str) -> bool:
    """Whether repeating the request cannot do harm (PUT/PATCH/DELETE are always on an id here)."""
    return method.upper() in IDEMPOTENT_METHODS


def should_retry_status(method: str, status: int) -> bool:
    """Whether an error status is worth another attempt for this method."""
    if status == 429:
        return True
    if status >= 500:
        return is_idempotent(method)
    return False


def backoff_delay(
    attempt: int,
    retry_after: float | None = None,
    *,
    base: float = BASE_DELAY,
    cap: float = MAX_DELAY,
    retry_after_cap: float = RETRY_AFTER_CAP,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry).

    `Retry-After` wins when present and within `retry_after_cap` (a longer one is capped);
    otherwise exponential backoff capped at `cap`, with up to 25 % jitter so that many
    concurrent requests do not come back in lockstep.
    """
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, retry_after_cap)
    draw: float = (rng or random).random()
    delay = min(cap, base * 2.0 ** min(attempt, 30))
    return delay * (1 - 0.25 * draw)


async def attempts(
    count: int = OPERATION_ATTEMPTS, *, base: float | None = None
) -> AsyncIterator[int]:
    """The tries of an operation the caller may repeat: 0, 1, ... `count - 1`, with a backoff
    pause (`backoff_delay` from `base`, default `STEP_BASE_DELAY`) before every try but the
    first. Break out when one succeeds."""
    for attempt in range(count):
        if attempt:
            first = STEP_BASE_DELAY if base is None else base
            await asyncio.sleep(backoff_delay(attempt - 1, base=first))
        yield attempt


async def repeat(
    call: Callable[[], Awaitable[T]],
    retry_on: tuple[type[BaseException], ...],
    *,
    count: int = OPERATION_ATTEMPTS,
    base: float | None = None,
) -> T:
    """`call()`, tried up to `count` times while it raises one of `retry_on` (the caller has
    decided the operation may be repeated), pausing from `base` (default `READ_BASE_DELAY`);
    the last error is raised as itself."""
    async for attempt in attempts(count, base=READ_BASE_DELAY if base is None else base):
        try:
            return await call()
        except retry_on as exc:
            if attempt + 1 >= count:
                raise
            log.info("%s Trying again.", exc)
    raise AssertionError("unreachable: count >= 1")
