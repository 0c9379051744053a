"""Tolerant readers for the API's response shapes.

Contacts, calls and audiences stay plain JSON dicts (camelCase, unknown fields and unknown enum
values kept as they are). Only the envelopes are parsed here, strictly enough that a body of the
wrong shape becomes `MalformedResponse` with one clear sentence instead of a KeyError later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gomoq.api.errors import MalformedResponse

META_FIELDS = ("page", "limit", "total", "totalPages", "hasNextPage", "hasPreviousPage")


@dataclass(frozen=True)
class PageMeta:
    """The six-field `meta` of a list answer."""

    page: int
    limit: int
    total: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool


@dataclass(frozen=True)
class Page:
    """One page of a list: the rows as JSON dicts, and the meta."""

    data: list[dict[str, Any]]
    meta: PageMeta


@dataclass(frozen=True)
class CreateResult:
    """A created contact and the custom attributes the server did not store.

    `attribute_errors` is kept as the server sent it (list or mapping; empty when absent).
    """

    contact: dict[str, Any]
    attribute_errors: Any = field(default_factory=list)
    raw: Any = None


@dataclass(frozen=True)
class UpsertResult:
    """What a bulk upsert did.

    `created`/`updated` are counts (or lists, if a server sends lists); `errors` are per-row
    errors (each with its row `index` on the sandbox); `contacts` the upserted contacts when the
    answer lists them under `data`; `attribute_errors` the custom attributes not stored.
    """

    created: Any
    updated: Any
    errors: list[Any]
    raw: Any
    contacts: list[dict[str, Any]] = field(default_factory=list)
    attribute_errors: list[Any] = field(default_factory=list)


def _malformed(what: str, where: str) -> MalformedResponse:
    return MalformedResponse(f"The answer to {where} is not the documented shape: {what}.")


def _int(meta: dict[str, Any], name: str, where: str) -> int:
    value = meta.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        # Some servers send numbers as strings; accept them if they are integral.
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise _malformed(f"meta.{name} is {value!r}, not a number", where)
    return int(value)


def _bool(meta: dict[str, Any], name: str, where: str) -> bool:
    value = meta.get(name)
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise _malformed(f"meta.{name} is {value!r}, not true or false", where)


def parse_page(body: Any, where: str) -> Page:
    """Validate a `{data: [...], meta: {...}}` envelope."""
    if not isinstance(body, dict):
        raise _malformed(f"expected an object with data and meta, got {type(body).__name__}", where)
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise _malformed("`data` is missing or not a list of objects", where)
    meta = body.get("meta")
    if not isinstance(meta, dict):
        raise _malformed("`meta` (page, limit, total, totalPages...) is missing", where)
    missing = [name for name in META_FIELDS if name not in meta]
    if missing:
        raise _malformed(f"`meta` lacks {', '.join(missing)}", where)
    return Page(
        data=data,
        meta=PageMeta(
            page=_int(meta, "page", where),
            limit=_int(meta, "limit", where),
            total=_int(meta, "total", where),
            total_pages=_int(meta, "totalPages", where),
            has_next_page=_bool(meta, "hasNextPage", where),
            has_previous_page=_bool(meta, "hasPreviousPage", where),
        ),
    )


def parse_object(body: Any, where: str) -> dict[str, Any]:
    """An answer that must be a JSON object."""
    if not isinstance(body, dict):
        raise _malformed(f"expected an object, got {type(body).__name__}", where)
    return body


def unwrap_contact(body: Any, where: str) -> dict[str, Any]:
    """A contact answered flat, or wrapped as `{contact: {...}}` (both documented)."""
    obj = parse_object(body, where)
    inner = obj.get("contact")
    if isinstance(inner, dict):
        return inner
    if "id" not in obj:
        raise _malformed("the contact has no id", where)
    return obj


def parse_create(body: Any, where: str) -> CreateResult:
    """Both create-response shapes: flat contact, or `{contact, attributeErrors}`."""
    obj = parse_object(body, where)
    contact = unwrap_contact(obj, where)
    if "id" not in contact:
        raise _malformed("the created contact has no id", where)
    errors = obj.get("attributeErrors") if "contact" in obj else None
    return CreateResult(contact=contact, attribute_errors=errors or [], raw=body)


def parse_list(body: Any, where: str) -> list[dict[str, Any]]:
    """A plain list, or a `{data: [...]}` envelope (with or without meta)."""
    rows = body.get("data") if isinstance(body, dict) else body
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise _malformed("expected a list of objects", where)
    return rows


def parse_upsert(body: Any, where: str) -> UpsertResult:
    """The upsert answer: the shape is undocumented, so read the likely names tolerantly."""
    obj = parse_object(body, where)
    data = obj.get("data")
    inner: dict[str, Any] = data if isinstance(data, dict) else obj
    errors = inner.get("errors", inner.get("failed", []))
    if not isinstance(errors, list):
        errors = [errors] if errors else []
    listed = obj.get("data")
    contacts: list[Any] = listed if isinstance(listed, list) else []
    attribute_errors = inner.get("attributeErrors") or []
    return UpsertResult(
        created=inner.get("created", 0),
        updated=inner.get("updated", 0),
        errors=errors,
        raw=body,
        contacts=[c for c in contacts if isinstance(c, dict)],
        attribute_errors=attribute_errors if isinstance(attribute_errors, list) else [],
    )
