"""Per-API-key token bucket and the headers it puts on every `/api` answer.

INFERRED choices (the docs name the headers but not their formats, gomobile-api.md §2.3):
burst = one second's worth of requests; `X-RateLimit-Limit` = requests per second;
`X-RateLimit-Remaining` = whole tokens left; `X-RateLimit-Reset` = seconds (integer, rounded up)
until the bucket is full again; `Retry-After` on a 429 = seconds (integer, at least 1) until the
next request would be accepted.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Decision:
    """The bucket's answer for one request."""

    allowed: bool
    limit: float
    remaining: int
    reset_s: int
    retry_after_s: int

    def headers(self) -> dict[str, str]:
        """The `X-RateLimit-*` headers (and `Retry-After` when refused)."""
        limit = int(self.limit) if float(self.limit).is_integer() else self.limit
        out = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_s),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after_s)
        return out


class RateLimiter:
    """Token buckets keyed by API key; `rate` is read at each call so it can change at run time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)
        self._lock = threading.Lock()

    def take(self, key: str, rate: float) -> Decision:
        """Try to spend one token of `key`'s bucket at `rate` tokens per second."""
        capacity = max(rate, 1.0)
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
        reset = math.ceil((capacity - tokens) / rate) if tokens < capacity else 0
        retry = 0 if allowed else max(1, math.ceil((1.0 - tokens) / rate))
        return Decision(allowed, rate, int(tokens), reset, retry)

    def reset(self) -> None:
        """Forget every bucket (the admin endpoint does this when the rate changes)."""
        with self._lock:
            self._buckets.clear()
