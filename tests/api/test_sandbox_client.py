"""The client against the in-process sandbox: the Gomobile contract and the sandbox's faults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gomoq.api import (
    ApiError,
    BadRequest,
    Conflict,
    GomobileClient,
    MalformedResponse,
    NotFound,
    ServerError,
    TransportError,
    Unauthorized,
)
from gomoq.api.pages import fetch_all_pages
from gomoq.api.testing import in_process

BASE = "https://sandbox.invalid/api"


@pytest.fixture
async def client(sandbox_app: Any, sandbox_key: str) -> AsyncIterator[GomobileClient]:
    with in_process(sandbox_app):
        api = GomobileClient(
            BASE, sandbox_key, rate_limit=1000.0, backoff_base=0.01, backoff_cap=0.05
        )
    async with api:
        yield api


def _faults(app: Any, **changes: Any) -> None:
    faults = app.sandbox.settings.faults
    faults.seed = 11
    for name, value in changes.items():
        setattr(faults, name, value)
    app.sandbox.reseed(11)  # repeatable fault draws


async def test_me_names_the_organisation(client: GomobileClient) -> None:
    me = await client.me()
    assert me["organization"]["name"]
    assert me["email"]


async def test_all_contact_pages(client: GomobileClient) -> None:
    pages = await fetch_all_pages(lambda p: client.list_contacts(p, 100))
    ids = [row["id"] for page in pages for row in page.data]
    assert len(ids) == len(set(ids)) == pages[0].meta.total
    assert pages[0].meta.total_pages == len(pages)
    assert "customAttributes" in pages[0].data[0]


async def test_contact_lifecycle(client: GomobileClient, sandbox_app: Any) -> None:
    created = await client.create_contact(
        {"primaryPhone": "+212699887766", "firstName": "Salma", "customAttributes": {}}
    )
    contact_id = created.contact["id"]
    assert created.contact["firstName"] == "Salma"
    fetched = await client.get_contact(contact_id)
    assert fetched["primaryPhone"] == "+212699887766"
    sandbox_app.sandbox.settings.update_method = "put"
    updated = await client.update_contact(contact_id, {"city": "Rabat"})
    assert updated["city"] == "Rabat"
    assert client.update_method == "put"
    await client.delete_contact(contact_id)
    with pytest.raises(NotFound):
        await client.get_contact(contact_id)


async def test_flat_create_envelope(client: GomobileClient, sandbox_app: Any) -> None:
    sandbox_app.sandbox.settings.create_envelope = "flat"
    created = await client.create_contact({"primaryPhone": "+212699887700"})
    assert created.contact["id"] and created.attribute_errors == []


async def test_duplicate_phone_is_a_conflict(client: GomobileClient) -> None:
    page = await client.list_contacts(1, 1)
    phone = page.data[0]["primaryPhone"]
    with pytest.raises(Conflict) as info:
        await client.create_contact({"primaryPhone": phone})
    assert info.value.status == 409


async def test_validation_error_has_field_errors(client: GomobileClient) -> None:
    with pytest.raises(BadRequest) as info:
        await client.create_contact({"primaryPhone": "1"})
    assert "primaryPhone" in info.value.field_errors
    assert info.value.code
    assert "primaryPhone" in str(info.value)


async def test_upsert(client: GomobileClient) -> None:
    result = await client.upsert_contacts(
        [{"primaryPhone": "+212611223344", "firstName": "Nadia"}, {"primaryPhone": "1"}]
    )
    assert result.created == 1
    assert len(result.errors) == 1


async def test_attributes_audiences_and_calls(client: GomobileClient) -> None:
    defs = await client.list_attribute_defs()
    assert {"name", "type"} <= set(defs[0])
    made = await client.create_attribute_def("Data Quality Flag", "text", "set by gomoq")
    assert made["name"]
    audiences = await client.list_audiences(1)
    static = next(a for a in audiences.data if a.get("type") == "static")
    members = await client.list_audience_members(static["id"], 1)
    assert all("membershipStatus" in m for m in members.data)
    contact = (await client.list_contacts(1, 1)).data[0]
    await client.add_audience_contacts(static["id"], [contact["id"]])
    await client.remove_audience_contacts(static["id"], [contact["id"]])
    calls = await client.list_calls(1, 50)
    assert calls.meta.total > 0 and "status" in calls.data[0]


async def test_calls_export_round_trip(client: GomobileClient, sandbox_app: Any) -> None:
    sandbox_app.sandbox.settings.export_delay_ms = 0
    export_id = await client.start_calls_export({})
    await client.wait_calls_export(export_id, poll=0.05, timeout=10)
    csv = await client.download_calls_export(export_id)
    header = csv.splitlines()[0]
    assert header.startswith("id,contactId,phoneNumber,status")


async def test_wrong_key(sandbox_app: Any) -> None:
    with in_process(sandbox_app):
        api = GomobileClient(BASE, "wrong_key_abcdef123")
    async with api:
        with pytest.raises(Unauthorized) as info:
            await api.me()
    assert str(info.value) == (
        f"The API key was rejected (401 UNAUTHORIZED) by {BASE}: check the profile's key."
    )
    assert "wrong_key_abcdef123" not in str(info.value)


async def test_5xx_and_drops_are_ridden_out_by_reads(
    client: GomobileClient, sandbox_app: Any
) -> None:
    clean = await fetch_all_pages(lambda p: client.list_contacts(p, 100))
    _faults(sandbox_app, error_rate=0.3, drop_rate=0.2)
    noisy = await fetch_all_pages(lambda p: client.list_contacts(p, 100))
    assert [r["id"] for p in noisy for r in p.data] == [r["id"] for p in clean for r in p.data]
    assert client.stats["retries"] > 0


async def test_post_after_a_drop_is_not_resent(client: GomobileClient, sandbox_app: Any) -> None:
    _faults(sandbox_app, drop_rate=1.0, phase="after")
    with pytest.raises(TransportError) as info:
        await client.create_contact({"primaryPhone": "+212655443322"})
    assert info.value.outcome_unknown
    _faults(sandbox_app, drop_rate=0.0)
    # The contact was created once: the caller re-reads and finds exactly one.
    page = await client.list_contacts(1, 10, search="655443322")
    assert len(page.data) == 1


async def test_post_after_a_5xx_is_not_resent(client: GomobileClient, sandbox_app: Any) -> None:
    _faults(sandbox_app, error_rate=1.0, phase="after")
    with pytest.raises(ServerError) as info:
        await client.create_contact({"primaryPhone": "+212655443300"})
    assert info.value.outcome_unknown
    _faults(sandbox_app, error_rate=0.0)
    assert len((await client.list_contacts(1, 10, search="655443300")).data) == 1


async def test_malformed_body(client: GomobileClient, sandbox_app: Any) -> None:
    _faults(sandbox_app, malformed_rate=1.0)
    with pytest.raises(MalformedResponse) as info:
        await client.list_contacts(1)
    assert "not JSON" in str(info.value)


async def test_slow_server_times_out(sandbox_app: Any, sandbox_key: str) -> None:
    _faults(sandbox_app, latency_ms=600)
    with in_process(sandbox_app):
        api = GomobileClient(BASE, sandbox_key, timeout=0.2, max_retries=1, backoff_base=0.01)
    async with api:
        with pytest.raises(TransportError) as info:
            await api.get_contact("00000000-0000-4000-8000-000000000000")
    assert "got no answer within 0.2 s" in str(info.value)
    assert not info.value.outcome_unknown


async def test_paced_client_gets_no_429_at_the_server_limit(
    sandbox_app: Any, sandbox_key: str
) -> None:
    sandbox_app.sandbox.settings.rate_limit = 20.0
    with in_process(sandbox_app):
        api = GomobileClient(BASE, sandbox_key, rate_limit=20.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with api:
        await asyncio.gather(*(api.list_contacts(p % 3 + 1, 10) for p in range(40)))
    elapsed = loop.time() - started
    assert api.stats["rate_limited"] == 0
    assert elapsed >= 39 / 20.0 * 0.9  # paced, not bursted
    assert elapsed < 39 / 20.0 + 1.5  # and close to the limit


async def test_429_storm_from_a_stricter_server_is_absorbed(
    sandbox_app: Any, sandbox_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox_app.sandbox.settings.rate_limit = 5.0
    with in_process(sandbox_app):
        api = GomobileClient(BASE, sandbox_key, rate_limit=50.0)
    async with api:
        pages = await asyncio.gather(*(api.list_contacts(p % 3 + 1, 10) for p in range(15)))
    assert len(pages) == 15
    # The first answers' X-RateLimit-Limit slowed the client to 5/s; the burst it had already
    # sent drew a few 429s, whose Retry-After paused everyone: far fewer than 15 x retries.
    assert api.pacer.rate == 5.0
    assert api.stats["rate_limited"] <= 5
    assert sandbox_key not in caplog.text


async def test_the_key_is_in_no_error_and_no_log_line_under_every_fault(
    sandbox_app: Any, sandbox_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    scenarios: list[dict[str, Any]] = [
        {"error_rate": 1.0},
        {"drop_rate": 1.0},
        {"malformed_rate": 1.0},
        {"drop_rate": 1.0, "phase": "after"},
        {"latency_ms": 400},
    ]
    with in_process(sandbox_app):
        api = GomobileClient(
            BASE,
            sandbox_key,
            timeout=0.2,
            max_retries=1,
            backoff_base=0.01,
            retry_after_cap=0.05,
        )
    async with api:
        for faults in scenarios:
            _faults(
                sandbox_app,
                error_rate=0.0,
                drop_rate=0.0,
                malformed_rate=0.0,
                latency_ms=0,
                phase="before",
            )
            _faults(sandbox_app, **faults)
            for call in (api.me(), api.create_contact({"primaryPhone": "+212600001111"})):
                try:
                    await call
                except Exception as exc:  # every failure must be one of ours
                    assert isinstance(exc, ApiError), type(exc)
                    texts.append(str(exc))
                    texts.append(repr(exc.args))
    assert len(texts) >= 2 * len(scenarios)
    assert all(sandbox_key not in text for text in texts)
    assert sandbox_key not in caplog.text
