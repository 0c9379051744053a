"""Helpers for the client's pure tests: a scripted fake server over `httpx.MockTransport`.

Only the pacing/retry/error-mapping logic is tested this way; behaviour against the Gomobile
contract is tested against the in-process sandbox (test_sandbox_client.py).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from gomoq.api import GomobileClient

KEY = "gm_test_key_5f1c9a7e2b"
BASE = "https://api.example.test/api"

Handler = Callable[[httpx.Request], Awaitable[httpx.Response] | httpx.Response]


class Recorder:
    """Wraps a handler and records each request with its arrival time."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        result = self.handler(request)
        if isinstance(result, httpx.Response):
            return result
        return await result

    @property
    def count(self) -> int:
        return len(self.requests)


def make_client(handler: Handler, **kwargs: Any) -> tuple[GomobileClient, Recorder]:
    """A client on a fake server; fast backoff by default so retry tests stay quick."""
    recorder = Recorder(handler)
    options: dict[str, Any] = {
        "rate_limit": 1000.0,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "timeout": 2.0,
    }
    options.update(kwargs)
    client = GomobileClient(BASE, KEY, transport=httpx.MockTransport(recorder), **options)
    return client, recorder


def page_body(rows: list[dict[str, Any]], page: int = 1, total_pages: int = 1) -> dict[str, Any]:
    """A valid list envelope."""
    return {
        "data": rows,
        "meta": {
            "page": page,
            "limit": 100,
            "total": len(rows),
            "totalPages": total_pages,
            "hasNextPage": page < total_pages,
            "hasPreviousPage": page > 1,
        },
    }


def error_body(status: int, code: str, message: str = "", **extra: Any) -> dict[str, Any]:
    """A Gomobile-shaped error body."""
    return {
        "code": code,
        "statusCode": status,
        "message": message,
        "error": code,
        "timestamp": "2026-01-01T00:00:00Z",
        "path": "/api/contact",
        **extra,
    }
