"""Contact endpoints with their error paths."""

from __future__ import annotations

import httpx

from gomoq.sandbox.app import SandboxApp
from tests.sandbox.conftest import assert_error

META = {"page", "limit", "total", "totalPages", "hasNextPage", "hasPreviousPage"}


async def test_me_returns_organisation(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/users/me")
    assert r.status_code == 200
    assert r.json()["organization"] == {
        "id": "5b0f6a8e-1c7e-4a8e-9a53-000000000001",
        "name": "Test Org",
        "slug": "test-org",
    }


async def test_auth_missing_wrong_and_bearer(app: SandboxApp) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as c:
        assert_error(await c.get("/api/users/me"), 401, "UNAUTHORIZED")
        assert_error(await c.get("/api/users/me", headers={"X-API-Key": "nope"}), 401)
        ok = await c.get(
            "/api/users/me", headers={"Authorization": f"Bearer {app.sandbox.api_key}"}
        )
        assert ok.status_code == 200
        assert app.sandbox.api_key not in (await c.get("/api/contact")).text


async def test_list_envelope_paging_and_order(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/contact", params={"page": 2, "limit": 7})
    body = r.json()
    assert set(body["meta"]) == META
    assert body["meta"] == {
        "page": 2,
        "limit": 7,
        "total": 30,
        "totalPages": 5,
        "hasNextPage": True,
        "hasPreviousPage": True,
    }
    assert [c["firstName"] for c in body["data"]] == [f"First{i:03d}" for i in range(7, 14)]
    assert "customAttributes" not in body["data"][0]
    last = (await client.get("/api/contact", params={"page": 5, "limit": 7})).json()
    assert len(last["data"]) == 2 and last["meta"]["hasNextPage"] is False
    desc = (await client.get("/api/contact", params={"sortOrder": "desc", "limit": 3})).json()
    assert [c["firstName"] for c in desc["data"]] == ["First029", "First028", "First027"]
    beyond = (await client.get("/api/contact", params={"page": 99})).json()
    assert beyond["data"] == [] and beyond["meta"]["total"] == 30


async def test_list_include_search_sort(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/contact", params={"include": "customAttributes", "limit": 1})
    assert r.json()["data"][0]["customAttributes"] == {"loyalty_points": 0}
    found = (await client.get("/api/contact", params={"search": "last012"})).json()
    assert [c["lastName"] for c in found["data"]] == ["Last012"]
    by_phone = (await client.get("/api/contact", params={"search": "10000029"})).json()
    assert by_phone["meta"]["total"] == 1
    wild = (await client.get("/api/contact", params={"search": "%"})).json()
    assert wild["meta"]["total"] == 0
    sorted_ = (
        await client.get(
            "/api/contact", params={"sortBy": "firstName", "sortOrder": "desc", "limit": 2}
        )
    ).json()
    assert sorted_["data"][0]["firstName"] == "First029"


async def test_list_rejects_bad_query(client: httpx.AsyncClient) -> None:
    for params in (
        {"limit": 101},
        {"limit": 0},
        {"page": 0},
        {"page": "x"},
        {"sortBy": "updatedAt"},
        {"sortOrder": "up"},
        {"search": "x" * 101},
        {"include": "calls"},
    ):
        body = assert_error(
            await client.get("/api/contact", params=params), 400, "VALIDATION_FAILED"
        )
        assert body["fieldErrors"], params


async def test_create_get_update_delete(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/contact",
        json={
            "primaryPhone": "+212700000001",
            "firstName": "Ahmed",
            "customAttributes": {"loyalty_points": 5, "vip": "yes", "unknown_attr": 1},
        },
    )
    assert r.status_code == 201
    body = r.json()
    contact = body["contact"]
    assert contact["customAttributes"] == {"loyalty_points": 5}
    assert {e["name"] for e in body["attributeErrors"]} == {"vip", "unknown_attr"}
    assert contact["fullName"] is None and contact["channels"] == []
    cid = contact["id"]
    got = (await client.get(f"/api/contact/{cid}")).json()
    assert got == contact
    patched = await client.patch(
        f"/api/contact/{cid}", json={"city": "Rabat", "customAttributes": {"vip": True}}
    )
    assert patched.status_code == 200
    updated = patched.json()["contact"]
    assert updated["city"] == "Rabat" and updated["firstName"] == "Ahmed"
    assert updated["customAttributes"] == {"loyalty_points": 5, "vip": True}
    assert updated["updatedAt"] >= contact["updatedAt"]
    put = await client.put(
        f"/api/contact/{cid}", json={"customAttributes": {"vip": None}, "city": None}
    )
    assert put.json()["contact"]["customAttributes"] == {"loyalty_points": 5}
    assert put.json()["contact"]["city"] is None
    deleted = await client.delete(f"/api/contact/{cid}")
    assert deleted.status_code == 200
    assert_error(await client.get(f"/api/contact/{cid}"), 404, "NOT_FOUND")
    assert_error(await client.delete(f"/api/contact/{cid}"), 404)
    listed = (await client.get("/api/contact", params={"search": "+212700000001"})).json()
    assert listed["meta"]["total"] == 0


async def test_create_field_rules(client: httpx.AsyncClient) -> None:
    cases = [
        ({}, "primaryPhone"),
        ({"primaryPhone": "12"}, "primaryPhone"),
        ({"primaryPhone": "1" * 21}, "primaryPhone"),
        ({"primaryPhone": 212612345678}, "primaryPhone"),
        ({"primaryPhone": "+212612345678", "firstName": "A"}, "firstName"),
        ({"primaryPhone": "+212612345678", "primaryEmail": "not-an-email"}, "primaryEmail"),
        ({"primaryPhone": "+212612345678", "gender": "other"}, "gender"),
        ({"primaryPhone": "+212612345678", "channels": "sms"}, "channels"),
        ({"primaryPhone": "+212612345678", "customAttributes": [1]}, "customAttributes"),
        ({"primaryPhone": "+212612345678", "tags": ["x"]}, "tags"),
        ({"primaryPhone": "+212612345678", "zip": "1" * 65}, "zip"),
    ]
    for body, field in cases:
        err = assert_error(await client.post("/api/contact", json=body), 400, "VALIDATION_FAILED")
        assert field in err["fieldErrors"], (body, err)
        assert err["fieldDetails"][field][0]["code"]
    unknown = (
        await client.post("/api/contact", json={"primaryPhone": "+212612345678", "tags": 1})
    ).json()
    assert unknown["fieldErrors"]["tags"] == ["property tags should not exist"]
    short = (await client.post("/api/contact", json={"primaryPhone": "12"})).json()
    assert short["fieldDetails"]["primaryPhone"] == [{"code": "minLength", "params": {"min": 3}}]


async def test_duplicate_phone_conflict_switch(client: httpx.AsyncClient, app: SandboxApp) -> None:
    taken = "+212610000003"
    assert_error(
        await client.post("/api/contact", json={"primaryPhone": taken}),
        409,
        "CONTACT_ALREADY_EXISTS",
    )
    app.sandbox.settings.duplicate_phone_conflict = False
    assert (await client.post("/api/contact", json={"primaryPhone": taken})).status_code == 201


async def test_update_method_and_attribute_switches(
    client: httpx.AsyncClient, app: SandboxApp
) -> None:
    first = (await client.get("/api/contact", params={"limit": 1})).json()["data"][0]
    cid = first["id"]
    app.sandbox.settings.update_method = "put"
    r = await client.patch(f"/api/contact/{cid}", json={"city": "Fès"})
    assert_error(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers["allow"] == "GET, PUT, DELETE"
    app.sandbox.settings.custom_attributes_update = "replace"
    r = await client.put(f"/api/contact/{cid}", json={"customAttributes": {"vip": False}})
    assert r.json()["contact"]["customAttributes"] == {"vip": False}
    app.sandbox.settings.create_envelope = "flat"
    flat = (await client.post("/api/contact", json={"primaryPhone": "+212799999999"})).json()
    assert flat["primaryPhone"] == "+212799999999" and flat["attributeErrors"] == []


async def test_deleted_shown_switch(client: httpx.AsyncClient, app: SandboxApp) -> None:
    first = (await client.get("/api/contact", params={"limit": 1})).json()["data"][0]
    await client.delete(f"/api/contact/{first['id']}")
    assert (await client.get("/api/contact")).json()["meta"]["total"] == 29
    app.sandbox.settings.deleted_contacts = "shown"
    shown = (await client.get(f"/api/contact/{first['id']}")).json()
    assert shown["deletedAt"] is not None
    listed = (await client.get("/api/contact", params={"limit": 1})).json()
    assert listed["meta"]["total"] == 30 and listed["data"][0]["deletedAt"] is not None
    assert_error(await client.patch(f"/api/contact/{first['id']}", json={"city": "Rabat"}), 404)


async def test_bad_ids_and_bodies(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/contact/not-a-uuid"), 400, "VALIDATION_FAILED")
    assert_error(await client.get("/api/contact/5b0f6a8e-1c7e-4a8e-9a53-00000000ffff"), 404)
    broken = await client.post(
        "/api/contact",
        content=b'{"primaryPhone": "+2126',
        headers={"content-type": "application/json"},
    )
    assert_error(broken, 400, "INVALID_JSON")
    assert_error(await client.post("/api/contact", content=b""), 400, "INVALID_JSON")
    assert_error(await client.post("/api/contact", json=["x"]), 400, "VALIDATION_FAILED")
    assert_error(await client.get("/api/nothing-here"), 404, "NOT_FOUND")
    assert_error(await client.get("/elsewhere"), 404, "NOT_FOUND")
    assert_error(await client.post("/api/users/me"), 405, "METHOD_NOT_ALLOWED")


async def test_hide_orphan_attributes_switch(client: httpx.AsyncClient, app: SandboxApp) -> None:
    first = (await client.get("/api/contact", params={"limit": 1})).json()["data"][0]
    app.sandbox.conn.execute(
        "UPDATE contacts SET custom_attributes = ? WHERE id = ?",
        ('{"loyalty_points": 3, "legacy_code": "A7"}', first["id"]),
    )
    shown = (await client.get(f"/api/contact/{first['id']}")).json()
    assert shown["customAttributes"] == {"loyalty_points": 3, "legacy_code": "A7"}
    app.sandbox.settings.hide_orphan_attributes = True
    hidden = (await client.get(f"/api/contact/{first['id']}")).json()
    assert hidden["customAttributes"] == {"loyalty_points": 3}
