"""Bad input never answers 500, never takes the server down, never corrupts the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gomoq.sandbox.app import SandboxApp
from tests.sandbox.conftest import assert_error

UNICODE_NAMES = ["محمد", "Zoë-Élodie", "李小龙", "👩🏽‍💻 Dev", 'O\'Brien "Q"', "ⴰⵎⴰⵣⵉⵖ"]


def _integrity(db: Path) -> tuple[str, int]:
    conn = sqlite3.connect(db)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        count = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
        return ok, count
    finally:
        conn.close()


async def test_unicode_round_trips(client: httpx.AsyncClient) -> None:
    for i, name in enumerate(UNICODE_NAMES):
        r = await client.post(
            "/api/contact",
            json={
                "primaryPhone": f"+21262222{i:04d}",
                "firstName": name,
                "city": name + "ville",
                "customAttributes": {"interests": [name, "تقنية"]},
            },
        )
        assert r.status_code == 201, r.text
        got = (await client.get(f"/api/contact/{r.json()['contact']['id']}")).json()
        assert got["firstName"] == name and got["customAttributes"]["interests"][0] == name
    found = (await client.get("/api/contact", params={"search": "محمد"})).json()
    assert found["meta"]["total"] == 1
    arabic_digits = await client.post("/api/contact", json={"primaryPhone": "٠٦١٢٣٤٥٦٧٨"})
    assert arabic_digits.status_code == 201  # stored as written, like the real API


async def test_hostile_bodies(client: httpx.AsyncClient, small_db: Path) -> None:
    huge = "x" * 1_000_000
    cases: list[tuple[str, str, bytes | object]] = [
        ("POST", "/api/contact", {"primaryPhone": "+212611111111", "firstName": huge}),
        ("POST", "/api/contact", {"primaryPhone": huge}),
        ("POST", "/api/contact/upsert", {"data": huge}),
        ("POST", "/api/contact", b"\xff\xfe\x00garbage"),
        ("POST", "/api/contact", b'{"primaryPhone": "\\ud800abc"}'),
        ("POST", "/api/contact", b"[" * 5000 + b"]" * 5000),
        ("POST", "/api/contact", b"null"),
        ("POST", "/api/contact", {"primaryPhone": None, "firstName": {"$gt": ""}}),
        ("POST", "/api/contact", {"primaryPhone": ["+212611111111"]}),
        ("POST", "/api/contact", {"primaryPhone": True}),
        ("POST", "/api/contact", {"primaryPhone": "+212611111111", "channels": [1, None]}),
        ("POST", "/api/custom-attributes", {"displayName": huge, "type": "text"}),
        ("POST", "/api/audience", {"name": ["a"]}),
        ("POST", "/api/calls/export", b"{{{"),
        ("PUT", "/_admin/faults", b"not json"),
        ("PUT", "/_admin/faults", [1, 2]),
    ]
    before = _integrity(small_db)
    for method, path, body in cases:
        if isinstance(body, bytes):
            r = await client.request(
                method, path, content=body, headers={"content-type": "application/json"}
            )
        else:
            r = await client.request(method, path, json=body)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
        assert_error(r, r.status_code)
        assert len(r.content) < 3_000_000
    assert _integrity(small_db) == before
    # A 1 MB attribute text value is not stored (text is capped at 1000 characters).
    r = await client.post(
        "/api/contact",
        json={"primaryPhone": "+212611111111", "customAttributes": {"interests": huge}},
    )
    assert r.status_code == 201
    assert r.json()["contact"]["customAttributes"] == {}
    assert r.json()["attributeErrors"][0]["name"] == "interests"
    assert (await client.get("/api/users/me")).status_code == 200


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"data": [' + b",".join([b'{"primaryPhone": "+212600000000"}'] * 600_000) + b"]}"
    assert len(body) > 16 * 1024 * 1024
    r = await client.post(
        "/api/contact/upsert", content=body, headers={"content-type": "application/json"}
    )
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
contact_keys = st.sampled_from(
    [
        "primaryPhone",
        "firstName",
        "lastName",
        "primaryEmail",
        "gender",
        "channels",
        "customAttributes",
        "zip",
        "other",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(contact_keys, json_values, max_size=6))
async def test_fuzzed_contact_bodies_never_500(app: SandboxApp, body: dict) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://s",
        headers={"X-API-Key": app.sandbox.api_key},
    ) as c:
        created = await c.post("/api/contact", json=body)
        assert created.status_code in (201, 400, 409), created.text
        upsert = await c.post("/api/contact/upsert", json={"data": [body, body]})
        assert upsert.status_code == 200, upsert.text
        listed = await c.get("/api/contact", params={"limit": 100, "include": "customAttributes"})
        assert listed.status_code == 200


async def test_hostile_query_strings_never_500(client: httpx.AsyncClient) -> None:
    audience = (await client.get("/api/audience")).json()["data"][0]["id"]
    paths = [
        "/api/contact",
        "/api/custom-attributes",
        "/api/audience",
        "/api/calls",
        f"/api/audience/{audience}/contacts",
    ]
    values = ["10" * 20, "-1", "1e2", "", "٣", "%", "\\", "' OR 1=1 --", "🙂" * 50, "x" * 5000]
    for path in paths:
        for name in (
            "page",
            "limit",
            "search",
            "sortBy",
            "sortOrder",
            "include",
            "status",
            "from",
            "contactId",
            "membershipStatus",
        ):
            for value in values:
                r = await client.get(path, params={name: value})
                assert r.status_code in (200, 400), (path, name, value, r.status_code)
                if r.status_code == 400:
                    assert_error(r, 400)


async def test_every_id_route_answers_400_for_bad_ids_and_404_for_unknown(
    client: httpx.AsyncClient,
) -> None:
    unknown = "5b0f6a8e-1c7e-4a8e-9a53-00000000dead"
    routes = [
        ("GET", "/api/contact/{}", None),
        ("PUT", "/api/contact/{}", {"city": "Rabat"}),
        ("PATCH", "/api/contact/{}", {"city": "Rabat"}),
        ("DELETE", "/api/contact/{}", None),
        ("GET", "/api/custom-attributes/{}", None),
        ("PATCH", "/api/custom-attributes/{}", {"description": "x"}),
        ("DELETE", "/api/custom-attributes/{}", None),
        ("GET", "/api/audience/{}", None),
        ("PUT", "/api/audience/{}", {"name": "Name"}),
        ("DELETE", "/api/audience/{}", None),
        ("GET", "/api/audience/{}/contacts", None),
        ("POST", "/api/audience/{}/add-contacts", {"contacts": [unknown]}),
        ("POST", "/api/audience/{}/remove-contacts", {"contacts": [unknown]}),
        ("GET", "/api/calls/{}", None),
        ("GET", "/api/calls/exports/{}", None),
    ]
    for method, template, body in routes:
        bad = await client.request(method, template.format("1234"), json=body)
        assert_error(bad, 400, "VALIDATION_FAILED")
        missing = await client.request(method, template.format(unknown), json=body)
        assert_error(missing, 404, "NOT_FOUND")


async def test_numbers_must_be_ascii_digits(client: httpx.AsyncClient) -> None:
    """Issue 13 item 16: Python's int() reads `1_0`, ` 10` and Arabic-Indic `١٠`; the API's
    validation does not, and neither does the sandbox."""
    for raw in ("1_0", "١٠", " 10", "+10", "10.0"):
        r = await client.get("/api/contact", params={"limit": raw})
        assert r.status_code == 400, (raw, r.text)
        assert "limit must be an integer" in r.text
    assert (await client.get("/api/contact", params={"limit": "10"})).status_code == 200


async def test_a_body_not_declared_json_is_refused(client: httpx.AsyncClient) -> None:
    body = '{"primaryPhone": "+212622220099", "firstName": "Plain"}'
    r = await client.post("/api/contact", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    assert r.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    ok = await client.post(
        "/api/contact", content=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert ok.status_code == 201, ok.text


async def test_a_client_hanging_up_mid_body_leaves_no_traceback(
    app: SandboxApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The body stream ends in a disconnect (what Starlette raises as ClientDisconnect): the
    route answers 499 to nobody instead of raising."""
    sent: list[dict[str, object]] = []
    messages = iter(
        [
            {"type": "http.request", "body": b'{"primaryPhone": "+2126', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict[str, object]:
        return next(messages)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/contact",
        "raw_path": b"/api/contact",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"x-api-key", app.sandbox.api_key.encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("sandbox.test", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert starts and starts[0]["status"] == 499
    assert "ClientDisconnect" not in caplog.text
