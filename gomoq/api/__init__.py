"""The Gomobile API client: the only package that imports httpx (DESIGN.md).

    from gomoq.api import open_client
    async with open_client(profile) as client:
        me = await client.me()

Errors are in `gomoq.api.errors`; the test hook is `gomoq.api.testing.in_process(app)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gomoq.api.client import GomobileClient
from gomoq.api.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
)
from gomoq.api.models import CreateResult, Page, PageMeta, UpsertResult

if TYPE_CHECKING:
    from gomoq.config import Profile

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "CreateResult",
    "Forbidden",
    "GomobileClient",
    "MalformedResponse",
    "NotFound",
    "Page",
    "PageMeta",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "UpsertResult",
    "open_client",
]


def open_client(profile: Profile, **overrides: object) -> GomobileClient:
    """A client for `profile` (base URL, key, auth scheme, rate limit, update method).

    `overrides` are passed to `GomobileClient` (e.g. `timeout=5.0`, `max_retries=0`).
    """
    options: dict[str, object] = {
        "auth_scheme": profile.auth_scheme,
        "rate_limit": profile.rate_limit,
        "update_method": profile.update_method,
    }
    options.update(overrides)
    return GomobileClient(profile.base_url, profile.api_key, **options)  # type: ignore[arg-type]
