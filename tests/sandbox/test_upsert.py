"""Bulk upsert: the guide's example, matching on the stored phone string, per-row errors."""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import assert_error

GUIDE_EXAMPLE = {
    "data": [
        {
            "primaryPhone": "+212612345678",
            "firstName": "Ahmed",
            "customAttributes": {"loyalty_points": 150, "interests": ["tech"]},
        }
    ]
}


async def test_guide_example_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/contact/upsert", json=GUIDE_EXAMPLE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["updated"], body["errors"]) == (1, 0, [])
    assert body["attributeErrors"] == []
    assert body["data"][0]["customAttributes"] == {"loyalty_points": 150, "interests": ["tech"]}
    again = (await client.post("/api/contact/upsert", json=GUIDE_EXAMPLE)).json()
    assert (again["created"], again["updated"]) == (0, 1)
    assert again["data"][0]["id"] == body["data"][0]["id"]


async def test_matches_exact_stored_string_only(client: httpx.AsyncClient) -> None:
    rows = [
        {"primaryPhone": "+212610000001", "city": "Rabat"},  # stored as is: update
        {"primaryPhone": "0610000001", "firstName": "Variant"},  # same number, other string
        {"primaryPhone": "0610000001", "lastName": "Twice"},  # second row hits the first
    ]
    body = (await client.post("/api/contact/upsert", json={"data": rows})).json()
    assert (body["created"], body["updated"]) == (1, 2)
    assert body["data"][0]["firstName"] == "First001" and body["data"][0]["city"] == "Rabat"
    assert body["data"][1]["id"] == body["data"][2]["id"]
    assert body["data"][2]["firstName"] == "Variant" and body["data"][2]["lastName"] == "Twice"


async def test_per_row_errors_and_attribute_errors(client: httpx.AsyncClient) -> None:
    rows = [
        {"primaryPhone": "+212711111111", "customAttributes": {"loyalty_points": "many"}},
        {"primaryPhone": "1", "firstName": "Bad"},
        "not an object",
        {"primaryPhone": "+212722222222", "nickname": "x"},
    ]
    body = (await client.post("/api/contact/upsert", json={"data": rows})).json()
    assert body["created"] == 1
    assert [e["index"] for e in body["errors"]] == [1, 2, 3]
    assert body["errors"][0]["primaryPhone"] == "1"
    assert "primaryPhone" in body["errors"][0]["fieldErrors"]
    assert "nickname" in body["errors"][2]["fieldErrors"]
    assert body["attributeErrors"][0]["index"] == 0
    assert body["attributeErrors"][0]["name"] == "loyalty_points"
    assert body["data"][0]["customAttributes"] == {}


async def test_batch_limits_and_shape(client: httpx.AsyncClient) -> None:
    big = {"data": [{"primaryPhone": f"+2126{i:08d}"} for i in range(1001)]}
    assert_error(await client.post("/api/contact/upsert", json=big), 400, "VALIDATION_FAILED")
    assert_error(await client.post("/api/contact/upsert", json={"data": []}), 400)
    assert_error(await client.post("/api/contact/upsert", json=[{"primaryPhone": "+2126"}]), 400)
    assert_error(await client.post("/api/contact/upsert", json={"data": [], "x": 1}), 400)
    assert (await client.get("/api/contact")).json()["meta"]["total"] == 30
    full = {"data": [{"primaryPhone": f"+2125{i:08d}"} for i in range(1000)]}
    body = (await client.post("/api/contact/upsert", json=full)).json()
    assert body["created"] == 1000
    assert (await client.get("/api/contact")).json()["meta"]["total"] == 1030
