"""Error mapping, retries and redaction of `GomobileClient`, against a scripted fake server."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import httpx
import pytest

from gomoq.api import (
    BadRequest,
    Conflict,
    Forbidden,
    GomobileClient,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
)
from gomoq.api.errors import ApiError
from tests.api.helpers import BASE, KEY, error_body, make_client, page_body


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "UNAUTHORIZED", Unauthorized),
        (403, "FORBIDDEN", Forbidden),
        (404, "NOT_FOUND", NotFound),
        (409, "CONFLICT", Conflict),
    ],
)
async def test_status_maps_to_error_class(status: int, code: str, cls: type[ApiError]) -> None:
    client, rec = make_client(lambda r: httpx.Response(status, json=error_body(status, code)))
    async with client:
        with pytest.raises(cls) as info:
            await client.get_contact("c1")
    err = info.value
    assert err.status == status and err.code == code
    assert err.path == "/contact/c1" and err.method == "GET"
    assert rec.count == 1  # 4xx are never retried
    assert BASE in str(err) and str(err).endswith(".")
    assert KEY not in str(err)


async def test_401_sentence_names_the_url_and_the_fix() -> None:
    client, _ = make_client(lambda r: httpx.Response(401, json=error_body(401, "UNAUTHORIZED")))
    async with client:
        with pytest.raises(Unauthorized) as info:
            await client.me()
    assert str(info.value) == (
        f"The API key was rejected (401 UNAUTHORIZED) by {BASE}: check the profile's key."
    )
    assert info.value.exit_code == 2


async def test_400_carries_field_errors() -> None:
    body = error_body(
        400,
        "VALIDATION_FAILED",
        "Validation failed",
        fieldErrors={"primaryPhone": ["must be longer than or equal to 3 characters"]},
    )
    client, _ = make_client(lambda r: httpx.Response(400, json=body))
    async with client:
        with pytest.raises(BadRequest) as info:
            await client.create_contact({"primaryPhone": "1"})
    err = info.value
    assert err.field_errors == {"primaryPhone": ["must be longer than or equal to 3 characters"]}
    assert "primaryPhone must be longer" in str(err)
    assert "VALIDATION_FAILED" in str(err)


async def test_error_body_that_is_not_json_still_maps() -> None:
    client, _ = make_client(lambda r: httpx.Response(404, text="<html>nope</html>"))
    async with client:
        with pytest.raises(NotFound) as info:
            await client.get_contact("x")
    assert info.value.code is None


async def test_get_retried_on_5xx_burst_then_succeeds() -> None:
    answers = iter([502, 503, 500])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers, 200)
        if status == 200:
            return httpx.Response(200, json={"id": "c1"})
        return httpx.Response(status, json=error_body(status, "SERVER"))

    client, rec = make_client(handler)
    async with client:
        assert (await client.get_contact("c1"))["id"] == "c1"
    assert rec.count == 4
    assert client.stats["retries"] == 3


async def test_get_gives_up_after_max_retries() -> None:
    client, rec = make_client(
        lambda r: httpx.Response(500, json=error_body(500, "INTERNAL")), max_retries=2
    )
    async with client:
        with pytest.raises(ServerError) as info:
            await client.get_contact("c1")
    assert rec.count == 3
    assert info.value.outcome_unknown is False


async def test_post_not_retried_on_500_and_outcome_unknown() -> None:
    client, rec = make_client(lambda r: httpx.Response(500, json=error_body(500, "INTERNAL")))
    async with client:
        with pytest.raises(ServerError) as info:
            await client.create_contact({"primaryPhone": "+212600000001"})
    assert rec.count == 1
    assert info.value.outcome_unknown is True
    assert "re-read" in str(info.value)


async def test_post_retried_on_429_only() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "0"}, json=error_body(429, "RATE")),
            httpx.Response(429, json=error_body(429, "RATE")),
            httpx.Response(201, json={"contact": {"id": "new"}, "attributeErrors": []}),
        ]
    )
    client, rec = make_client(lambda r: next(answers))
    async with client:
        result = await client.create_contact({"primaryPhone": "+212600000001"})
    assert result.contact["id"] == "new"
    assert rec.count == 3


async def test_post_not_retried_on_503_even_with_retry_after() -> None:
    client, rec = make_client(
        lambda r: httpx.Response(503, headers={"Retry-After": "0"}, json=error_body(503, "U"))
    )
    async with client:
        with pytest.raises(ServerError):
            await client.upsert_contacts([{"primaryPhone": "+212600000001"}])
    assert rec.count == 1


async def test_retry_after_is_honoured() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "0.3"}, json=error_body(429, "RATE")),
            httpx.Response(200, json={"id": "me"}),
        ]
    )
    client, rec = make_client(lambda r: next(answers))
    async with client:
        await client.me()
    assert rec.count == 2
    assert rec.times[1] - rec.times[0] >= 0.29


async def test_retry_after_over_the_cap_gives_up_at_once() -> None:
    client, rec = make_client(
        lambda r: httpx.Response(429, headers={"Retry-After": "3600"}, json=error_body(429, "R")),
        retry_after_cap=1.0,
    )
    async with client:
        with pytest.raises(RateLimited) as info:
            await client.me()
    assert rec.count == 1
    assert info.value.retry_after == 3600
    assert "wait 3600 s" in str(info.value)


async def test_429_storm_exhausts_retries_with_rate_limited() -> None:
    client, rec = make_client(
        lambda r: httpx.Response(429, headers={"Retry-After": "0"}, json=error_body(429, "R")),
        max_retries=3,
    )
    async with client:
        with pytest.raises(RateLimited):
            await client.list_contacts(1)
    assert rec.count == 4
    assert client.stats["rate_limited"] == 4


async def test_get_timeout_retried_then_succeeds() -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)
        return httpx.Response(200, json={"id": "c1"})

    client, rec = make_client(handler, timeout=0.2)
    async with client:
        assert (await client.get_contact("c1"))["id"] == "c1"
    assert rec.count == 2


async def test_post_after_timeout_is_not_retried_and_says_outcome_unknown() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(201, json={"id": "late"})

    client, rec = make_client(handler, timeout=0.2)
    async with client:
        with pytest.raises(TransportError) as info:
            await client.create_contact({"primaryPhone": "+212600000001"})
    assert rec.count == 1
    assert info.value.outcome_unknown is True
    assert "may or may not have been carried out" in str(info.value)
    assert "0.2 s" in str(info.value)


@pytest.mark.parametrize("path", ["/contact", "/contact/upsert", "/audience/a1/add-contacts"])
async def test_no_non_idempotent_post_is_resent_after_a_dropped_connection(path: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    client, rec = make_client(handler)
    async with client:
        with pytest.raises(TransportError) as info:
            if path == "/contact":
                await client.create_contact({"primaryPhone": "+212600000001"})
            elif path == "/contact/upsert":
                await client.upsert_contacts([{"primaryPhone": "+212600000001"}])
            else:
                await client.add_audience_contacts("a1", ["c1"])
    assert rec.count == 1
    assert info.value.outcome_unknown is True
    assert "dropped" in str(info.value)


async def test_dropped_connection_retried_for_get_and_delete() -> None:
    drops = {"GET": 2, "DELETE": 2}

    def handler(request: httpx.Request) -> httpx.Response:
        if drops[request.method] > 0:
            drops[request.method] -= 1
            raise httpx.ReadError("connection reset by peer")
        return httpx.Response(200, json={"id": "c1"})

    client, rec = make_client(handler)
    async with client:
        await client.get_contact("c1")
        await client.delete_contact("c1")
    assert rec.count == 6


async def test_an_exception_inside_an_in_process_app_is_a_transport_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("boom")

    client, _ = make_client(handler, max_retries=1)
    async with client:
        with pytest.raises(TransportError) as info:
            await client.me()
    assert info.value.outcome_unknown is False  # a GET: nothing to re-read
    assert "RuntimeError" in str(info.value)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_host_is_one_sentence() -> None:
    port = _closed_port()
    base = f"http://127.0.0.1:{port}/api"
    client = GomobileClient(base, KEY, max_retries=1, backoff_base=0.01, timeout=2.0)
    started = time.monotonic()
    async with client:
        with pytest.raises(TransportError) as info:
            await client.create_contact({"primaryPhone": "+212600000001"})
    assert str(info.value) == f"Cannot reach {base}: connection refused."
    # Nothing was sent, so even a POST may be retried, and the outcome is known.
    assert info.value.outcome_unknown is False
    assert time.monotonic() - started < 2


async def test_malformed_json_body() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, text='{"data": [{"id": '))
    async with client:
        with pytest.raises(MalformedResponse) as info:
            await client.list_contacts(1)
    assert "not JSON" in str(info.value)


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ({"data": []}, "`meta` (page, limit, total, totalPages...) is missing"),
        ({"meta": {}}, "`data` is missing"),
        ([1, 2], "expected an object"),
        (
            {"data": [], "meta": {"page": 1, "limit": 100, "total": 0}},
            "`meta` lacks totalPages, hasNextPage, hasPreviousPage",
        ),
        (
            {
                "data": [],
                "meta": {
                    "page": 1,
                    "limit": 100,
                    "total": "x",
                    "totalPages": 0,
                    "hasNextPage": False,
                    "hasPreviousPage": False,
                },
            },
            "meta.total is 'x'",
        ),
    ],
)
async def test_list_envelope_validated(body: object, phrase: str) -> None:
    client, _ = make_client(lambda r: httpx.Response(200, json=body))
    async with client:
        with pytest.raises(MalformedResponse) as info:
            await client.list_contacts(1)
    assert phrase in str(info.value)
    assert "GET /contact?page=1" in str(info.value)


async def test_key_never_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    # A hostile or careless server echoing the key back must not get it printed.
    body = error_body(400, "BAD", f"bad key {KEY}", fieldErrors={"x": [f"was {KEY}"]})
    answers = iter(
        [
            httpx.Response(500, json=error_body(500, "E", f"oops {KEY}")),
            httpx.Response(400, json=body),
        ]
    )
    client, _ = make_client(lambda r: next(answers))
    caplog.set_level(logging.DEBUG)
    async with client:
        with pytest.raises(BadRequest) as info:
            await client.get_contact("c1")
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value.args)
    for record in caplog.records:
        assert KEY not in record.getMessage()
    assert "***" in str(info.value)


def test_exceptions_leaving_the_client_are_never_httpx() -> None:
    assert not issubclass(TransportError, httpx.HTTPError)
    assert issubclass(TransportError, ApiError)


async def test_redirect_is_an_error_not_followed() -> None:
    client, rec = make_client(
        lambda r: httpx.Response(301, headers={"Location": "https://evil.test/steal"})
    )
    async with client:
        with pytest.raises(ApiError) as info:
            await client.me()
    assert rec.count == 1
    assert "redirect" in str(info.value)


async def test_list_page_parsed() -> None:
    client, rec = make_client(
        lambda r: httpx.Response(200, json=page_body([{"id": "a", "newField": 1}], 1, 3))
    )
    async with client:
        page = await client.list_contacts(1, search="06")
    assert page.data == [{"id": "a", "newField": 1}]
    assert page.meta.total_pages == 3 and page.meta.has_next_page
    params = rec.requests[0].url.params
    assert params["include"] == "customAttributes" and params["limit"] == "100"
    assert params["sortBy"] == "createdAt" and params["search"] == "06"


@pytest.mark.parametrize("base", ["nope://x/api", "https://exa mple.invalid/api"])
async def test_odd_base_urls_give_an_api_error_not_an_httpx_one(base: str) -> None:
    with pytest.raises(ApiError) as info:
        async with GomobileClient(base, KEY, max_retries=0, timeout=2.0) as client:
            await client.me()
    assert base in str(info.value)
    assert not isinstance(info.value.__cause__, httpx.HTTPError)
