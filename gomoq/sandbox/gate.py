"""The ASGI layer in front of every route: API-key check, rate limit, fault injection, and the
`X-RateLimit-*` headers on every `/api` answer.

Order per `/api` request: key (401) → rate limit (429, with `Retry-After`) → concurrent editor →
latency → faults `before` (drop / 5xx) → the route → faults `after` → malformed body. `/_admin`
needs the same key but is never rate-limited nor faulted. A calls-export download URL carries its
own short-lived token instead of the key (like a pre-signed URL).

Dropped connection: under uvicorn the socket is closed with no answer at all; in-process (httpx's
ASGITransport, which has no socket) a `ConnectionResetError` is raised instead, which httpx passes
to the caller — `gomoq.api` must treat it as a transport error.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gomoq.sandbox import editor
from gomoq.sandbox.state import SandboxState
from gomoq.sandbox.web import ApiProblem, error_body, json_response

DOWNLOAD_SUFFIX = "/download"
log = logging.getLogger("gomoq.sandbox")


class DroppedConnection(ConnectionResetError):
    """Raised in-process when the drop fault strikes (no socket to close)."""


def api_key_of(headers: Headers) -> str | None:
    """The key from `X-API-Key` (DOC G2/G3) or `Authorization: Bearer` (DOC G1)."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class Gate:
    """Wraps the Starlette app; reads the live `SandboxState` at each request."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_api = path == "/api" or path.startswith("/api/")
        is_admin = path == "/_admin" or path.startswith("/_admin/")
        if not (is_api or is_admin):
            await self.app(scope, receive, send)
            return
        state = self.state
        headers = Headers(scope=scope)
        key = api_key_of(headers)
        presigned = (
            is_api and path.startswith("/api/calls/exports/") and path.endswith(DOWNLOAD_SUFFIX)
        )
        if not presigned and (
            key is None
            or not hmac.compare_digest(
                key.encode("utf-8", "surrogateescape"), state.api_key.encode()
            )
        ):
            message = "Missing API key" if key is None else "Invalid API key"
            await _send_problem(scope, send, ApiProblem(401, "UNAUTHORIZED", message), {})
            return
        if is_admin:
            await self.app(scope, receive, send)
            return
        limit_headers: dict[str, str] = {}
        rate = state.settings.rate_limit
        if rate > 0:
            decision = state.limiter.take(key or "presigned", rate)
            limit_headers = decision.headers()
            if not decision.allowed:
                problem = ApiProblem(
                    429,
                    "RATE_LIMIT_EXCEEDED",
                    f"Too many requests: at most {decision.limit:g} per second per API key",
                )
                await _send_problem(scope, send, problem, limit_headers)
                return
        await self._faulted(scope, receive, send, limit_headers)

    async def _faulted(
        self, scope: Scope, receive: Receive, send: Send, limit_headers: dict[str, str]
    ) -> None:
        state = self.state
        faults = state.settings.faults
        state.request_count += 1
        if (
            faults.editor_every_requests
            or faults.editor_interval_ms
            or faults.creates_per_request
            or faults.deletes_per_request
        ):
            editor.tick(state)
        rng = state.fault_rng
        # Draw every number at every request so that a seeded run is repeatable whatever the rates.
        r_drop, r_error, r_malformed, r_jitter = (rng.random() for _ in range(4))
        error_status = (500, 502, 503)[rng.randrange(3)]
        delay = (
            state.settings.latency_ms + faults.latency_ms + int(r_jitter * faults.latency_jitter_ms)
        )
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        drop = r_drop < faults.drop_rate
        error = not drop and r_error < faults.error_rate
        if faults.phase == "before":
            if drop:
                await _drop(receive)
                return
            if error:
                await _send_problem(scope, send, _injected(error_status), limit_headers)
                return
        status, headers, body = await _run_buffered(self.app, scope, receive)
        if drop:
            await _drop(receive)
            return
        if error:
            await _send_problem(scope, send, _injected(error_status), limit_headers)
            return
        is_json = any(
            k.lower() == b"content-type" and v.startswith(b"application/json") for k, v in headers
        )
        if is_json and r_malformed < faults.malformed_rate:
            status = 200
            body = body[: max(1, len(body) // 2)] if len(body) > 2 else b'{"data": ['
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", b"application/json"))
        out = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        out.append((b"content-length", str(len(body)).encode()))
        out.extend((k.lower().encode(), v.encode()) for k, v in limit_headers.items())
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})


def _injected(status: int) -> ApiProblem:
    messages = {
        500: "Internal server error (injected by the sandbox)",
        502: "Bad gateway (injected by the sandbox)",
        503: "Service unavailable (injected by the sandbox)",
    }
    headers = {"Retry-After": "1"} if status == 503 else {}
    return ApiProblem(status, "INTERNAL_ERROR", messages[status], headers=headers)


async def _send_problem(
    scope: Scope, send: Send, problem: ApiProblem, extra: dict[str, str]
) -> None:
    response = json_response(
        error_body(problem, scope["path"]), problem.status, {**extra, **problem.headers}
    )
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def _run_buffered(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the route and keep its whole answer (bodies are small JSON pages or one CSV)."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, capture)
    except Exception:  # a bug must still answer with the documented body, never kill the server
        log.exception("Sandbox route failed: %s %s", scope.get("method"), scope["path"])
        problem = ApiProblem(500, "INTERNAL_ERROR", "Internal server error")
        body = orjson.dumps(error_body(problem, scope["path"]))
        return 500, [(b"content-type", b"application/json")], body
    return int(start.get("status", 500)), list(start.get("headers", [])), b"".join(chunks)


async def _drop(receive: Receive) -> None:
    """Close the client's connection without answering (see the module docstring)."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise DroppedConnection("The sandbox dropped the connection (drop_rate fault)")
    transport.close()
    # Let uvicorn notice the closed socket before the app returns, so it sends nothing.
    for _ in range(3):
        await asyncio.sleep(0)
