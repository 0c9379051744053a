"""Audience routes (gomobile-api.md §5): `GET/POST /api/audience`, `GET/PUT/DELETE
/api/audience/{id}`, `GET /api/audience/{id}/contacts`, `POST .../add-contacts` and
`POST .../remove-contacts` with body `{"contacts": [uuid, ...]}`.

DOC: types static|live (immutable); create `{name 3-64, description? ≤256, type}`; update
`{name?, description?}`; add/remove only on static audiences; members carry active|exited.
INFERRED: list sorted by createdAt desc by default; `contactCount` = active members that are live
contacts; add/remove on a live audience → 409; at most 1000 ids per call; unknown or deleted
contact ids are reported in `notFound`, not an error; removing sets the membership `exited`;
re-adding an exited member makes it active again; soft-deleted contacts keep their membership
rows but are hidden from member lists (when deleted contacts are hidden); delete is soft.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gomoq.sandbox import contacts_db as cdb
from gomoq.sandbox.attributes import check_text
from gomoq.sandbox.contacts import includes_attributes, state_of
from gomoq.sandbox.db import now_iso
from gomoq.sandbox.validation import Problems
from gomoq.sandbox.web import (
    MAX_PAGE,
    ApiProblem,
    check_uuid,
    envelope,
    json_response,
    like_pattern,
    not_found,
    query_choice,
    query_int,
    query_search,
    read_object,
    validation_failed,
)

MAX_IDS = 1000
COUNT_SQL = (
    "SELECT count(*) FROM audience_members m JOIN contacts c ON c.id = m.contact_id "
    "WHERE m.audience_id = ? AND m.status = 'active' AND c.deleted_at IS NULL"
)


def audience_json(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """The API object of one audience, with its live active member count."""
    count = int(conn.execute(COUNT_SQL, (row["id"],)).fetchone()[0])
    return {
        "id": row["id"],
        "organizationId": row["organization_id"],
        "name": row["name"],
        "description": row["description"],
        "type": row["type"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "contactCount": count,
    }


def _fetch(request: Request) -> sqlite3.Row:
    audience_id = check_uuid(request.path_params["id"])
    row: sqlite3.Row | None = (
        state_of(request)
        .conn.execute("SELECT * FROM audiences WHERE id = ? AND deleted_at IS NULL", (audience_id,))
        .fetchone()
    )
    if row is None:
        raise not_found("Audience", audience_id)
    return row


async def list_audiences(request: Request) -> Response:
    """`GET /api/audience` with page, limit, search (name, description), sortBy, sortOrder."""
    state = state_of(request)
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    limit = query_int(request, "limit", 20, 1, 100)
    search = query_search(request)
    sort = {"name": "name", "createdAt": "created_at", "updatedAt": "updated_at"}[
        query_choice(request, "sortBy", "createdAt", ("name", "createdAt", "updatedAt"))
    ]
    order = query_choice(request, "sortOrder", "desc", ("asc", "desc")).upper()
    where, params = "deleted_at IS NULL", []
    if search:
        where += " AND (name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')"
        params = [like_pattern(search)] * 2
    total = int(
        state.conn.execute(f"SELECT count(*) FROM audiences WHERE {where}", params).fetchone()[0]
    )
    rows = state.conn.execute(
        f"SELECT * FROM audiences WHERE {where} ORDER BY {sort} {order}, id {order} "
        "LIMIT ? OFFSET ?",
        (*params, limit, (page - 1) * limit),
    ).fetchall()
    return envelope([audience_json(state.conn, r) for r in rows], page, limit, total)


def _check_body(body: dict[str, Any], *, creating: bool) -> None:
    problems = Problems()
    allowed = ("name", "description", "type") if creating else ("name", "description")
    for key in body:
        if key not in allowed:
            message = (
                "type cannot be changed after creation"
                if key == "type"
                else f"property {key} should not exist"
            )
            problems.add(key, message, "whitelistValidation")
    check_text(problems, body, "name", 3, 64, required=creating)
    check_text(problems, body, "description", 1, 256, required=False)
    if creating and body.get("type", "static") not in ("static", "live"):
        problems.add(
            "type",
            "type must be one of the following values: static, live",
            "isEnum",
            values=["static", "live"],
        )
    if problems:
        raise validation_failed(problems.errors, problems.details)


async def create_audience(request: Request) -> Response:
    """`POST /api/audience`: 201 with the audience (live audiences get no rules here)."""
    state = state_of(request)
    body = await read_object(request)
    _check_body(body, creating=True)
    audience_id, stamp = str(uuid.uuid4()), now_iso()
    state.conn.execute(
        "INSERT INTO audiences (id, organization_id, name, description, type, created_at, "
        "updated_at) VALUES (?,?,?,?,?,?,?)",
        (
            audience_id,
            state.org["org_id"],
            body["name"],
            body.get("description"),
            body.get("type", "static"),
            stamp,
            stamp,
        ),
    )
    row = state.conn.execute("SELECT * FROM audiences WHERE id = ?", (audience_id,)).fetchone()
    return json_response(audience_json(state.conn, row), 201)


async def get_audience(request: Request) -> Response:
    """`GET /api/audience/{id}`."""
    return json_response(audience_json(state_of(request).conn, _fetch(request)))


async def update_audience(request: Request) -> Response:
    """`PUT /api/audience/{id}`: name and/or description."""
    state = state_of(request)
    row = _fetch(request)
    body = await read_object(request)
    _check_body(body, creating=False)
    if body:
        state.conn.execute(
            "UPDATE audiences SET name = ?, description = ?, updated_at = ? WHERE id = ?",
            (
                body.get("name", row["name"]),
                body.get("description", row["description"]),
                now_iso(),
                row["id"],
            ),
        )
    return json_response(audience_json(state.conn, _fetch(request)))


async def delete_audience(request: Request) -> Response:
    """`DELETE /api/audience/{id}`: soft delete."""
    state = state_of(request)
    row = _fetch(request)
    stamp = now_iso()
    state.conn.execute(
        "UPDATE audiences SET deleted_at = ?, updated_at = ? WHERE id = ?",
        (stamp, stamp, row["id"]),
    )
    return json_response(
        {"id": row["id"], "deletedAt": stamp, "message": "Audience deleted successfully"}
    )


async def list_members(request: Request) -> Response:
    """`GET /api/audience/{id}/contacts`: contacts, each with `membershipStatus`."""
    state = state_of(request)
    row = _fetch(request)
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    limit = query_int(request, "limit", 20, 1, 100)
    status = request.query_params.get("membershipStatus")
    if status:
        query_choice(request, "membershipStatus", "active", ("active", "exited"))
    search = query_search(request)
    with_attrs = includes_attributes(request)
    where = ["m.audience_id = ?"]
    params: list[Any] = [row["id"]]
    if status:
        where.append("m.status = ?")
        params.append(status)
    if state.settings.deleted_contacts == "hidden":
        where.append("c.deleted_at IS NULL")
    if search:
        where.append(
            "(c.first_name LIKE ? ESCAPE '\\' OR c.last_name LIKE ? ESCAPE '\\' "
            "OR c.primary_phone LIKE ? ESCAPE '\\')"
        )
        params.extend([like_pattern(search)] * 3)
    clause = " AND ".join(where)
    joined = "FROM audience_members m JOIN contacts c ON c.id = m.contact_id"
    total = int(
        state.conn.execute(f"SELECT count(*) {joined} WHERE {clause}", params).fetchone()[0]
    )
    columns = ", ".join(f"c.{c.strip()}" for c in cdb.COLUMNS.split(","))
    rows = state.conn.execute(
        f"SELECT {columns}, m.status AS membership_status {joined} WHERE {clause} "
        "ORDER BY c.created_at, c.seq LIMIT ? OFFSET ?",
        (*params, limit, (page - 1) * limit),
    ).fetchall()
    data = []
    for r in rows:
        item = cdb.contact_json(state, r, with_attributes=with_attrs)
        item["membershipStatus"] = r["membership_status"]
        data.append(item)
    return envelope(data, page, limit, total)


async def _id_list(request: Request) -> list[str]:
    body = await read_object(request)
    ids = body.get("contacts")
    problems = Problems()
    for key in body:
        if key != "contacts":
            problems.add(key, f"property {key} should not exist", "whitelistValidation")
    if not isinstance(ids, list) or not ids:
        problems.add("contacts", "contacts must be a non-empty array of UUIDs", "isArray")
    elif len(ids) > MAX_IDS:
        problems.add(
            "contacts",
            f"contacts must contain no more than {MAX_IDS} elements",
            "arrayMaxSize",
            max=MAX_IDS,
        )
    else:
        for value in ids:
            try:
                uuid.UUID(value)
            except (ValueError, AttributeError, TypeError):
                problems.add("contacts", "each value in contacts must be a UUID", "isUuid")
                break
    if problems:
        raise validation_failed(problems.errors, problems.details)
    assert isinstance(ids, list)
    return list(dict.fromkeys(ids))


def _static(row: sqlite3.Row) -> None:
    if row["type"] != "static":
        raise ApiProblem(
            409,
            "AUDIENCE_NOT_STATIC",
            "Contacts can be added to or removed from static audiences only",
        )


async def add_contacts(request: Request) -> Response:
    """`POST /api/audience/{id}/add-contacts` `{contacts: [uuid, ...]}`."""
    state = state_of(request)
    row = _fetch(request)
    _static(row)
    ids = await _id_list(request)
    added, already, missing = 0, 0, []
    stamp = now_iso()
    conn = state.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        for contact_id in ids:
            if cdb.fetch(state, contact_id, include_deleted=False) is None:
                missing.append(contact_id)
                continue
            member = conn.execute(
                "SELECT status FROM audience_members WHERE audience_id = ? AND contact_id = ?",
                (row["id"], contact_id),
            ).fetchone()
            if member is not None and member["status"] == "active":
                already += 1
                continue
            conn.execute(
                "INSERT INTO audience_members (audience_id, contact_id, status, joined_at) "
                "VALUES (?, ?, 'active', ?) ON CONFLICT(audience_id, contact_id) DO UPDATE "
                "SET status = 'active', joined_at = excluded.joined_at, exited_at = NULL",
                (row["id"], contact_id, stamp),
            )
            added += 1
        conn.execute("UPDATE audiences SET updated_at = ? WHERE id = ?", (stamp, row["id"]))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return json_response({"added": added, "alreadyMembers": already, "notFound": missing})


async def remove_contacts(request: Request) -> Response:
    """`POST /api/audience/{id}/remove-contacts` `{contacts: [uuid, ...]}`: members exit."""
    state = state_of(request)
    row = _fetch(request)
    _static(row)
    ids = await _id_list(request)
    stamp = now_iso()
    removed, not_members = 0, []
    conn = state.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        for contact_id in ids:
            cursor = conn.execute(
                "UPDATE audience_members SET status = 'exited', exited_at = ? "
                "WHERE audience_id = ? AND contact_id = ? AND status = 'active'",
                (stamp, row["id"], contact_id),
            )
            if cursor.rowcount:
                removed += 1
            else:
                not_members.append(contact_id)
        conn.execute("UPDATE audiences SET updated_at = ? WHERE id = ?", (stamp, row["id"]))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return json_response({"removed": removed, "notMembers": not_members})


ROUTES = [
    Route("/api/audience", list_audiences, methods=["GET"]),
    Route("/api/audience", create_audience, methods=["POST"]),
    Route("/api/audience/{id}", get_audience, methods=["GET"]),
    Route("/api/audience/{id}", update_audience, methods=["PUT"]),
    Route("/api/audience/{id}", delete_audience, methods=["DELETE"]),
    Route("/api/audience/{id}/contacts", list_members, methods=["GET"]),
    Route("/api/audience/{id}/add-contacts", add_contacts, methods=["POST"]),
    Route("/api/audience/{id}/remove-contacts", remove_contacts, methods=["POST"]),
]
