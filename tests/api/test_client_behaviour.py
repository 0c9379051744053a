"""Headers, update-method fallback, response shapes, pacing and concurrency of the client."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gomoq import __version__
from gomoq.api import GomobileClient, MalformedResponse, open_client
from gomoq.api.pages import fetch_all_pages, iter_rows
from gomoq.api.testing import in_process
from gomoq.config import Profile
from tests.api.helpers import KEY, make_client, page_body


async def test_default_headers_and_x_api_key() -> None:
    client, rec = make_client(lambda r: httpx.Response(200, json={"id": "u"}))
    async with client:
        await client.me()
    request = rec.requests[0]
    assert request.headers["user-agent"] == f"gomoq/{__version__}"
    assert request.headers["x-api-key"] == KEY
    assert "authorization" not in request.headers
    assert str(request.url) == "https://api.example.test/api/users/me"


async def test_bearer_scheme() -> None:
    client, rec = make_client(lambda r: httpx.Response(200, json={"id": "u"}), auth_scheme="bearer")
    async with client:
        await client.me()
    assert rec.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert "x-api-key" not in rec.requests[0].headers


async def test_ids_are_escaped_in_paths() -> None:
    client, rec = make_client(lambda r: httpx.Response(200, json={"id": "x"}))
    async with client:
        await client.get_contact("../users/me")
    assert rec.requests[0].url.raw_path == b"/api/contact/..%2Fusers%2Fme"


async def test_update_auto_falls_back_to_put_and_remembers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            return httpx.Response(405, json={"code": "METHOD_NOT_ALLOWED"})
        return httpx.Response(200, json={"id": "c1", "firstName": "Amine"})

    client, rec = make_client(handler)
    async with client:
        assert (await client.update_contact("c1", {"firstName": "Amine"}))["firstName"] == "Amine"
        await client.update_contact("c1", {"firstName": "Amine"})
    assert [r.method for r in rec.requests] == ["PATCH", "PUT", "PUT"]
    assert client.update_method == "put"


async def test_update_patch_is_remembered_and_wrapped_answer_unwrapped() -> None:
    client, rec = make_client(lambda r: httpx.Response(200, json={"contact": {"id": "c1"}}))
    async with client:
        assert await client.update_contact("c1", {"city": "Rabat"}) == {"id": "c1"}
    assert client.update_method == "patch"
    assert rec.requests[0].method == "PATCH"


async def test_update_method_put_never_tries_patch() -> None:
    client, rec = make_client(lambda r: httpx.Response(200, json={"id": "c1"}), update_method="put")
    async with client:
        await client.update_contact("c1", {"city": "Rabat"})
    assert [r.method for r in rec.requests] == ["PUT"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"id": "c9", "primaryPhone": "+212600000009"}, []),
        (
            {
                "contact": {"id": "c9", "primaryPhone": "+212600000009", "mood": "new-enum"},
                "attributeErrors": [{"name": "age", "reason": "not a number"}],
            },
            [{"name": "age", "reason": "not a number"}],
        ),
    ],
)
async def test_create_understands_both_shapes(body: dict[str, object], errors: object) -> None:
    client, rec = make_client(lambda r: httpx.Response(201, json=body))
    async with client:
        result = await client.create_contact({"primaryPhone": "+212600000009"})
    assert result.contact["id"] == "c9"
    assert result.attribute_errors == errors
    assert rec.requests[0].headers["content-type"] == "application/json"


async def test_create_without_id_is_malformed() -> None:
    client, _ = make_client(lambda r: httpx.Response(201, json={"contact": {"x": 1}}))
    async with client:
        with pytest.raises(MalformedResponse):
            await client.create_contact({"primaryPhone": "+212600000009"})


async def test_attribute_defs_list_or_envelope() -> None:
    defs = [{"id": "d1", "name": "age", "type": "number"}]
    for body in (defs, {"data": defs}):
        client, _ = make_client(lambda r, body=body: httpx.Response(200, json=body))
        async with client:
            assert await client.list_attribute_defs() == defs


async def test_download_export_sends_key_only_to_own_origin() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/calls/exports/e1"):
            return httpx.Response(200, json={"id": "e1", "url": "https://files.test/e1.csv"})
        return httpx.Response(200, text="id,status\nk1,answered\n")

    client, rec = make_client(handler)
    async with client:
        assert await client.download_calls_export("e1") == "id,status\nk1,answered\n"
    download = rec.requests[1]
    assert download.url.host == "files.test"
    assert "x-api-key" not in download.headers


async def test_pacing_keeps_requests_per_second_under_the_limit() -> None:
    rate = 20.0
    client, rec = make_client(lambda r: httpx.Response(200, json={"id": "x"}), rate_limit=rate)
    async with client:
        await asyncio.gather(*(client.get_contact(str(i)) for i in range(30)))
    times = rec.times
    span = times[-1] - times[0]
    assert span >= (len(times) - 1) / rate * 0.9
    # No one-second window holds more than `rate` requests (+1 for the closed interval).
    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t - start < 1.0)
        assert in_window <= rate + 1


async def test_concurrency_reaches_the_rate_when_requests_are_slow() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.3)
        return httpx.Response(200, json={"id": "x"})

    rate, n = 40.0, 40
    client, _ = make_client(slow, rate_limit=rate)
    started = time.monotonic()
    async with client:
        await asyncio.gather(*(client.get_contact(str(i)) for i in range(n)))
    elapsed = time.monotonic() - started
    # Sequentially this would take n * 0.3 = 12 s; paced and concurrent about n/rate + 0.3.
    assert elapsed < n / rate + 0.3 + 0.8
    assert elapsed >= (n - 1) / rate * 0.9


async def test_in_flight_requests_are_capped() -> None:
    live = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal live, peak
        live += 1
        peak = max(peak, live)
        await asyncio.sleep(0.05)
        live -= 1
        return httpx.Response(200, json={"id": "x"})

    client, _ = make_client(slow, max_in_flight=4)
    async with client:
        await asyncio.gather(*(client.get_contact(str(i)) for i in range(20)))
    assert peak == 4


async def test_remaining_zero_pauses_until_reset() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Reset": "0.4"}
        headers["X-RateLimit-Remaining"] = "0"
        return httpx.Response(200, json={"id": "x"}, headers=headers)

    client, rec = make_client(handler)
    async with client:
        await client.get_contact("a")
        await client.get_contact("b")
    assert rec.times[1] - rec.times[0] >= 0.38


async def test_a_429_pauses_every_concurrent_request() -> None:
    first = True

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal first
        if first:
            first = False
            return httpx.Response(429, headers={"Retry-After": "0.4"}, json={"code": "RATE"})
        return httpx.Response(200, json={"id": "x"})

    client, rec = make_client(handler, rate_limit=50.0)
    async with client:
        await asyncio.gather(*(client.get_contact(str(i)) for i in range(5)))
    # The first request arrived; after the 429 every later request waited ~0.4 s.
    assert rec.count == 6
    later = [t for t in rec.times[1:] if t - rec.times[0] < 0.35]
    assert len(later) <= 1  # at most one was already past the gate when the 429 came back


async def test_page_helpers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json=page_body([{"id": f"p{page}"}], page, 3))

    client, _ = make_client(handler)
    async with client:
        rows = [row["id"] async for row in iter_rows(lambda p: client.list_contacts(p))]
        pages = await fetch_all_pages(lambda p: client.list_audiences(p))
    assert rows == ["p1", "p2", "p3"]
    assert [p.meta.page for p in pages] == [1, 2, 3]


async def _me(request: Request) -> JSONResponse:
    return JSONResponse({"id": "u1", "seen_key": request.headers.get("x-api-key") == KEY})


async def test_in_process_routes_any_base_url_to_the_app() -> None:
    app = Starlette(routes=[Route("/api/users/me", _me)])
    profile = Profile(name="t", base_url="https://nowhere.invalid/api", api_key=KEY)
    with in_process(app):
        async with open_client(profile) as client:
            me = await client.me()
    assert me == {"id": "u1", "seen_key": True}
    # Outside the block a new client is a real network client again.
    async with GomobileClient("http://127.0.0.1:1/api", KEY, max_retries=0) as client:
        from gomoq.api import TransportError

        with pytest.raises(TransportError):
            await client.me()


async def test_open_client_takes_the_profile_settings() -> None:
    profile = Profile(
        name="t",
        base_url="https://x.invalid/api",
        api_key=KEY,
        rate_limit=4.0,
        auth_scheme="bearer",
        update_method="put",
    )
    async with open_client(profile, max_retries=0) as client:
        assert client.pacer.rate == 4.0
        assert client.update_method == "put"
        assert client.max_retries == 0
        assert client.base_url == "https://x.invalid/api"
