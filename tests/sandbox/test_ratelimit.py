"""The per-key token bucket and its headers."""

from __future__ import annotations

import httpx

from gomoq.sandbox.app import SandboxApp
from gomoq.sandbox.ratelimit import RateLimiter
from tests.sandbox.conftest import KEY, assert_error


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_refills_at_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    decisions = [limiter.take("k", 10) for _ in range(11)]
    assert all(d.allowed for d in decisions[:10])
    assert decisions[9].remaining == 0
    refused = decisions[10]
    assert not refused.allowed and refused.retry_after_s == 1
    assert refused.headers()["Retry-After"] == "1"
    assert refused.headers()["X-RateLimit-Limit"] == "10"
    clock.now += 0.25  # 2.5 tokens back
    assert [limiter.take("k", 10).allowed for _ in range(3)] == [True, True, False]
    assert limiter.take("other", 10).allowed  # buckets are per key
    clock.now += 60
    full = limiter.take("k", 10)
    assert full.remaining == 9 and full.reset_s == 1


def test_slow_rate_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert limiter.take("k", 0.2).allowed
    refused = limiter.take("k", 0.2)
    assert not refused.allowed and refused.retry_after_s == 5


async def test_429_with_headers_on_every_api_answer(app: SandboxApp) -> None:
    app.sandbox.settings.rate_limit = 3
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://s", headers={"X-API-Key": KEY}
    ) as c:
        answers = [await c.get("/api/contact") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        for a in answers:
            assert a.headers["x-ratelimit-limit"] == "3"
            assert int(a.headers["x-ratelimit-reset"]) >= 0
        body = assert_error(answers[3], 429, "RATE_LIMIT_EXCEEDED")
        assert body["message"]
        assert answers[3].headers["retry-after"] == "1"
        not_found = await c.get("/api/contact/5b0f6a8e-1c7e-4a8e-9a53-00000000abcd")
        assert "x-ratelimit-limit" in not_found.headers
        # The admin endpoint is never limited.
        assert (await c.get("/_admin/faults")).status_code == 200
        app.sandbox.settings.rate_limit = 0
        free = await c.get("/api/contact")
        assert free.status_code == 200 and "x-ratelimit-limit" not in free.headers
