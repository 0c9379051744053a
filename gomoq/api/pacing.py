"""Pacing below the rate limit, adapting to the server's `X-RateLimit-*` headers.

The steady rate comes from `aiolimiter.AsyncLimiter` with a bucket of one request, so requests
are spaced `1/rate` apart with no initial burst: a burst of `rate` requests followed by the
steady rate would exceed a server's one-second sliding window and draw 429s.

When a response's `X-RateLimit-Limit` is below our rate, the pacer slows to it (read as
requests per second, the sandbox's unit and the old guide's "10 requests per second"; a limit
per longer window can only be larger, so it never speeds us up).

On top of it a "gate" holds every request back until a time the server asked for: after a 429
(`Retry-After`, else `X-RateLimit-Reset`), or when `X-RateLimit-Remaining` reaches 0 (until
`X-RateLimit-Reset`); when Remaining is merely low (under 20 % of the limit: another client is
spending the same key's budget) each such answer holds the next request one extra interval.
Pauses are capped so a bogus header cannot stall a sync for hours.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Mapping

from aiolimiter import AsyncLimiter

log = logging.getLogger("gomoq.api")

MAX_PAUSE = 60.0  # seconds; longest pause a header can impose
LOW_REMAINING = 0.2  # share of X-RateLimit-Limit under which we slow down


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def parse_reset(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds until the window resets from `X-RateLimit-Reset`.

    Its format is undocumented (gomobile-api.md §2.3): small numbers are read as seconds from
    now, numbers that look like a Unix time (seconds or milliseconds) as a moment.
    """
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number != number or number < 0:
        return None
    wall = time.time() if now is None else now
    if number > 1e12:  # epoch milliseconds
        return max(0.0, number / 1000 - wall)
    if number > 1e9:  # epoch seconds
        return max(0.0, number - wall)
    return number


class Pacer:
    """Spaces requests at `rate` per second and honours pauses the server asks for."""

    def __init__(self, rate: float, *, max_pause: float = MAX_PAUSE) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.configured_rate = rate
        self.max_pause = max_pause
        self._limiter = AsyncLimiter(1, 1.0 / rate)
        self._paused_until = 0.0  # time.monotonic()

    @property
    def paused_for(self) -> float:
        """Seconds left in the current server-requested pause (0 when none)."""
        return max(0.0, self._paused_until - time.monotonic())

    async def acquire(self) -> None:
        """Wait for the pause (if any) and for the next slot at the steady rate."""
        while True:
            wait = self._paused_until - time.monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        await self._limiter.acquire()
        # A pause may have started while we waited for the limiter (another request's 429).
        wait = self._paused_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def pause(self, seconds: float, reason: str) -> None:
        """Hold every request back for `seconds` (capped), extending any current pause."""
        seconds = min(max(0.0, seconds), self.max_pause)
        until = time.monotonic() + seconds
        if until > self._paused_until:
            self._paused_until = until
            log.info("pausing requests for %.2f s: %s", seconds, reason)

    def slow_to(self, rate: float) -> None:
        """Lower the steady rate (never raises it above the configured one)."""
        rate = min(rate, self.configured_rate)
        if 0 < rate < self.rate:
            log.info("the server allows %.3g requests/s: slowing down from %.3g", rate, self.rate)
            self.rate = rate
            # Requests already waiting finish on the old limiter; new ones use the slower one.
            self._limiter = AsyncLimiter(1, 1.0 / rate)

    def observe(self, status: int, headers: Mapping[str, str]) -> float | None:
        """Adapt to a response's rate-limit headers; returns Retry-After seconds if given."""
        limit = _number(headers.get("x-ratelimit-limit"))
        if limit is not None:
            self.slow_to(limit)
        retry_after = parse_retry_after(headers.get("retry-after"))
        reset = parse_reset(headers.get("x-ratelimit-reset"))
        if status == 429:
            wait = retry_after if retry_after is not None else reset
            self.pause(wait if wait is not None else 1.0, "the server answered 429")
            return retry_after
        left = _number(headers.get("x-ratelimit-remaining"))
        if left is not None and left <= 0 and reset is not None:
            self.pause(reset, "X-RateLimit-Remaining reached 0")
        elif left is not None and limit and left <= max(1.0, LOW_REMAINING * limit):
            # Someone else is spending this key's budget too: skip a slot so it can refill.
            self.pause(1.0 / self.rate, "X-RateLimit-Remaining is low")
        if status == 503 and retry_after is not None:
            self.pause(retry_after, "the server answered 503 with Retry-After")
        return retry_after


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number else None  # NaN is no number
