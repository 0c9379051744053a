"""The server over a generated organisation (the shared fixtures): everything it planted can be
read back through the API, and the API's view equals the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from gomoq.sandbox.app import SandboxApp


async def test_fixtures_serve_the_generated_org(
    sandbox_app: SandboxApp, sandbox_key: str, sandbox_db: Path
) -> None:
    conn = sqlite3.connect(sandbox_db)
    live = conn.execute("SELECT count(*) FROM contacts WHERE deleted_at IS NULL").fetchone()[0]
    calls = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
    conn.close()
    assert live > 0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox_app),
        base_url="http://s",
        headers={"X-API-Key": sandbox_key},
    ) as c:
        me = (await c.get("/api/users/me")).json()
        assert me["organization"]["id"] == sandbox_app.sandbox.org["org_id"]
        seen: list[dict] = []
        page = 1
        while True:
            r = await c.get(
                "/api/contact", params={"page": page, "limit": 100, "include": "customAttributes"}
            )
            assert r.status_code == 200
            body = r.json()
            seen += body["data"]
            if not body["meta"]["hasNextPage"]:
                break
            page += 1
        assert len(seen) == live == body["meta"]["total"]
        assert len({s["id"] for s in seen}) == live
        one = (await c.get(f"/api/contact/{seen[-1]['id']}")).json()
        assert one == seen[-1]
        defs = (await c.get("/api/custom-attributes")).json()
        assert defs["meta"]["total"] >= 1
        listed_calls = (await c.get("/api/calls", params={"limit": 100})).json()
        assert listed_calls["meta"]["total"] == calls
        audiences = (await c.get("/api/audience")).json()
        for audience in audiences["data"]:
            members = (await c.get(f"/api/audience/{audience['id']}/contacts")).json()
            assert members["meta"]["total"] >= audience["contactCount"]
        # Rewriting a generated contact through the API keeps it readable.
        target = seen[0]
        r = await c.patch(f"/api/contact/{target['id']}", json={"city": "Rabat"})
        assert r.status_code == 200 and r.json()["contact"]["city"] == "Rabat"
