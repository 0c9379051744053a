"""HTTP plumbing shared by every sandbox route: JSON responses, the documented error body, request
body and query parsing, and the list envelope.

Every error leaves as Gomobile's error body (gomobile-api.md §2.2, DOC):
`{code, fieldErrors, fieldDetails, statusCode, message, error, timestamp, path}`.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from gomoq.sandbox.db import now_iso

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_PAGE = 1_000_000_000  # INFERRED cap: keeps OFFSET inside SQLite's 64-bit integers

REASONS: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}

FieldErrors = dict[str, list[str]]
FieldDetails = dict[str, list[dict[str, Any]]]


class ApiProblem(Exception):
    """An error answer: raised anywhere in a route, rendered by the app's exception handler."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field_errors: FieldErrors | None = None,
        field_details: FieldDetails | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field_errors = field_errors
        self.field_details = field_details
        self.headers = headers or {}


def validation_failed(field_errors: FieldErrors, field_details: FieldDetails) -> ApiProblem:
    """The 400 answer for a body or query that broke field rules."""
    first = next(iter(field_errors.values()))[0] if field_errors else "Validation failed"
    return ApiProblem(
        400,
        "VALIDATION_FAILED",
        first,
        field_errors=field_errors,
        field_details=field_details,
    )


def not_found(what: str, ident: str) -> ApiProblem:
    """The 404 answer for an id that is not (or no longer) in the key's organisation."""
    return ApiProblem(404, "NOT_FOUND", f"{what} with id {ident} was not found")


def error_body(problem: ApiProblem, path: str) -> dict[str, Any]:
    """The documented error body for `problem` at request path `path`."""
    body: dict[str, Any] = {
        "code": problem.code,
        "statusCode": problem.status,
        "message": problem.message,
        "error": REASONS.get(problem.status, "ERROR"),
        "timestamp": now_iso(),
        "path": path,
    }
    if problem.field_errors is not None:
        body["fieldErrors"] = problem.field_errors
    if problem.field_details is not None:
        body["fieldDetails"] = problem.field_details
    return body


def error_response(problem: ApiProblem, path: str) -> Response:
    """`problem` rendered as a JSON response with its status and extra headers."""
    return json_response(error_body(problem, path), problem.status, problem.headers)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response encoded with orjson (fast enough for 100-contact pages)."""
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


def _is_json_type(value: str | None) -> bool:
    """`application/json` or a `+json` type (parameters such as a charset aside)."""
    media = (value or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json(request: Request) -> Any:
    """The request's JSON body; 415 when it is not declared JSON (the real API's body parser
    reads only JSON bodies: a `text/plain` one never reaches validation), 400 on an empty or
    broken body, 413 on a huge one. A client that hangs up mid-body is answered 499 (nobody
    reads it), not a traceback on the server's stderr."""
    declared = request.headers.get("content-type")
    if declared is not None and not _is_json_type(declared):
        raise _not_json()
    try:
        return await _read_json(request, typed=declared is not None)
    except ClientDisconnect:
        raise ApiProblem(499, "CLIENT_CLOSED_REQUEST", "The client closed the request") from None


def _not_json() -> ApiProblem:
    return ApiProblem(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Request body must be sent with Content-Type: application/json",
    )


async def _read_json(request: Request, *, typed: bool) -> Any:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiProblem(413, "PAYLOAD_TOO_LARGE", "Request body is larger than 16 MB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiProblem(413, "PAYLOAD_TOO_LARGE", "Request body is larger than 16 MB")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise ApiProblem(400, "INVALID_JSON", "Request body must be a JSON document")
    if not typed:  # a body without a Content-Type is not read as JSON either
        raise _not_json()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiProblem(400, "INVALID_JSON", f"Request body is not valid JSON: {exc}") from None


async def read_object(request: Request) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise validation_failed(
            {"body": ["body must be a JSON object"]}, {"body": [{"code": "isObject", "params": {}}]}
        )
    return body


def query_int(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    """An integer query parameter within [low, high]; 400 otherwise."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    # ASCII digits only: Python's int() also reads "1_0", " 10" and Arabic-Indic "١٠", which
    # the real API's validation (class-validator) refuses
    value = int(raw) if raw.isascii() and raw.isdigit() else None
    if value is None or value < low or (high is not None and value > high):
        bound = f" and at most {high}" if high is not None else ""
        raise validation_failed(
            {name: [f"{name} must be an integer of at least {low}{bound}"]},
            {name: [{"code": "range", "params": {"min": low, "max": high}}]},
        )
    return value


def query_choice(request: Request, name: str, default: str, allowed: tuple[str, ...]) -> str:
    """A query parameter from a fixed set; 400 otherwise (INFERRED: rejected, not ignored)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise validation_failed(
            {name: [f"{name} must be one of the following values: {', '.join(allowed)}"]},
            {name: [{"code": "isEnum", "params": {"values": list(allowed)}}]},
        )
    return raw


def query_search(request: Request, name: str = "search") -> str | None:
    """The free-text `search` parameter (≤ 100 characters, DOC)."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    if len(raw) > 100:
        raise validation_failed(
            {name: [f"{name} must be shorter than or equal to 100 characters"]},
            {name: [{"code": "maxLength", "params": {"max": 100}}]},
        )
    return raw


def check_uuid(value: str, name: str = "id") -> str:
    """`value` if it is a UUID; 400 otherwise (DOC: UUID fields must be valid UUIDs)."""
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise validation_failed(
            {name: [f"{name} must be a UUID"]}, {name: [{"code": "isUuid", "params": {}}]}
        ) from None
    return value


def like_pattern(term: str) -> str:
    """A LIKE pattern matching `term` anywhere, with LIKE's wildcards escaped (ESCAPE '\\')."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_meta(page: int, limit: int, total: int) -> dict[str, Any]:
    """The six documented meta fields."""
    pages = math.ceil(total / limit) if total else 0
    return {
        "page": page,
        "limit": limit,
        "total": total,
        "totalPages": pages,
        "hasNextPage": page < pages,
        "hasPreviousPage": page > 1,
    }


def envelope(data: list[Any], page: int, limit: int, total: int) -> Response:
    """A list answer: `{data, meta}`."""
    return json_response({"data": data, "meta": page_meta(page, limit, total)})
