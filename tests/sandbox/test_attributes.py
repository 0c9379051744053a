"""Custom-attribute definitions and the validation of values by type."""

from __future__ import annotations

import httpx
import pytest

from gomoq.api.contract import validate_value
from gomoq.sandbox.attributes import slugify
from tests.sandbox.conftest import assert_error


def test_slugify() -> None:
    assert slugify("Loyalty Points") == "loyalty_points"
    assert slugify("Date d'achat (été)") == "date_d_achat_ete"
    assert slugify("  --VIP-- ") == "vip"


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("text", ["x", "", ["a", "b"]], [1, True, {"a": 1}, "x" * 1001]),
        ("number", [0, -2.5, 10**12, [1, 2]], ["12", True, None, [1, "2"]]),
        ("boolean", [True, False], ["true", 1, 0]),
        (
            "date",
            ["2024-02-29", "2024-02-29T10:00:00Z", "2024-02-29T10:00:00.123+01:00"],
            ["2023-02-29", "29/02/2024", "2024-02-29T10:00:00", 20240229],
        ),
        ("phone_number", ["+212 6 12 34 56 78", "0612345678"], ["12", "call me", "+" * 10]),
        ("email", ["a@b.ma"], ["a@b", "a b@c.ma", 5]),
        ("url", ["https://gomobile.ma/x", "http://a.b"], ["ftp://a.b", "gomobile.ma", "http://"]),
    ],
)
def test_value_rules(kind: str, good: list[object], bad: list[object]) -> None:
    for value in good:
        assert validate_value(kind, value) is None, (kind, value)
    for value in bad:
        if value is None:
            continue
        assert validate_value(kind, value) is not None, (kind, value)


async def test_crud_and_errors(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/custom-attributes")).json()
    assert listed["meta"]["total"] == 7
    assert {a["type"] for a in listed["data"]} == {
        "text",
        "number",
        "boolean",
        "date",
        "phone_number",
        "email",
        "url",
    }
    r = await client.post(
        "/api/custom-attributes", json={"displayName": "Favourite Colour", "type": "text"}
    )
    assert r.status_code == 201
    created = r.json()
    assert created["name"] == "favourite_colour" and created["deletedAt"] is None
    aid = created["id"]
    assert_error(
        await client.post(
            "/api/custom-attributes", json={"displayName": "favourite colour", "type": "text"}
        ),
        409,
    )
    for body in (
        {"displayName": "ab", "type": "text"},
        {"displayName": "Okay", "type": "enum"},
        {"type": "text"},
        {"displayName": "Okay", "type": "text", "options": []},
        {"displayName": "!!!", "type": "text"},
    ):
        assert_error(
            await client.post("/api/custom-attributes", json=body), 400, "VALIDATION_FAILED"
        )
    patched = await client.patch(f"/api/custom-attributes/{aid}", json={"description": "Hue"})
    assert patched.json()["description"] == "Hue"
    err = assert_error(
        await client.patch(f"/api/custom-attributes/{aid}", json={"type": "number"}), 400
    )
    assert "type" in err["fieldErrors"]
    c = await client.post(
        "/api/contact",
        json={"primaryPhone": "+212633333333", "customAttributes": {"favourite_colour": "blue"}},
    )
    cid = c.json()["contact"]["id"]
    assert (await client.delete(f"/api/custom-attributes/{aid}")).status_code == 200
    assert_error(await client.get(f"/api/custom-attributes/{aid}"), 404)
    assert (await client.get("/api/custom-attributes")).json()["meta"]["total"] == 7
    # The stored value survives; a new value under the deleted name is now an attribute error.
    got = (await client.get(f"/api/contact/{cid}")).json()
    assert got["customAttributes"] == {"favourite_colour": "blue"}
    again = (
        await client.patch(
            f"/api/contact/{cid}", json={"customAttributes": {"favourite_colour": "red"}}
        )
    ).json()
    assert again["attributeErrors"][0]["code"] == "UNDEFINED_ATTRIBUTE"
