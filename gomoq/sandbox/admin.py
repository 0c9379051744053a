"""Run-time control of a running sandbox, outside `/api` and protected by the same API key:

- `GET /_admin/faults`, `PUT /_admin/faults` (partial JSON object of `Faults` fields);
- `GET /_admin/settings`, `PUT /_admin/settings` (partial `SandboxSettings`, `faults` nested);
- `GET /_admin/editor` → `{requests, log}`: what the concurrent editor changed so far;
- `GET /_admin/health` → `{ok, contacts, warmed}` (what `runner.start_background` waits for;
  `warmed`: the start-up page-map build is over).

A change of `faults.seed` restarts the fault and editor random streams; a change of
`rate_limit` empties the token buckets.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gomoq.sandbox.contacts import state_of
from gomoq.sandbox.settings import SettingsError, apply_update, as_dict
from gomoq.sandbox.web import json_response, read_json, validation_failed


async def get_faults(request: Request) -> Response:
    """The fault switches now in force."""
    return json_response(as_dict(state_of(request).settings.faults))


async def put_faults(request: Request) -> Response:
    """Change some fault switches (all or nothing)."""
    state = state_of(request)
    body = await read_json(request)
    try:
        apply_update(state.settings.faults, body)
    except SettingsError as exc:
        raise validation_failed(exc.field_errors, {}) from None
    if isinstance(body, dict) and "seed" in body:
        state.reseed(state.settings.faults.seed)
    return json_response(as_dict(state.settings.faults))


async def get_settings(request: Request) -> Response:
    """Every switch now in force (never the API key)."""
    return json_response(as_dict(state_of(request).settings))


async def put_settings(request: Request) -> Response:
    """Change some behaviour switches and/or faults (all or nothing)."""
    state = state_of(request)
    body = await read_json(request)
    old_rate, old_seed = state.settings.rate_limit, state.settings.faults.seed
    try:
        apply_update(state.settings, body)
    except SettingsError as exc:
        raise validation_failed(exc.field_errors, {}) from None
    if state.settings.rate_limit != old_rate:
        state.limiter.reset()
    if state.settings.faults.seed != old_seed:
        state.reseed(state.settings.faults.seed)
    return json_response(as_dict(state.settings))


async def editor_log(request: Request) -> Response:
    """The concurrent editor's changes so far."""
    state = state_of(request)
    return json_response({"requests": state.request_count, "log": state.editor_log})


async def health(request: Request) -> Response:
    """Liveness probe for the runner."""
    state = state_of(request)
    return json_response({"ok": True, "contacts": state.live_count(), "warmed": state.warmed})


ROUTES = [
    Route("/_admin/faults", get_faults, methods=["GET"]),
    Route("/_admin/faults", put_faults, methods=["PUT"]),
    Route("/_admin/settings", get_settings, methods=["GET"]),
    Route("/_admin/settings", put_settings, methods=["PUT"]),
    Route("/_admin/editor", editor_log, methods=["GET"]),
    Route("/_admin/health", health, methods=["GET"]),
]
