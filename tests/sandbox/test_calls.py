"""Calls: list with filters, get by id, the asynchronous CSV export."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx

from gomoq.sandbox.app import SandboxApp
from tests.sandbox.conftest import assert_error

COLUMNS = [
    "id",
    "contactId",
    "phoneNumber",
    "status",
    "direction",
    "createdAt",
    "answeredAt",
    "endedAt",
    "durationMs",
]


async def test_list_and_filters(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/calls", params={"limit": 100})).json()
    assert body["meta"]["total"] == 60
    assert list(body["data"][0]) == COLUMNS
    stamps = [c["createdAt"] for c in body["data"]]
    assert stamps == sorted(stamps)
    contact_id = body["data"][0]["contactId"]
    mine = (await client.get("/api/calls", params={"contactId": contact_id})).json()
    assert mine["meta"]["total"] == 2
    assert {c["contactId"] for c in mine["data"]} == {contact_id}
    busy = (await client.get("/api/calls", params={"status": "busy,failed"})).json()
    assert busy["meta"]["total"] == 20
    window = (
        await client.get(
            "/api/calls", params={"from": "2024-03-01T01:00:00Z", "to": "2024-03-01T02:00:00+00:00"}
        )
    ).json()
    assert window["meta"]["total"] == 30
    shifted = await client.get("/api/calls", params={"from": "2024-03-01T02:00:00+01:00"})
    assert shifted.json()["meta"]["total"] == 30
    one = body["data"][5]
    assert (await client.get(f"/api/calls/{one['id']}")).json() == one


async def test_list_errors(client: httpx.AsyncClient) -> None:
    for params in ({"contactId": "x"}, {"from": "2024-03-01"}, {"to": "yesterday"}, {"limit": 500}):
        assert_error(await client.get("/api/calls", params=params), 400, "VALIDATION_FAILED")
    assert_error(await client.get("/api/calls/5b0f6a8e-1c7e-4a8e-9a53-00000000abcd"), 404)


async def test_export_round_trip(client: httpx.AsyncClient, app: SandboxApp) -> None:
    app.sandbox.settings.export_delay_ms = 150
    r = await client.post("/api/calls/export", json={"status": "answered"})
    assert r.status_code == 202
    export = r.json()
    assert export["status"] == "processing"
    first = (await client.get(f"/api/calls/exports/{export['id']}")).json()
    assert first["status"] == "processing" and "downloadUrl" not in first
    for _ in range(100):
        await asyncio.sleep(0.02)
        state = (await client.get(f"/api/calls/exports/{export['id']}")).json()
        if state["status"] == "completed":
            break
    assert state["status"] == "completed" and state["rowCount"] == 10
    url = state["downloadUrl"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as anonymous:
        csv_text = (await anonymous.get(url)).text
        tampered = await anonymous.get(url.replace("token=", "token=0"))
        assert_error(tampered, 403, "DOWNLOAD_LINK_INVALID")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == 10 and list(rows[0]) == COLUMNS
    assert {r["status"] for r in rows} == {"answered"}
    listed = (await client.get("/api/calls", params={"status": "answered", "limit": 100})).json()
    assert [r["id"] for r in rows] == [c["id"] for c in listed["data"]]


async def test_export_errors(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/api/calls/export", json={"outcome": "x"}), 400)
    assert_error(await client.post("/api/calls/export", json={"from": 5}), 400)
    assert_error(await client.get("/api/calls/exports/5b0f6a8e-1c7e-4a8e-9a53-00000000abcd"), 404)
