"""Contact routes: `GET /api/users/me`, `/api/contact` list/create, `/api/contact/{id}`
get/update/delete, and `POST /api/contact/upsert`.

Choices where the docs are silent (gomoq/sandbox/README.md lists them with DOC/INFERRED marks):
list default order createdAt asc; unsupported `sortBy` → 400; search is a case-insensitive
substring match over first/last/full name, phone and email; create answers
`{contact, attributeErrors}` (switch: flat); PUT and PATCH are both partial updates (switch:
only one of them, the other answering 405); 409 on create or phone change to a phone a live
contact already has exactly (switch); delete is soft, hidden from lists and 404 by id (switch:
shown with `deletedAt`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gomoq.sandbox import contacts_db as cdb
from gomoq.sandbox import paging
from gomoq.sandbox.state import SandboxState
from gomoq.sandbox.validation import check_contact, split_attributes
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
    read_json,
    read_object,
    validation_failed,
)

SORT_COLUMNS = {
    "createdAt": "created_at",
    "firstName": "first_name",
    "lastName": "last_name",
    "primaryPhone": "primary_phone",
    "primaryEmail": "primary_email",
}
MAX_UPSERT = 1000


def state_of(request: Request) -> SandboxState:
    """The app's `SandboxState`."""
    state: SandboxState = request.app.state.sandbox
    return state


async def me(request: Request) -> Response:
    """`GET /api/users/me`: the key's user and organisation (DOC fields)."""
    org = state_of(request).org
    return json_response(
        {
            "id": org["user_id"],
            "email": org["user_email"],
            "firstName": "Sandbox",
            "lastName": "Owner",
            "role": "admin",
            "organization": {"id": org["org_id"], "name": org["org_name"], "slug": org["org_slug"]},
        }
    )


def includes_attributes(request: Request) -> bool:
    """Whether `include=customAttributes` was asked for (any other value → 400)."""
    raw = request.query_params.get("include") or ""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    unknown = [p for p in parts if p != "customAttributes"]
    if unknown:
        raise validation_failed(
            {"include": ["include must be one of the following values: customAttributes"]},
            {"include": [{"code": "isEnum", "params": {"values": ["customAttributes"]}}]},
        )
    return bool(parts)


async def list_contacts(request: Request) -> Response:
    """`GET /api/contact` with page, limit, search, sortBy, sortOrder, include."""
    state = state_of(request)
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    limit = query_int(request, "limit", 20, 1, 100)
    search = query_search(request)
    sort_by = query_choice(request, "sortBy", "createdAt", tuple(SORT_COLUMNS))
    order = query_choice(request, "sortOrder", "asc", ("asc", "desc"))
    with_attrs = includes_attributes(request)
    hidden = state.settings.deleted_contacts == "hidden"
    offset = (page - 1) * limit
    if hidden and search is None and sort_by == "createdAt":
        total = state.live_count()
        rows = _fast_page(state, offset, limit, order, total)
    else:
        where, params = [], []
        if hidden:
            where.append("deleted_at IS NULL")
        if search is not None:
            pattern = like_pattern(search)
            where.append(
                "("
                + " OR ".join(
                    f"{c} LIKE ? ESCAPE '\\'"
                    for c in (
                        "first_name",
                        "last_name",
                        "full_name",
                        "primary_phone",
                        "primary_email",
                    )
                )
                + ")"
            )
            params.extend([pattern] * 5)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total = int(
            state.conn.execute(f"SELECT count(*) FROM contacts{clause}", params).fetchone()[0]
        )
        direction = "DESC" if order == "desc" else "ASC"
        column = SORT_COLUMNS[sort_by]
        rows = state.conn.execute(
            f"SELECT {cdb.COLUMNS} FROM contacts{clause} "
            f"ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
    data = [cdb.contact_json(state, r, with_attributes=with_attrs) for r in rows]
    return envelope(data, page, limit, total)


def _fast_page(state: SandboxState, offset: int, limit: int, order: str, total: int) -> list[Any]:
    rows, state.page_index = paging.page_rows(
        state.conn,
        state.page_index,
        state.order_generation,
        offset=offset,
        limit=limit,
        total=total,
        descending=order == "desc",
        columns=cdb.COLUMNS,
    )
    return rows


def _prepare(
    state: SandboxState, body: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    problems = check_contact(body, creating=creating)
    if problems:
        raise validation_failed(problems.errors, problems.details)
    given = body.get("customAttributes") or {}
    return split_attributes(given, state.attribute_defs())


def _conflict(phone: str, owner: str) -> ApiProblem:
    return ApiProblem(
        409,
        "CONTACT_ALREADY_EXISTS",
        f"A contact with primaryPhone {phone} already exists (id {owner})",
    )


def _created_body(state: SandboxState, contact: dict[str, Any], errors: list[Any]) -> Any:
    if state.settings.create_envelope == "flat":
        return {**contact, "attributeErrors": errors}
    return {"contact": contact, "attributeErrors": errors}


async def create_contact(request: Request) -> Response:
    """`POST /api/contact`: 201 `{contact, attributeErrors}`."""
    state = state_of(request)
    body = await read_object(request)
    accepted, rejected = _prepare(state, body, creating=True)
    if state.settings.duplicate_phone_conflict:
        owner = cdb.phone_owner(state, body["primaryPhone"])
        if owner:
            raise _conflict(body["primaryPhone"], owner)
    row = cdb.insert(state, body, accepted)
    contact = cdb.contact_json(state, row, with_attributes=True)
    return json_response(_created_body(state, contact, rejected), 201)


def _load(request: Request, *, for_write: bool) -> Any:
    state = state_of(request)
    contact_id = check_uuid(request.path_params["id"])
    shown = state.settings.deleted_contacts == "shown" and not for_write
    row = cdb.fetch(state, contact_id, include_deleted=shown)
    if row is None:
        raise not_found("Contact", contact_id)
    return row


async def get_contact(request: Request) -> Response:
    """`GET /api/contact/{id}`: always with customAttributes (DOC)."""
    row = _load(request, for_write=False)
    return json_response(cdb.contact_json(state_of(request), row, with_attributes=True))


async def update_contact(request: Request) -> Response:
    """`PUT`/`PATCH /api/contact/{id}`: partial update, answered like a create (200)."""
    state = state_of(request)
    method = request.method.lower()
    if state.settings.update_method not in ("both", method):
        raise ApiProblem(
            405,
            "METHOD_NOT_ALLOWED",
            f"Cannot {request.method} {request.url.path}",
            headers={"Allow": f"GET, {state.settings.update_method.upper()}, DELETE"},
        )
    row = _load(request, for_write=True)
    body = await read_object(request)
    accepted, rejected = _prepare(state, body, creating=False)
    phone = body.get("primaryPhone")
    if state.settings.duplicate_phone_conflict and phone and phone != row["primary_phone"]:
        owner = cdb.phone_owner(state, phone, exclude_id=row["id"])
        if owner:
            raise _conflict(phone, owner)
    fresh = cdb.update(state, row, body, accepted)
    contact = cdb.contact_json(state, fresh, with_attributes=True)
    return json_response(_created_body(state, contact, rejected))


async def delete_contact(request: Request) -> Response:
    """`DELETE /api/contact/{id}`: soft delete, 200."""
    state = state_of(request)
    row = _load(request, for_write=True)
    stamp = cdb.soft_delete(state, row["id"])
    return json_response(
        {"id": row["id"], "deletedAt": stamp, "message": "Contact deleted successfully"}
    )


async def upsert_contacts(request: Request) -> Response:
    """`POST /api/contact/upsert` `{data: [...]}` (≤ 1000): per-row create or update.

    Matched on the phone string exactly as stored, against the oldest live contact with it;
    rows that break field rules are reported in `errors` and skipped; the others are applied
    in one transaction. Answer 200 `{created, updated, errors, attributeErrors, data}`.
    """
    state = state_of(request)
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) != {"data"} or not isinstance(body["data"], list):
        raise validation_failed(
            {"data": ["body must be an object with one property, data, an array of contacts"]},
            {"data": [{"code": "isArray", "params": {}}]},
        )
    rows = body["data"]
    if not 1 <= len(rows) <= MAX_UPSERT:
        raise validation_failed(
            {"data": [f"data must contain between 1 and {MAX_UPSERT} elements"]},
            {"data": [{"code": "arrayMaxSize", "params": {"min": 1, "max": MAX_UPSERT}}]},
        )
    defs = state.attribute_defs()
    created = updated = 0
    errors: list[dict[str, Any]] = []
    attribute_errors: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    conn = state.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        for index, item in enumerate(rows):
            if not isinstance(item, dict):
                errors.append(
                    {
                        "index": index,
                        "primaryPhone": None,
                        "fieldErrors": {"data": ["each element must be an object"]},
                    }
                )
                continue
            problems = check_contact(item, creating=True)
            if problems:
                phone = item.get("primaryPhone")
                errors.append(
                    {
                        "index": index,
                        "primaryPhone": phone if isinstance(phone, str) else None,
                        "fieldErrors": problems.errors,
                        "fieldDetails": problems.details,
                    }
                )
                continue
            accepted, rejected = split_attributes(item.get("customAttributes") or {}, defs)
            attribute_errors.extend({"index": index, **e} for e in rejected)
            owner = cdb.phone_owner(state, item["primaryPhone"])
            if owner is None:
                row = cdb.insert(state, item, accepted)
                created += 1
            else:
                existing = cdb.fetch(state, owner, include_deleted=False)
                assert existing is not None
                row = cdb.update(state, existing, item, accepted)
                updated += 1
            out.append(cdb.contact_json(state, row, with_attributes=True))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        state.contacts_changed()
        raise
    return json_response(
        {
            "created": created,
            "updated": updated,
            "errors": errors,
            "attributeErrors": attribute_errors,
            "data": out,
        }
    )


ROUTES = [
    Route("/api/users/me", me, methods=["GET"]),
    Route("/api/contact", list_contacts, methods=["GET"]),
    Route("/api/contact", create_contact, methods=["POST"]),
    Route("/api/contact/upsert", upsert_contacts, methods=["POST"]),
    Route("/api/contact/{id}", get_contact, methods=["GET"]),
    Route("/api/contact/{id}", update_contact, methods=["PUT", "PATCH"]),
    Route("/api/contact/{id}", delete_contact, methods=["DELETE"]),
]
