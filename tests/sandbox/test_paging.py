"""Deep pages through the boundary map equal plain OFFSET pages, ties of createdAt included."""

from __future__ import annotations

from pathlib import Path

import httpx

from gomoq.sandbox import paging
from gomoq.sandbox.app import create_app
from gomoq.sandbox.settings import SandboxSettings
from tests.sandbox.conftest import KEY
from tests.sandbox_fixtures import build_small_org


async def test_deep_pages_match_offset_order(tmp_path: Path) -> None:
    db = build_small_org(tmp_path / "big.sqlite3", contacts=4500)
    app = create_app(db, SandboxSettings(rate_limit=0))
    conn = app.sandbox.conn
    # Ties: 1500 contacts share one createdAt, straddling the 1000th and 2000th positions.
    conn.execute(
        "UPDATE contacts SET created_at = '2024-02-01T12:00:00.000Z' WHERE seq BETWEEN 900 AND 2400"
    )
    conn.execute("UPDATE contacts SET deleted_at = '2024-05-01T00:00:00.000Z' WHERE seq % 97 = 0")
    app.sandbox.contacts_changed()
    expected = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY created_at, seq"
        )
    ]
    assert len(expected) > 3 * paging.STEP
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://s", headers={"X-API-Key": KEY}
    ) as c:
        for order in ("asc", "desc"):
            want = expected if order == "asc" else expected[::-1]
            got: list[str] = []
            page = 1
            while True:
                body = (
                    await c.get(
                        "/api/contact", params={"page": page, "limit": 100, "sortOrder": order}
                    )
                ).json()
                got += [x["id"] for x in body["data"]]
                if not body["meta"]["hasNextPage"]:
                    break
                page += 1
            assert got == want, order
        assert app.sandbox.page_index is not None
        # A delete invalidates the map; the next deep page is still right.
        await c.delete(f"/api/contact/{expected[0]}")
        body = (await c.get("/api/contact", params={"page": 30, "limit": 100})).json()
        assert [x["id"] for x in body["data"]] == expected[1:][2900:3000]
        # Creates land after every other contact: the map is kept and still right.
        kept = app.sandbox.page_index
        new_ids = []
        for i in range(3):
            r = await c.post("/api/contact", json={"primaryPhone": f"+21270000{i:04d}"})
            new_ids.append(r.json()["contact"]["id"])
        now = expected[1:] + new_ids
        last_page = -(-len(now) // 100)
        body = (await c.get("/api/contact", params={"page": last_page, "limit": 100})).json()
        assert [x["id"] for x in body["data"]] == now[(last_page - 1) * 100 :]
        body = (
            await c.get("/api/contact", params={"page": 25, "limit": 100, "sortOrder": "desc"})
        ).json()
        assert [x["id"] for x in body["data"]] == now[::-1][2400:2500]
        assert app.sandbox.page_index is kept
    app.close()


async def test_deep_call_pages_match_offset_order(tmp_path: Path) -> None:
    db = build_small_org(tmp_path / "calls.sqlite3", contacts=1500)
    app = create_app(db, SandboxSettings(rate_limit=0))
    expected = [
        r[0] for r in app.sandbox.conn.execute("SELECT id FROM calls ORDER BY created_at, seq")
    ]
    assert len(expected) == 3000
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://s", headers={"X-API-Key": KEY}
    ) as c:
        for order, want in (("asc", expected), ("desc", expected[::-1])):
            got: list[str] = []
            for page in range(1, 31):
                body = (
                    await c.get(
                        "/api/calls", params={"page": page, "limit": 100, "sortOrder": order}
                    )
                ).json()
                got += [x["id"] for x in body["data"]]
            assert got == want
            assert body["meta"]["total"] == 3000 and not body["meta"]["hasNextPage"]
    assert app.sandbox.calls_index is not None
    app.close()


async def test_map_follows_creates_and_deletes_in_the_middle(tmp_path: Path) -> None:
    from gomoq.sandbox import editor
    from gomoq.sandbox.settings import Faults

    db = build_small_org(tmp_path / "drift.sqlite3", contacts=3500)
    app = create_app(db, SandboxSettings(rate_limit=0, faults=Faults(seed=2)))
    state = app.sandbox
    conn = state.conn
    conn.execute(
        "UPDATE contacts SET created_at = '2024-02-01T12:00:00.000Z' "
        "WHERE seq BETWEEN 1500 AND 2600"
    )  # ties across a boundary
    state.contacts_changed()

    async def all_ids(c: httpx.AsyncClient, order: str) -> list[str]:
        got: list[str] = []
        for page in range(1, 50):
            body = (
                await c.get("/api/contact", params={"page": page, "limit": 100, "sortOrder": order})
            ).json()
            got += [x["id"] for x in body["data"]]
            if not body["meta"]["hasNextPage"]:
                return got
        raise AssertionError("too many pages")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://s", headers={"X-API-Key": KEY}
    ) as c:
        await all_ids(c, "asc")
        kept = state.page_index
        assert kept is not None
        for position in ("random", "start", "random", "end", "random"):
            state.settings.faults.drift_position = position  # type: ignore[assignment]
            for _ in range(7):
                editor.create_contact(state)
                editor.delete_contact(state)
            editor.delete_contact(state)
            expected = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY created_at, seq"
                )
            ]
            assert await all_ids(c, "asc") == expected, position
            assert await all_ids(c, "desc") == expected[::-1], position
        assert state.page_index is kept  # adjusted in place, never rebuilt
    app.close()
