"""Call histories for the generator, and the fast helpers it shares (ids, timestamps).

Times are integers of milliseconds since the epoch until they are written; `iso` renders them in
the API's format ("2025-01-15T10:30:00.000Z") with a per-day cache, which is several times faster
than `datetime.strftime` over millions of rows.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

# Outcome -> weight for an ordinary contact. `network_congestion` is the rare status the API may
# send that no client knows: clients must keep it, not drop the row.
STATUS_WEIGHTS: dict[str, float] = {
    "answered": 46.0,
    "no_answer": 20.0,
    "voicemail": 14.0,
    "busy": 8.0,
    "rejected": 5.0,
    "failed": 6.9,
    "network_congestion": 0.1,
}
UNANSWERED = ("no_answer", "voicemail", "busy", "rejected")
_POOL_BITS = 12


def _status_pool() -> tuple[str, ...]:
    """4096 statuses in proportion to STATUS_WEIGHTS: one getrandbits(12) draws a status."""
    size = 1 << _POOL_BITS
    total = sum(STATUS_WEIGHTS.values())
    pool: list[str] = []
    for status, weight in STATUS_WEIGHTS.items():
        pool.extend([status] * round(size * weight / total))
    pool = (pool + ["answered"] * size)[:size]  # rounding: top up with the commonest outcome
    return tuple(pool)


STATUS_POOL = _status_pool()


class Clock:
    """Formats epoch milliseconds as API timestamps, caching the date part per day."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def iso(self, ms: int) -> str:
        """'2025-01-15T10:30:00.000Z' for `ms` milliseconds since the epoch (UTC)."""
        day, rest = divmod(ms, DAY_MS)
        prefix = self._days.get(day)
        if prefix is None:
            date = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)
            prefix = date.strftime("%Y-%m-%dT")
            self._days[day] = prefix
        secs, milli = divmod(rest, 1000)
        mins, sec = divmod(secs, 60)
        hour, minute = divmod(mins, 60)
        return f"{prefix}{hour:02d}:{minute:02d}:{sec:02d}.{milli:03d}Z"


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng` (deterministic, unlike `uuid.uuid4`)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


CallRow = tuple[str, str, str, str, str, str, str, str | None, str, int]


def make_calls(
    rng: random.Random,
    clock: Clock,
    *,
    org_id: str,
    contact_id: str,
    phone: str,
    created_ms: int,
    now_ms: int,
    mode: str,
    inactive_days: int,
) -> tuple[list[CallRow], int | None]:
    """The call rows of one contact and the time of its last answered call (None if none).

    `mode` is "normal" (at least one answered call in the last `inactive_days`), "inactive" (no
    answered call in the last `inactive_days`), "always_failing" (3–8 calls, all `failed`) or
    "invalid" (1–2 `failed` attempts: the number cannot be dialled). Calls fall within the
    ~18 months before `now_ms`, after the contact's creation, in working hours.
    """
    start = max(created_ms + 60_000, now_ms - 540 * DAY_MS)
    if start >= now_ms:
        start = now_ms - 60_000
    recent = now_ms - inactive_days * DAY_MS
    if mode == "always_failing":
        n = rng.randrange(3, 9)
    elif mode == "invalid":
        n = rng.randrange(1, 3)
    else:
        n = rng.randrange(1, 11)
    times = sorted(_call_time(rng, start, now_ms) for _ in range(n))
    pool = STATUS_POOL
    if mode in ("always_failing", "invalid"):
        statuses = ["failed"] * n
    else:
        statuses = [pool[rng.getrandbits(_POOL_BITS)] for _ in range(n)]
        if mode == "inactive":
            for i, t in enumerate(times):
                if t >= recent and statuses[i] == "answered":
                    statuses[i] = UNANSWERED[rng.randrange(4)]
        else:
            if not any(
                s == "answered" and t >= recent for s, t in zip(statuses, times, strict=True)
            ):
                times[-1] = _call_time(rng, max(start, recent), now_ms)
                statuses[-1] = "answered"
        if n >= 3 and all(s == "failed" for s in statuses):  # only planted contacts always fail
            statuses[0] = "no_answer"
    rows: list[CallRow] = []
    last_answered: int | None = None
    for t, status in sorted(zip(times, statuses, strict=True)):
        answered_iso: str | None = None
        if status == "answered":
            answered = t + rng.randrange(4_000, 25_000)
            ended = answered + rng.randrange(8_000, 420_000)
            duration = ended - answered
            answered_iso = clock.iso(answered)
            last_answered = t if last_answered is None or t > last_answered else last_answered
        elif status == "voicemail":
            ended = t + rng.randrange(25_000, 60_000)
            duration = ended - t - 20_000
        elif status in ("no_answer",):
            ended = t + 30_000
            duration = 0
        else:
            ended = t + rng.randrange(1_000, 8_000)
            duration = 0
        direction = "inbound" if status == "answered" and rng.random() < 0.05 else "outbound"
        rows.append(
            (
                uuid4(rng),
                org_id,
                contact_id,
                phone,
                status,
                direction,
                clock.iso(t),
                answered_iso,
                clock.iso(ended),
                duration,
            )
        )
    return rows, last_answered


def _call_time(rng: random.Random, start: int, end: int) -> int:
    """A time in [start, end), on a working hour (08:00–19:00 UTC) when the window allows."""
    t = rng.randrange(start, end)
    day = t - t % DAY_MS
    t2 = day + 8 * HOUR_MS + rng.randrange(11 * HOUR_MS)
    return t2 if start <= t2 < end else t
