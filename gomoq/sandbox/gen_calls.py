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
_FAILURES = frozenset({"no_answer", "busy", "rejected", "failed"})
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


_TIME_OF_DAY = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))
_MILLIS = tuple(f".{m:03d}Z" for m in range(1000))
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


class Clock:
    """Formats epoch milliseconds as API timestamps from lookup tables (date part cached)."""

    def __init__(self) -> None:
        self.days: dict[int, str] = {}

    def prefix(self, day: int) -> str:
        """'2025-01-15T' for the `day`-th day since the epoch."""
        text = self.days.get(day)
        if text is None:
            date = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)
            text = self.days[day] = date.strftime("%Y-%m-%dT")
        return text

    def iso(self, ms: int) -> str:
        """'2025-01-15T10:30:00.000Z' for `ms` milliseconds since the epoch (UTC)."""
        day, rest = divmod(ms, DAY_MS)
        prefix = self.days.get(day) or self.prefix(day)
        return prefix + _TIME_OF_DAY[rest // 1000] + _MILLIS[rest % 1000]


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng` (deterministic, unlike `uuid.uuid4`)."""
    h = rng.randbytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def uuid7(ms: int, rng: random.Random) -> str:
    """A version-7 UUID (time-ordered: `ms` in the first 48 bits, then random bits).

    Ids that grow with insertion order keep SQLite's unique index appends cheap: random v4 ids
    double the cost of a bulk load.
    """
    h = rng.randbytes(10).hex()
    return f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{h[:3]}-{_VARIANT[h[3]]}{h[4:7]}-{h[8:20]}"


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
    id_ms: int,
) -> tuple[list[CallRow], int | None]:
    """The call rows of one contact and the time of its last answered call (None if none).

    `mode` is "normal" (at least one answered call in the last `inactive_days`), "inactive" (no
    answered call in the last `inactive_days`), "always_failing" (3–8 calls, all `failed`) or
    "invalid" (1–2 `failed` attempts: the number cannot be dialled). Calls fall within the
    ~18 months before `now_ms`, after the contact's creation, mostly in working hours.

    Call ids are UUIDv7 whose time field is `id_ms + j` for the j-th call (the caller advances
    `id_ms` by the number of calls), so they grow with insertion order; the random part is drawn
    once per contact. This runs ~5.5 million times for a 1M-contact org: integers come from
    `random()` products, cheaper than `randrange`.
    """
    rand = rng.random
    start = max(created_ms + 60_000, now_ms - 540 * DAY_MS)
    if start >= now_ms:
        start = now_ms - 60_000
    span = now_ms - start
    recent = now_ms - inactive_days * DAY_MS
    if mode == "always_failing":
        n = 3 + int(rand() * 6)
    elif mode == "invalid":
        n = 1 + int(rand() * 2)
    else:
        n = 1 + int(rand() * 10)
    times = sorted([_call_time(start + int(rand() * span), start, now_ms) for _ in range(n)])
    if mode in ("always_failing", "invalid"):
        statuses = ["failed"] * n
    else:
        bits = rng.getrandbits
        statuses = [STATUS_POOL[bits(_POOL_BITS)] for _ in range(n)]
        if mode == "inactive":
            for i, t in enumerate(times):
                if t >= recent and statuses[i] == "answered":
                    statuses[i] = UNANSWERED[int(rand() * 4)]
        elif not any(s == "answered" and t >= recent for s, t in zip(statuses, times, strict=True)):
            low = max(start, recent)
            times[-1] = _call_time(low + int(rand() * (now_ms - low)), low, now_ms)
            statuses[-1] = "answered"
            if n > 1 and times[-1] < times[-2]:  # keep time order
                pairs = sorted(zip(times, statuses, strict=True))
                times = [t for t, _ in pairs]
                statuses = [s for _, s in pairs]
        # Only planted contacts may fail every attempt: an unplanted one whose attempts all came
        # back as failures (no_answer, busy, rejected, failed — the checks' default failure set)
        # gets one voicemail, which is neither a failure nor an answer, so inactivity holds.
        if n >= 3 and all(s in _FAILURES for s in statuses):
            statuses[0] = "voicemail"
    tail = uuid7(0, rng)[14:]
    iso, days, tod, millis = clock.iso, clock.days, _TIME_OF_DAY, _MILLIS
    rows: list[CallRow] = []
    last_answered: int | None = None
    for j in range(n):
        t = times[j]
        status = statuses[j]
        # the three times of a call share their day but at midnight: format from the tables
        day, rest = divmod(t, DAY_MS)
        prefix = days.get(day) or clock.prefix(day)
        answered_iso: str | None = None
        direction = "outbound"
        if status == "answered":
            answered = t + 4_000 + int(rand() * 21_000)
            duration = 8_000 + int(rand() * rand() * 600_000)
            ended = answered + duration
            a = rest + answered - t
            answered_iso = (
                prefix + tod[a // 1000] + millis[a % 1000] if a < DAY_MS else iso(answered)
            )
            last_answered = t
            if duration % 20 == 0:  # 5 %: the contact called back
                direction = "inbound"
        elif status == "voicemail":
            duration = 5_000 + int(rand() * 35_000)
            ended = t + 20_000 + duration
        elif status == "no_answer":
            ended = t + 30_000
            duration = 0
        else:
            ended = t + 1_000 + int(rand() * 7_000)
            duration = 0
        e = rest + ended - t
        rows.append(
            (
                f"{(id_ms + j) >> 16:08x}-{(id_ms + j) & 0xFFFF:04x}-{tail}",
                org_id,
                contact_id,
                phone,
                status,
                direction,
                prefix + tod[rest // 1000] + millis[rest % 1000],
                answered_iso,
                prefix + tod[e // 1000] + millis[e % 1000] if e < DAY_MS else iso(ended),
                duration,
            )
        )
    return rows, last_answered


def _call_time(t: int, start: int, end: int) -> int:
    """`t` moved into working hours (08:00–19:00 UTC) of its day when that stays in the window."""
    rest = t % DAY_MS
    t2 = t - rest + 8 * HOUR_MS + rest * 11 // 24
    return t2 if start <= t2 < end else t


INACTIVE_DAYS = 120
MAX_CALLS = 10  # per contact: the id time field of chunk k starts at k * chunk size * MAX_CALLS

# (contact id, phone as stored, creation time in ms, call mode): what a contact's calls need.
CallSpec = tuple[str, str, int, str]


def calls_for_chunk(
    seed: int, chunk: int, chunk_size: int, org_id: str, specs: list[CallSpec], now_ms: int
) -> tuple[list[CallRow], list[str]]:
    """The calls of one chunk of contacts, and the ids of those with no recent answered call.

    Each chunk draws from its own generator seeded by (seed, chunk), so the calls are the same
    whether chunks are built in this process or in a worker process.
    """
    rng = random.Random(f"gomoq-calls:{seed}:{chunk}")
    clock = Clock()
    id_ms = now_ms + chunk * chunk_size * MAX_CALLS
    limit = now_ms - INACTIVE_DAYS * DAY_MS
    rows: list[CallRow] = []
    inactive: list[str] = []
    for contact_id, phone, created_ms, mode in specs:
        calls, last_answered = make_calls(
            rng,
            clock,
            org_id=org_id,
            contact_id=contact_id,
            phone=phone,
            created_ms=created_ms,
            now_ms=now_ms,
            mode=mode,
            inactive_days=INACTIVE_DAYS,
            id_ms=id_ms,
        )
        id_ms += len(calls)
        rows.extend(calls)
        if last_answered is None or last_answered < limit:
            inactive.append(contact_id)
    return rows, inactive
