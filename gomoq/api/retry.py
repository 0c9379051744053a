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
"""

from __future__ import annotations

import random

BASE_DELAY = 0.5  # seconds, first backoff
MAX_DELAY = 8.0  # seconds, cap of the exponential backoff
RETRY_AFTER_CAP = 60.0  # seconds; a longer Retry-After is treated as "give up"

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
