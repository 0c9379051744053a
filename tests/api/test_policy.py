"""The pure parts of the retry and pacing policy."""

from __future__ import annotations

import random
import time

import pytest

from gomoq.api.pacing import Pacer, parse_reset, parse_retry_after
from gomoq.api.retry import backoff_delay, is_idempotent, should_retry_status


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(n, base=0.5, cap=8.0, rng=rng) for n in range(8)]
    assert all(
        0.75 * min(8.0, 0.5 * 2**n) <= d <= min(8.0, 0.5 * 2**n) for n, d in enumerate(delays)
    )
    assert max(delays) <= 8.0
    assert len({round(d, 6) for d in delays[-3:]}) > 1  # jitter: capped delays still differ


def test_retry_after_wins_and_is_capped() -> None:
    assert backoff_delay(0, 2.5) == 2.5
    assert backoff_delay(5, 0.0) == 0.0
    assert backoff_delay(0, 500.0, retry_after_cap=60.0) == 60.0


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [
        ("GET", 500, True),
        ("GET", 503, True),
        ("DELETE", 502, True),
        ("PUT", 504, True),
        ("PATCH", 429, True),
        ("GET", 404, False),
        ("GET", 400, False),
        ("POST", 429, True),
        ("POST", 503, False),
        ("POST", 503, False),
        ("POST", 500, False),
        ("POST", 502, False),
        ("POST", 409, False),
    ],
)
def test_which_statuses_are_retried(method: str, status: int, expected: bool) -> None:
    assert should_retry_status(method, status) is expected


def test_idempotent_methods() -> None:
    assert is_idempotent("get") and is_idempotent("PUT") and is_idempotent("DELETE")
    assert not is_idempotent("POST")


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-4") == 0.0
    http_date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert parse_retry_after(http_date, now=1445412480 - 10) == pytest.approx(10.0)


def test_parse_reset_seconds_or_epoch() -> None:
    now = 1_800_000_000.0
    assert parse_reset("2", now=now) == 2.0
    assert parse_reset(str(now + 5), now=now) == pytest.approx(5.0)
    assert parse_reset(str((now + 5) * 1000), now=now) == pytest.approx(5.0)
    assert parse_reset(str(now - 5), now=now) == 0.0
    assert parse_reset("x") is None
    assert parse_reset(None) is None


async def test_pacer_pause_is_capped() -> None:
    pacer = Pacer(100.0, max_pause=0.2)
    pacer.pause(3600, "test")
    assert pacer.paused_for <= 0.2
    started = time.monotonic()
    await pacer.acquire()
    assert 0.15 <= time.monotonic() - started < 1.0


async def test_pacer_observes_headers() -> None:
    pacer = Pacer(100.0)
    assert pacer.observe(200, {"x-ratelimit-remaining": "5", "x-ratelimit-reset": "1"}) is None
    assert pacer.paused_for == 0
    pacer.observe(200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
    assert 0.9 < pacer.paused_for <= 1.0
    pacer2 = Pacer(100.0)
    assert pacer2.observe(429, {"retry-after": "2"}) == 2.0
    assert 1.9 < pacer2.paused_for <= 2.0


def test_pacer_rejects_zero_rate() -> None:
    with pytest.raises(ValueError):
        Pacer(0)


def test_pacer_slows_to_the_servers_limit_but_never_speeds_up() -> None:
    pacer = Pacer(10.0)
    pacer.observe(200, {"x-ratelimit-limit": "50"})
    assert pacer.rate == 10.0
    pacer.observe(200, {"x-ratelimit-limit": "4"})
    assert pacer.rate == 4.0
    pacer.observe(200, {"x-ratelimit-limit": "8"})
    assert pacer.rate == 4.0
    pacer.observe(200, {"x-ratelimit-limit": "lots"})
    pacer.observe(200, {"x-ratelimit-limit": "0"})
    assert pacer.rate == 4.0


def test_pacer_skips_a_slot_when_remaining_is_low() -> None:
    pacer = Pacer(10.0)
    pacer.observe(200, {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "5"})
    assert pacer.paused_for == 0
    pacer.observe(200, {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "2"})
    assert 0.05 < pacer.paused_for <= 0.1
