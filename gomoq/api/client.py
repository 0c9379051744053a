"""`GomobileClient`: the async Gomobile API client (style habits 6-8).

One client per session. The endpoints live here (JSON dicts in, JSON dicts out, camelCase as
the API speaks); pacing, retries, timeouts and error mapping live in `transport.HttpSession`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from gomoq.api import retry as retry_policy
from gomoq.api.errors import ApiError, MalformedResponse, MethodNotAllowed, TransportError
from gomoq.api.models import (
    CreateResult,
    Page,
    UpsertResult,
    parse_create,
    parse_list,
    parse_object,
    parse_page,
    parse_upsert,
    unwrap_contact,
)
from gomoq.api.transport import DEFAULT_MAX_IN_FLIGHT, HttpSession

log = logging.getLogger("gomoq.api")

DOWNLOAD_TIMEOUT = 300.0  # seconds, for a calls-export CSV
UPDATE_METHODS = ("auto", "put", "patch")


def _segment(value: object) -> str:
    """A path segment from an id, escaped so an odd id cannot change the path."""
    return quote(str(value), safe="")


class GomobileClient(HttpSession):
    """The Gomobile API, paced, retried and typed. Use `async with` or call `aclose()`.

    `update_method`: "auto" tries PATCH for contact updates and, on 405, switches to PUT for
    the rest of the session; "put" and "patch" use only that method. See `HttpSession` for
    the other options.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        auth_scheme: str = "x-api-key",
        rate_limit: float = 10.0,
        timeout: float = 30.0,
        max_retries: int = 6,
        update_method: str = "auto",
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        retry_after_cap: float = retry_policy.RETRY_AFTER_CAP,
        backoff_base: float = retry_policy.BASE_DELAY,
        backoff_cap: float = retry_policy.MAX_DELAY,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if update_method not in UPDATE_METHODS:
            raise ValueError(f"unknown update_method {update_method!r}")
        super().__init__(
            base_url,
            api_key,
            auth_scheme=auth_scheme,
            rate_limit=rate_limit,
            timeout=timeout,
            max_retries=max_retries,
            max_in_flight=max_in_flight,
            retry_after_cap=retry_after_cap,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            transport=transport,
        )
        self._update_method = update_method

    @property
    def update_method(self) -> str:
        """`auto` until the server's preference is known, then `put` or `patch`."""
        return self._update_method

    # -- users ---------------------------------------------------------------------------------

    async def me(self) -> dict[str, Any]:
        """`GET /users/me`: the key's user and its `organization {id, name, slug}`."""
        return parse_object(await self._request("GET", "/users/me"), "GET /users/me")

    # -- contacts ------------------------------------------------------------------------------

    async def list_contacts(
        self,
        page: int,
        limit: int = 100,
        *,
        include_custom_attributes: bool = True,
        sort_by: str = "createdAt",
        sort_order: str = "asc",
        search: str | None = None,
    ) -> Page:
        """One page of `GET /contact`."""
        params: dict[str, Any] = {
            "page": page,
            "limit": limit,
            "sortBy": sort_by,
            "sortOrder": sort_order,
            "search": search,
        }
        if include_custom_attributes:
            params["include"] = "customAttributes"
        body = await self._request("GET", "/contact", params=params)
        return parse_page(body, f"GET /contact?page={page}")

    async def get_contact(self, contact_id: str) -> dict[str, Any]:
        """`GET /contact/{id}` (with its custom attributes)."""
        path = f"/contact/{_segment(contact_id)}"
        return unwrap_contact(await self._request("GET", path), f"GET {path}")

    async def create_contact(self, body: Mapping[str, Any]) -> CreateResult:
        """`POST /contact`; never retried after a timeout (see `retry`)."""
        return parse_create(
            await self._request("POST", "/contact", json_body=dict(body)), "POST /contact"
        )

    async def update_contact(self, contact_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Update a contact by PATCH or PUT per `update_method` (auto: PATCH, PUT on 405)."""
        path = f"/contact/{_segment(contact_id)}"
        if self._update_method in ("auto", "patch"):
            try:
                answer = await self._request("PATCH", path, json_body=dict(body))
            except MethodNotAllowed:
                if self._update_method != "auto":
                    raise
                log.info("the server refuses PATCH on contacts; using PUT from now on")
                self._update_method = "put"
            else:
                if self._update_method == "auto":
                    self._update_method = "patch"
                return unwrap_contact(answer, f"PATCH {path}")
        return unwrap_contact(await self._request("PUT", path, json_body=dict(body)), f"PUT {path}")

    async def delete_contact(self, contact_id: str) -> dict[str, Any]:
        """`DELETE /contact/{id}` (a soft delete); returns the body, `{}` when empty."""
        path = f"/contact/{_segment(contact_id)}"
        answer = await self._request("DELETE", path)
        return answer if isinstance(answer, dict) else {"result": answer}

    async def upsert_contacts(self, rows: list[Mapping[str, Any]]) -> UpsertResult:
        """`POST /contact/upsert` with `{data: rows}` (≤ 1000 rows; matched on primaryPhone)."""
        if len(rows) > 1000:
            raise ValueError("upsert takes at most 1000 rows per request")
        body = {"data": [dict(r) for r in rows]}
        return parse_upsert(
            await self._request("POST", "/contact/upsert", json_body=body), "POST /contact/upsert"
        )

    # -- custom attributes ---------------------------------------------------------------------

    async def list_attribute_defs(self) -> list[dict[str, Any]]:
        """`GET /custom-attributes` (a list, or a `{data}` envelope)."""
        return parse_list(
            await self._request("GET", "/custom-attributes"), "GET /custom-attributes"
        )

    async def create_attribute_def(
        self, display_name: str, type: str, description: str | None = None
    ) -> dict[str, Any]:
        """`POST /custom-attributes`; returns the definition (its `name` is the slug)."""
        body: dict[str, Any] = {"displayName": display_name, "type": type}
        if description is not None:
            body["description"] = description
        answer = await self._request("POST", "/custom-attributes", json_body=body)
        obj = parse_object(answer, "POST /custom-attributes")
        inner = obj.get("data")
        return inner if isinstance(inner, dict) else obj

    # -- audiences -----------------------------------------------------------------------------

    async def list_audiences(self, page: int, limit: int = 100) -> Page:
        """One page of `GET /audience`."""
        body = await self._request("GET", "/audience", params={"page": page, "limit": limit})
        return parse_page(body, f"GET /audience?page={page}")

    async def get_audience(self, audience_id: str) -> dict[str, Any]:
        """`GET /audience/{id}`."""
        path = f"/audience/{_segment(audience_id)}"
        return parse_object(await self._request("GET", path), f"GET {path}")

    async def create_audience(self, name: str, description: str | None = None) -> dict[str, Any]:
        """`POST /audience` for a static audience; never retried after a timeout."""
        body: dict[str, Any] = {"name": name, "type": "static"}
        if description:
            body["description"] = description
        answer = parse_object(
            await self._request("POST", "/audience", json_body=body), "POST /audience"
        )
        inner = answer.get("data")
        return inner if isinstance(inner, dict) else answer

    async def delete_audience(self, audience_id: str) -> dict[str, Any]:
        """`DELETE /audience/{id}`; returns the body, `{}` when empty."""
        path = f"/audience/{_segment(audience_id)}"
        answer = await self._request("DELETE", path)
        return answer if isinstance(answer, dict) else {"result": answer}

    async def list_audience_members(self, audience_id: str, page: int, limit: int = 100) -> Page:
        """One page of `GET /audience/{id}/contacts` (contacts with `membershipStatus`)."""
        path = f"/audience/{_segment(audience_id)}/contacts"
        body = await self._request("GET", path, params={"page": page, "limit": limit})
        return parse_page(body, f"GET {path}?page={page}")

    async def add_audience_contacts(self, audience_id: str, ids: list[str]) -> dict[str, Any]:
        """`POST /audience/{id}/add-contacts` with `{contacts: ids}`."""
        path = f"/audience/{_segment(audience_id)}/add-contacts"
        answer = await self._request("POST", path, json_body={"contacts": list(ids)})
        return answer if isinstance(answer, dict) else {"result": answer}

    async def remove_audience_contacts(self, audience_id: str, ids: list[str]) -> dict[str, Any]:
        """`POST /audience/{id}/remove-contacts` with `{contacts: ids}`."""
        path = f"/audience/{_segment(audience_id)}/remove-contacts"
        answer = await self._request("POST", path, json_body={"contacts": list(ids)})
        return answer if isinstance(answer, dict) else {"result": answer}

    # -- calls ---------------------------------------------------------------------------------

    async def list_calls(self, page: int, limit: int = 100, **filters: Any) -> Page:
        """One page of `GET /calls`; `filters` are passed as query parameters (None dropped)."""
        params = {"page": page, "limit": limit, **filters}
        body = await self._request("GET", "/calls", params=params)
        return parse_page(body, f"GET /calls?page={page}")

    async def start_calls_export(self, filters: Mapping[str, Any] | None = None) -> str:
        """`POST /calls/export`; returns the export id."""
        answer = await self._request("POST", "/calls/export", json_body=dict(filters or {}))
        obj = parse_object(answer, "POST /calls/export")
        data = obj.get("data")
        inner: dict[str, Any] = data if isinstance(data, dict) else obj
        export_id = inner.get("id") or inner.get("exportId")
        if not isinstance(export_id, str | int) or isinstance(export_id, bool):
            raise MalformedResponse("The answer to POST /calls/export has no export id.")
        return str(export_id)

    async def get_calls_export(self, export_id: str) -> dict[str, Any]:
        """`GET /calls/exports/{id}`: its status and, when ready, a download URL."""
        path = f"/calls/exports/{_segment(export_id)}"
        obj = parse_object(await self._request("GET", path), f"GET {path}")
        inner = obj.get("data")
        return inner if isinstance(inner, dict) else obj

    async def download_calls_export(self, export_id: str) -> str:
        """The CSV text of a finished export (the key is sent only to the API's own origin)."""
        export = await self.get_calls_export(export_id)
        url = export.get("url") or export.get("downloadUrl") or export.get("fileUrl")
        if not isinstance(url, str) or not url:
            status = export.get("status", "unknown")
            raise MalformedResponse(
                f"The calls export {export_id} has no download URL (status {status})."
            )
        absolute = urljoin(self.base_url + "/", url)
        # A whole organisation's calls can be tens of MB: allow more than one page's timeout.
        text = await self._request(
            "GET",
            urlsplit(absolute).path,
            text=True,
            absolute_url=absolute,
            timeout=max(self.timeout, DOWNLOAD_TIMEOUT),
        )
        assert isinstance(text, str)
        return text

    async def wait_calls_export(
        self, export_id: str, *, poll: float = 0.5, timeout: float = 300.0
    ) -> dict[str, Any]:
        """Poll an export until it has a download URL or fails; returns the export."""
        deadline = time.monotonic() + timeout
        while True:
            export = await self.get_calls_export(export_id)
            status = str(export.get("status", "")).lower()
            if export.get("url") or export.get("downloadUrl") or export.get("fileUrl"):
                return export
            if status in ("failed", "error", "expired", "cancelled"):
                raise ApiError(f"The calls export {export_id} ended with status {status}.")
            if time.monotonic() > deadline:
                raise TransportError(
                    f"The calls export {export_id} was not ready after {timeout:g} s."
                )
            await asyncio.sleep(poll)
