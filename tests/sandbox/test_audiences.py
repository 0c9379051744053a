"""Audiences: CRUD, members, add/remove-contacts."""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import assert_error


async def _ids(client: httpx.AsyncClient, n: int) -> list[str]:
    data = (await client.get("/api/contact", params={"limit": n})).json()["data"]
    return [c["id"] for c in data]


async def test_audience_lifecycle(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/audience")).json()
    assert listed["meta"]["total"] == 1
    existing = listed["data"][0]
    assert existing["contactCount"] == 5 and existing["type"] == "static"
    r = await client.post("/api/audience", json={"name": "VIPs", "type": "static"})
    assert r.status_code == 201
    aid = r.json()["id"]
    ids = await _ids(client, 8)
    added = (
        await client.post(
            f"/api/audience/{aid}/add-contacts", json={"contacts": [*ids[:4], ids[0]]}
        )
    ).json()
    assert added == {"added": 4, "alreadyMembers": 0, "notFound": []}
    ghost = "5b0f6a8e-1c7e-4a8e-9a53-00000000abcd"
    again = (
        await client.post(f"/api/audience/{aid}/add-contacts", json={"contacts": [ids[0], ghost]})
    ).json()
    assert again == {"added": 0, "alreadyMembers": 1, "notFound": [ghost]}
    removed = (
        await client.post(
            f"/api/audience/{aid}/remove-contacts", json={"contacts": [ids[1], ids[7]]}
        )
    ).json()
    assert removed == {"removed": 1, "notMembers": [ids[7]]}
    assert (await client.get(f"/api/audience/{aid}")).json()["contactCount"] == 3
    members = (await client.get(f"/api/audience/{aid}/contacts")).json()
    assert members["meta"]["total"] == 4
    status = {m["id"]: m["membershipStatus"] for m in members["data"]}
    assert status[ids[1]] == "exited" and status[ids[0]] == "active"
    active = (
        await client.get(f"/api/audience/{aid}/contacts", params={"membershipStatus": "active"})
    ).json()
    assert active["meta"]["total"] == 3
    await client.delete(f"/api/contact/{ids[0]}")
    assert (await client.get(f"/api/audience/{aid}")).json()["contactCount"] == 2
    put = await client.put(f"/api/audience/{aid}", json={"name": "Very Important"})
    assert put.json()["name"] == "Very Important"
    assert (await client.delete(f"/api/audience/{aid}")).status_code == 200
    assert_error(await client.get(f"/api/audience/{aid}"), 404)


async def test_audience_errors(client: httpx.AsyncClient) -> None:
    for body in ({"name": "ab"}, {"name": "Fine", "type": "dynamic"}, {"name": "Fine", "x": 1}):
        assert_error(await client.post("/api/audience", json=body), 400, "VALIDATION_FAILED")
    live = (await client.post("/api/audience", json={"name": "Live one", "type": "live"})).json()
    ids = await _ids(client, 1)
    assert_error(
        await client.post(f"/api/audience/{live['id']}/add-contacts", json={"contacts": ids}),
        409,
        "AUDIENCE_NOT_STATIC",
    )
    aid = (await client.post("/api/audience", json={"name": "Static"})).json()["id"]
    for body in (
        {"contacts": []},
        {"contacts": ["nope"]},
        {"contacts": "x"},
        {"ids": ids},
        {"contacts": ids * 1001},
    ):
        assert_error(await client.post(f"/api/audience/{aid}/add-contacts", json=body), 400)
    assert_error(await client.put(f"/api/audience/{aid}", json={"type": "live"}), 400)
    assert_error(await client.get("/api/audience/5b0f6a8e-1c7e-4a8e-9a53-00000000abcd"), 404)
    assert_error(
        await client.get(f"/api/audience/{aid}/contacts", params={"membershipStatus": "gone"}), 400
    )
