"""The API client's error tree (style habit 8): one class per status, one for transport.

Every message is one sentence for a human, with the base URL, the method and path, the status and
Gomobile's `code` — and never the API key (messages pass through `gomoq.secrets.redact`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gomoq.errors import GomoqError
from gomoq.secrets import redact


class ApiError(GomoqError):
    """An answer (or the lack of one) from the Gomobile API that the caller must handle.

    Attributes: `status` (HTTP status, None for transport errors), `code` (Gomobile's machine
    code such as `VALIDATION_FAILED`), `field_errors` (field -> messages), `path` (request path),
    `method`, `body` (the decoded error body, or None), and `outcome_unknown`: True when a
    non-idempotent request may or may not have been carried out (re-read state before retrying).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field_errors: Mapping[str, list[str]] | None = None,
        path: str | None = None,
        method: str | None = None,
        body: Any = None,
        outcome_unknown: bool = False,
        hint: str | None = None,
    ) -> None:
        super().__init__(redact(message), hint=hint)
        self.status = status
        self.code = code
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        self.path = path
        self.method = method
        self.body = body
        self.outcome_unknown = outcome_unknown


class BadRequest(ApiError):
    """400: the request was invalid (see `field_errors`)."""


class Unauthorized(ApiError):
    """401: the key is missing, invalid, expired, disabled or revoked."""

    exit_code = 2


class PaymentRequired(ApiError):
    """402: the organisation lacks credits."""


class Forbidden(ApiError):
    """403: the key's role or the organisation's services forbid this request."""


class NotFound(ApiError):
    """404: no such resource in the key's organisation."""


class MethodNotAllowed(ApiError):
    """405: the server does not offer this method on this path (e.g. PATCH vs PUT)."""


class Conflict(ApiError):
    """409: duplicate resource or state conflict."""


class RateLimited(ApiError):
    """429: too many requests; `retry_after` is the server's advice in seconds (or None)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed."""


class TransportError(ApiError):
    """No usable answer: unreachable host, timeout, dropped connection.

    `outcome_unknown` is True when the request may have reached the server (a timeout or a
    dropped connection after sending a non-idempotent request): read the state back before
    doing it again.
    """


class MalformedResponse(ApiError):
    """The server answered, but not with the documented shape (bad JSON, missing `meta`...)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: PaymentRequired,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    422: BadRequest,
    429: RateLimited,
}


def error_class(status: int) -> type[ApiError]:
    """The class for an HTTP error status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


def _field_errors(body: Any) -> dict[str, list[str]]:
    raw = body.get("fieldErrors") if isinstance(body, dict) else None
    out: dict[str, list[str]] = {}
    if isinstance(raw, dict):
        for field, messages in raw.items():
            if isinstance(messages, list):
                out[str(field)] = [str(m) for m in messages]
            elif messages is not None:
                out[str(field)] = [str(messages)]
    return out


def _describe_field_errors(errors: Mapping[str, list[str]], limit: int = 3) -> str:
    parts = [f"{field} {'; '.join(msgs)}" for field, msgs in list(errors.items())[:limit]]
    more = len(errors) - limit
    if more > 0:
        parts.append(f"and {more} more field(s)")
    return ", ".join(parts)


def from_response(
    status: int,
    body: Any,
    *,
    method: str,
    path: str,
    base_url: str,
    retry_after: float | None = None,
    outcome_unknown: bool = False,
) -> ApiError:
    """Build the right `ApiError` for an error response, with a readable sentence."""
    code = body.get("code") if isinstance(body, dict) else None
    code = str(code) if code is not None else None
    server_msg = body.get("message") if isinstance(body, dict) else None
    if isinstance(server_msg, list):  # some NestJS-style servers send a list of messages
        server_msg = "; ".join(str(m) for m in server_msg)
    fields = _field_errors(body)
    label = f"{status} {code}" if code else str(status)
    request = f"{method} {path}"
    if status == 401:
        text = f"The API key was rejected ({label}) by {base_url}: check the profile's key."
    elif status == 403:
        text = (
            f"The API key is not allowed to do {request} ({label}) at {base_url}: "
            "its role or the organisation's services forbid it."
        )
    elif status == 404:
        text = f"{request} was not found ({label}) at {base_url}."
    elif status == 429:
        wait = f" (the server asks to wait {retry_after:g} s)" if retry_after else ""
        text = f"{base_url} is rate limiting requests ({label}) on {request}{wait}."
    elif status >= 500:
        text = f"{base_url} failed on {request} ({label})"
        text += f": {server_msg}." if server_msg else "."
        if outcome_unknown:
            text += " The request may or may not have been carried out: re-read before retrying."
    else:
        text = f"{base_url} refused {request} ({label})"
        if fields:
            text += f": {_describe_field_errors(fields)}."
        elif server_msg:
            text += f": {str(server_msg).rstrip('.')}."
        else:
            text += "."
    cls = error_class(status)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "field_errors": fields,
        "path": path,
        "method": method,
        "body": body,
        "outcome_unknown": outcome_unknown,
    }
    if cls is RateLimited:
        return RateLimited(text, retry_after=retry_after, **kwargs)
    return cls(text, **kwargs)
