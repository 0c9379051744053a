"""Custom-attribute definition routes: `GET/POST /api/custom-attributes`,
`GET/PATCH/DELETE /api/custom-attributes/{id}` (gomobile-api.md §4).

DOC: seven types; `name` is a slug of `displayName` and the key in contacts' customAttributes;
create `{displayName 3-64, description? 1-256, type}`; update only `description`; the type cannot
change; delete is soft. INFERRED: the list is paginated like every list (default limit 100);
slug = ASCII-folded displayName, lower case, runs of other characters → `_`; a slug already used
by a live definition → 409; values stored on contacts survive a definition's deletion.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gomoq.api.contract import ATTRIBUTE_TYPES
from gomoq.sandbox.contacts import state_of
from gomoq.sandbox.db import now_iso
from gomoq.sandbox.validation import Problems
from gomoq.sandbox.web import (
    MAX_PAGE,
    ApiProblem,
    check_uuid,
    envelope,
    json_response,
    not_found,
    query_int,
    read_object,
    validation_failed,
)

COLUMNS = (
    "id, organization_id, name, display_name, description, type, created_at, updated_at, "
    "deleted_at, created_by, updated_by, deleted_by"
)


def slugify(display_name: str) -> str:
    """`"Loyalty Points"` → `"loyalty_points"`; `"Date d'achat"` → `"date_d_achat"`."""
    folded = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")


def attribute_json(row: sqlite3.Row) -> dict[str, Any]:
    """The API object of one definition (DOC field names)."""
    return {
        "id": row["id"],
        "organizationId": row["organization_id"],
        "name": row["name"],
        "displayName": row["display_name"],
        "description": row["description"],
        "type": row["type"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "deletedAt": row["deleted_at"],
        "createdBy": row["created_by"],
        "updatedBy": row["updated_by"],
        "deletedBy": row["deleted_by"],
    }


def check_text(
    problems: Problems, body: dict[str, Any], name: str, low: int, high: int, *, required: bool
) -> None:
    """Record the length rule breaks of the optional or required text field `name`."""
    value = body.get(name)
    if value is None:
        if required:
            problems.add(name, f"{name} should not be empty", "isNotEmpty")
        return
    if not isinstance(value, str):
        problems.add(name, f"{name} must be a string", "isString")
    elif len(value) < low:
        problems.add(
            name, f"{name} must be longer than or equal to {low} characters", "minLength", min=low
        )
    elif len(value) > high:
        problems.add(
            name,
            f"{name} must be shorter than or equal to {high} characters",
            "maxLength",
            max=high,
        )


async def list_attributes(request: Request) -> Response:
    """`GET /api/custom-attributes`: live definitions, oldest first."""
    state = state_of(request)
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    limit = query_int(request, "limit", 100, 1, 100)
    total = int(
        state.conn.execute(
            "SELECT count(*) FROM custom_attributes WHERE deleted_at IS NULL"
        ).fetchone()[0]
    )
    rows = state.conn.execute(
        f"SELECT {COLUMNS} FROM custom_attributes WHERE deleted_at IS NULL "
        "ORDER BY created_at, id LIMIT ? OFFSET ?",
        (limit, (page - 1) * limit),
    ).fetchall()
    return envelope([attribute_json(r) for r in rows], page, limit, total)


async def create_attribute(request: Request) -> Response:
    """`POST /api/custom-attributes`: 201 with the definition."""
    state = state_of(request)
    body = await read_object(request)
    problems = Problems()
    for key in body:
        if key not in ("displayName", "description", "type"):
            problems.add(key, f"property {key} should not exist", "whitelistValidation")
    check_text(problems, body, "displayName", 3, 64, required=True)
    check_text(problems, body, "description", 1, 256, required=False)
    if body.get("type") not in ATTRIBUTE_TYPES:
        problems.add(
            "type",
            "type must be one of the following values: " + ", ".join(ATTRIBUTE_TYPES),
            "isEnum",
            values=list(ATTRIBUTE_TYPES),
        )
    slug = slugify(body["displayName"]) if isinstance(body.get("displayName"), str) else ""
    if not problems and not slug:
        problems.add(
            "displayName", "displayName must contain at least one letter or digit", "matches"
        )
    if problems:
        raise validation_failed(problems.errors, problems.details)
    if slug in state.attribute_defs():
        raise ApiProblem(
            409,
            "CUSTOM_ATTRIBUTE_ALREADY_EXISTS",
            f"A custom attribute named {slug} already exists",
        )
    attribute_id, stamp = str(uuid.uuid4()), now_iso()
    state.conn.execute(
        "INSERT INTO custom_attributes (id, organization_id, name, display_name, description, "
        "type, created_at, updated_at, created_by, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            attribute_id,
            state.org["org_id"],
            slug,
            body["displayName"],
            body.get("description"),
            body["type"],
            stamp,
            stamp,
            state.org["user_id"],
            state.org["user_id"],
        ),
    )
    state.attributes_generation += 1
    return json_response(attribute_json(_fetch(request, attribute_id)), 201)


def _fetch(request: Request, attribute_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = (
        state_of(request)
        .conn.execute(
            f"SELECT {COLUMNS} FROM custom_attributes WHERE id = ? AND deleted_at IS NULL",
            (attribute_id,),
        )
        .fetchone()
    )
    if row is None:
        raise not_found("Custom attribute", attribute_id)
    return row


async def get_attribute(request: Request) -> Response:
    """`GET /api/custom-attributes/{id}`."""
    row = _fetch(request, check_uuid(request.path_params["id"]))
    return json_response(attribute_json(row))


async def update_attribute(request: Request) -> Response:
    """`PATCH /api/custom-attributes/{id}`: only `description` may change (DOC)."""
    state = state_of(request)
    row = _fetch(request, check_uuid(request.path_params["id"]))
    body = await read_object(request)
    problems = Problems()
    for key in body:
        if key == "type":
            problems.add(key, "type cannot be changed after creation", "immutable")
        elif key != "description":
            problems.add(key, f"property {key} should not exist", "whitelistValidation")
    check_text(problems, body, "description", 1, 256, required=False)
    if problems:
        raise validation_failed(problems.errors, problems.details)
    if "description" in body:
        state.conn.execute(
            "UPDATE custom_attributes SET description = ?, updated_at = ?, updated_by = ? "
            "WHERE id = ?",
            (body["description"], now_iso(), state.org["user_id"], row["id"]),
        )
    return json_response(attribute_json(_fetch(request, row["id"])))


async def delete_attribute(request: Request) -> Response:
    """`DELETE /api/custom-attributes/{id}`: soft delete; contacts keep their stored values."""
    state = state_of(request)
    row = _fetch(request, check_uuid(request.path_params["id"]))
    stamp = now_iso()
    state.conn.execute(
        "UPDATE custom_attributes SET deleted_at = ?, deleted_by = ?, updated_at = ? WHERE id = ?",
        (stamp, state.org["user_id"], stamp, row["id"]),
    )
    state.attributes_generation += 1
    return json_response(
        {"id": row["id"], "deletedAt": stamp, "message": "Custom attribute deleted successfully"}
    )


ROUTES = [
    Route("/api/custom-attributes", list_attributes, methods=["GET"]),
    Route("/api/custom-attributes", create_attribute, methods=["POST"]),
    Route("/api/custom-attributes/{id}", get_attribute, methods=["GET"]),
    Route("/api/custom-attributes/{id}", update_attribute, methods=["PATCH"]),
    Route("/api/custom-attributes/{id}", delete_attribute, methods=["DELETE"]),
]
