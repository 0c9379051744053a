"""The sandbox ASGI app: `create_app(db_path, settings)`.

Serve it with uvicorn (`gomoq sandbox`, `gomoq.sandbox.runner`) or mount it in-process with
`httpx.ASGITransport` (tests). `app.state.sandbox` is the live `SandboxState` (switches, faults,
rate limiter, editor log). Every error, including unknown routes (404), wrong methods (405),
broken JSON and unknown properties (400), answers with Gomobile's documented error body.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gomoq.sandbox import admin, attributes, audiences, calls, contacts
from gomoq.sandbox.gate import Gate
from gomoq.sandbox.settings import SandboxSettings
from gomoq.sandbox.state import SandboxState, open_state
from gomoq.sandbox.web import REASONS, ApiProblem, error_response


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return error_response(exc, request.url.path)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404:
        problem = ApiProblem(404, "NOT_FOUND", f"Cannot {request.method} {request.url.path}")
    elif status == 405:
        problem = ApiProblem(
            405,
            "METHOD_NOT_ALLOWED",
            f"Cannot {request.method} {request.url.path}",
            headers=dict(exc.headers or {}),
        )
    else:
        problem = ApiProblem(status, REASONS.get(status, "ERROR"), str(exc.detail))
    return error_response(problem, request.url.path)


class SandboxApp:
    """The ASGI callable: the gate in front of the Starlette routes; `.state.sandbox` is live."""

    def __init__(self, inner: Starlette, state: SandboxState) -> None:
        self.inner = inner
        self.state = inner.state
        self._gate: ASGIApp = Gate(inner, state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._gate(scope, receive, send)

    @property
    def sandbox(self) -> SandboxState:
        """The live state (same object as `app.state.sandbox`)."""
        state: SandboxState = self.inner.state.sandbox
        return state

    def close(self) -> None:
        """Close the database connection (the runner calls this on shutdown)."""
        self.sandbox.conn.close()


def create_app(db_path: Path, settings: SandboxSettings | None = None) -> SandboxApp:
    """The sandbox over the SQLite database at `db_path` (generated beforehand)."""
    state = open_state(Path(db_path), settings)
    inner = Starlette(
        routes=[
            *contacts.ROUTES,
            *attributes.ROUTES,
            *audiences.ROUTES,
            *calls.ROUTES,
            *admin.ROUTES,
        ],
        exception_handlers={ApiProblem: _problem, HTTPException: _http_error},
    )
    inner.state.sandbox = state
    return SandboxApp(inner, state)
