"""Fault switches (in-process) and the admin endpoint that sets them at run time."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from gomoq.sandbox.app import SandboxApp
from gomoq.sandbox.gate import DroppedConnection
from tests.sandbox.conftest import KEY, assert_error


async def test_latency(client: httpx.AsyncClient, app: SandboxApp) -> None:
    app.sandbox.settings.faults.latency_ms = 120
    started = time.perf_counter()
    assert (await client.get("/api/users/me")).status_code == 200
    assert time.perf_counter() - started >= 0.12
    app.sandbox.settings.faults.latency_ms = 0
    app.sandbox.settings.latency_ms = 80  # the base latency (--latency-ms)
    started = time.perf_counter()
    assert (await client.get("/api/users/me")).status_code == 200
    assert time.perf_counter() - started >= 0.08
    started = time.perf_counter()
    assert (await client.get("/_admin/health")).status_code == 200
    assert time.perf_counter() - started < 0.08  # admin is never slowed down


async def test_error_rate_gives_documented_5xx(client: httpx.AsyncClient, app: SandboxApp) -> None:
    app.sandbox.settings.faults.error_rate = 1.0
    statuses = set()
    for _ in range(20):
        r = await client.get("/api/contact")
        statuses.add(r.status_code)
        assert_error(r, r.status_code, "INTERNAL_ERROR")
    assert statuses <= {500, 502, 503} and len(statuses) >= 2


async def test_error_after_processing_still_writes(
    client: httpx.AsyncClient, app: SandboxApp
) -> None:
    faults = app.sandbox.settings.faults
    faults.error_rate, faults.phase = 1.0, "after"
    r = await client.post("/api/contact", json={"primaryPhone": "+212655555555"})
    assert r.status_code >= 500
    faults.error_rate = 0.0
    found = (await client.get("/api/contact", params={"search": "655555555"})).json()
    assert found["meta"]["total"] == 1
    faults.phase = "before"
    faults.error_rate = 1.0
    await client.post("/api/contact", json={"primaryPhone": "+212666666666"})
    faults.error_rate = 0.0
    found = (await client.get("/api/contact", params={"search": "666666666"})).json()
    assert found["meta"]["total"] == 0


async def test_drop_raises_transport_level_error(
    client: httpx.AsyncClient, app: SandboxApp
) -> None:
    app.sandbox.settings.faults.drop_rate = 1.0
    with pytest.raises(ConnectionResetError):
        await client.get("/api/contact")
    assert issubclass(DroppedConnection, ConnectionResetError)


async def test_malformed_body(client: httpx.AsyncClient, app: SandboxApp) -> None:
    app.sandbox.settings.faults.malformed_rate = 1.0
    r = await client.get("/api/contact/not-a-uuid")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(r.content)


async def test_seeded_faults_repeat(small_db: object) -> None:
    from gomoq.sandbox.app import create_app
    from gomoq.sandbox.settings import Faults, SandboxSettings

    runs = []
    for _ in range(2):
        app = create_app(
            small_db,
            SandboxSettings(  # type: ignore[arg-type]
                rate_limit=0, faults=Faults(error_rate=0.4, malformed_rate=0.2, seed=11)
            ),
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://s", headers={"X-API-Key": KEY}
        ) as c:
            runs.append(
                [
                    (r.status_code, r.content[-5:])
                    for r in [await c.get("/api/users/me") for _ in range(30)]
                ]
            )
        app.close()
    assert runs[0] == runs[1]
    statuses = {s for s, _ in runs[0]}
    assert 200 in statuses and statuses & {500, 502, 503}
    assert any(s == 200 and not body.endswith(b"}") for s, body in runs[0])  # some malformed


async def test_concurrent_editor_every_k_requests(
    client: httpx.AsyncClient, app: SandboxApp
) -> None:
    faults = app.sandbox.settings.faults
    before = {
        c["id"]: c
        for c in (
            await client.get("/api/contact", params={"limit": 100, "include": "customAttributes"})
        ).json()["data"]
    }
    faults.editor_every_requests = 2
    for _ in range(6):
        await client.get("/api/users/me")
    faults.editor_every_requests = 0
    log = (await client.get("/_admin/editor")).json()["log"]
    assert len(log) == 3 and {e["kind"] for e in log} == {"edit"}
    after = {
        c["id"]: c
        for c in (
            await client.get("/api/contact", params={"limit": 100, "include": "customAttributes"})
        ).json()["data"]
    }
    for entry in log:
        changed = after[entry["contactId"]]
        assert changed["updatedAt"] > before[entry["contactId"]]["updatedAt"]
        name = entry["field"]
        value = (
            changed["customAttributes"][name.split(".", 1)[1]]
            if name.startswith("customAttributes.")
            else changed[name]
        )
        if sum(e["contactId"] == entry["contactId"] for e in log) == 1:
            assert value == entry["new"]


async def test_editor_by_interval(app: SandboxApp) -> None:
    from gomoq.sandbox import editor

    state = app.sandbox
    state.settings.faults.editor_interval_ms = 100
    start = state.editor_last_ms
    editor.tick(state, now_ms=start + 350)
    assert len(state.editor_log) == 3
    editor.tick(state, now_ms=start + 399)
    assert len(state.editor_log) == 3
    editor.tick(state, now_ms=start + 400)
    assert len(state.editor_log) == 4


async def test_page_drift_knobs(client: httpx.AsyncClient, app: SandboxApp) -> None:
    faults = app.sandbox.settings.faults
    first_page = (await client.get("/api/contact", params={"limit": 5})).json()["data"]
    faults.creates_per_request, faults.deletes_per_request = 0, 1
    faults.drift_position = "start"
    await client.get("/api/users/me")  # deletes the first contact
    faults.deletes_per_request = 0
    shifted = (await client.get("/api/contact", params={"limit": 5})).json()
    assert shifted["data"][0]["id"] == first_page[1]["id"]
    assert shifted["meta"]["total"] == 29
    faults.creates_per_request = 2
    await client.get("/api/users/me")
    faults.creates_per_request = 0
    head = (await client.get("/api/contact", params={"limit": 5})).json()
    assert head["meta"]["total"] == 31
    created = {e["contactId"] for e in app.sandbox.editor_log if e["kind"] == "create"}
    assert {c["id"] for c in head["data"][:2]} == created
    faults.creates_per_request, faults.drift_position = 1, "end"
    await client.get("/api/users/me")
    faults.creates_per_request = 0
    tail = (await client.get("/api/contact", params={"sortOrder": "desc", "limit": 1})).json()
    assert tail["data"][0]["lastName"] == "Drift"


async def test_admin_endpoints(client: httpx.AsyncClient, app: SandboxApp) -> None:
    r = await client.put("/_admin/faults", json={"latency_ms": 5, "error_rate": 0.25, "seed": 4})
    assert r.status_code == 200 and r.json()["error_rate"] == 0.25
    assert app.sandbox.settings.faults.latency_ms == 5
    assert (await client.get("/_admin/faults")).json()["seed"] == 4
    for bad in (
        {"error_rate": 2},
        {"latency_ms": -1},
        {"phase": "during"},
        {"nonsense": 1},
        {"latency_ms": "5"},
    ):
        assert_error(await client.put("/_admin/faults", json=bad), 400, "VALIDATION_FAILED")
    assert app.sandbox.settings.faults.error_rate == 0.25  # all or nothing
    s = await client.put(
        "/_admin/settings", json={"update_method": "patch", "faults": {"error_rate": 0}}
    )
    assert s.json()["update_method"] == "patch" and s.json()["faults"]["error_rate"] == 0
    assert "api_key" not in s.json()
    assert_error(await client.put("/_admin/settings", json={"api_key": "x"}), 400)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://s"
    ) as anonymous:
        assert_error(await anonymous.get("/_admin/faults"), 401)
    health = (await client.get("/_admin/health")).json()
    assert health == {"ok": True, "contacts": 30, "warmed": False}


async def test_seeded_editor_repeats(small_db: object, tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    from gomoq.sandbox import editor
    from gomoq.sandbox.app import create_app
    from gomoq.sandbox.settings import Faults, SandboxSettings

    logs = []
    for run in range(2):
        copy = Path(str(tmp_path)) / f"run{run}.sqlite3"
        shutil.copyfile(str(small_db), copy)
        app = create_app(
            copy,
            SandboxSettings(
                rate_limit=0,
                faults=Faults(
                    editor_every_requests=1, creates_per_request=1, deletes_per_request=1, seed=5
                ),
            ),
        )
        for n in range(1, 6):
            app.sandbox.request_count = n
            editor.tick(app.sandbox)
        logs.append(
            [
                (e["kind"], e["contactId"], e["field"], e["new"] if e["kind"] == "edit" else None)
                for e in app.sandbox.editor_log
            ]
        )
        app.close()
    assert logs[0] == logs[1] and len(logs[0]) == 15
