"""Sandbox-server test helpers: a hand-made organisation whose every row is known, the app over
it and an httpx client talking to it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gomoq.sandbox.app import SandboxApp, create_app
from gomoq.sandbox.settings import SandboxSettings
from tests.sandbox_fixtures import SMALL_ORG_KEY, build_small_org

KEY = SMALL_ORG_KEY


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    """30 known contacts, 7 attribute definitions, one static audience, 60 calls."""
    return build_small_org(tmp_path / "small.sqlite3", contacts=30)


@pytest.fixture
def app(small_db: Path) -> Iterator[SandboxApp]:
    """The app over `small_db`, rate limit off."""
    application = create_app(small_db, SandboxSettings(rate_limit=0))
    yield application
    application.close()


@pytest.fixture
async def client(app: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated in-process client."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.test", headers={"X-API-Key": KEY}
    ) as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The response is the documented error body with `status` (and `code`)."""
    assert response.status_code == status, response.text
    body = response.json()
    for key in ("code", "statusCode", "message", "error", "timestamp", "path"):
        assert key in body, (key, body)
    assert body["statusCode"] == status
    assert body["path"] == response.request.url.path
    if code is not None:
        assert body["code"] == code, body
    return body
