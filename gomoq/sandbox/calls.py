"""Call routes (gomobile-api.md §6.1): `GET /api/calls`, `GET /api/calls/{id}`, and the
asynchronous CSV export `POST /api/calls/export` → `GET /api/calls/exports/{id}` → download.

INFERRED (the docs name the operations only): filters `contactId`, `status` (one value or a
comma-separated list; unknown statuses simply match nothing), `from` (inclusive) and `to`
(exclusive) on `createdAt`, ISO date-times with `Z` or an offset; order createdAt asc (sortOrder
switches it). The export takes the same filters as a JSON body, answers 202 `{id, status}`, stays
`processing` for at least `export_delay_ms`, then `completed` with a `downloadUrl` on this server
valid `export_url_ttl_s` seconds (`?token=` signed with the API key; no key header needed), whose
answer is the CSV with a header row of the call JSON's camelCase names.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gomoq.api.contract import DATETIME_RE
from gomoq.sandbox import db as sdb
from gomoq.sandbox import paging
from gomoq.sandbox.contacts import state_of
from gomoq.sandbox.state import SandboxState, dumps
from gomoq.sandbox.validation import Problems
from gomoq.sandbox.web import (
    MAX_PAGE,
    ApiProblem,
    check_uuid,
    envelope,
    json_response,
    not_found,
    query_choice,
    query_int,
    read_object,
    validation_failed,
)

FIELDS = (
    ("id", "id"),
    ("contactId", "contact_id"),
    ("phoneNumber", "phone_number"),
    ("status", "status"),
    ("direction", "direction"),
    ("createdAt", "created_at"),
    ("answeredAt", "answered_at"),
    ("endedAt", "ended_at"),
    ("durationMs", "duration_ms"),
)
FILTERS = ("contactId", "status", "from", "to")


def call_json(row: sqlite3.Row) -> dict[str, Any]:
    """The API object of one call."""
    return {api: row[col] for api, col in FIELDS}


def _utc(value: str) -> str:
    """An ISO date-time with zone → the database's `...Z` string form, for comparisons."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_filters(raw: dict[str, Any]) -> dict[str, Any]:
    """Validated filters (query parameters or the export body) → a clean dict; 400 otherwise."""
    problems = Problems()
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None or value == "":
            continue
        if key not in FILTERS:
            problems.add(key, f"property {key} should not exist", "whitelistValidation")
        elif not isinstance(value, str):
            problems.add(key, f"{key} must be a string", "isString")
        elif key == "contactId":
            try:
                uuid.UUID(value)
                clean[key] = value
            except ValueError:
                problems.add(key, "contactId must be a UUID", "isUuid")
        elif key == "status":
            clean[key] = [s.strip() for s in value.split(",") if s.strip()]
        elif not DATETIME_RE.match(value):
            problems.add(key, f"{key} must be an ISO 8601 date-time with a time zone", "isISO8601")
        else:
            try:
                clean[key] = _utc(value)
            except ValueError:
                problems.add(
                    key, f"{key} must be an ISO 8601 date-time with a time zone", "isISO8601"
                )
    if problems:
        raise validation_failed(problems.errors, problems.details)
    return clean


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if "contactId" in filters:
        where.append("contact_id = ?")
        params.append(filters["contactId"])
    if filters.get("status"):
        where.append(f"status IN ({', '.join('?' for _ in filters['status'])})")
        params.extend(filters["status"])
    if "from" in filters:
        where.append("created_at >= ?")
        params.append(filters["from"])
    if "to" in filters:
        where.append("created_at < ?")
        params.append(filters["to"])
    return (f" WHERE {' AND '.join(where)}" if where else ""), params


async def list_calls(request: Request) -> Response:
    """`GET /api/calls` with page, limit, sortOrder and the filters."""
    state = state_of(request)
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    limit = query_int(request, "limit", 20, 1, 100)
    order = query_choice(request, "sortOrder", "asc", ("asc", "desc")).upper()
    known = ("page", "limit", "sortOrder")
    filters = parse_filters(
        {k: v for k, v in request.query_params.items() if k not in known and k in FILTERS}
    )
    if not filters:
        # The server never writes calls: the count and the page map are built once.
        if state.calls_total is None:
            state.calls_total = int(state.conn.execute("SELECT count(*) FROM calls").fetchone()[0])
        rows, state.calls_index = paging.page_rows(
            state.conn,
            state.calls_index,
            0,
            offset=(page - 1) * limit,
            limit=limit,
            total=state.calls_total,
            descending=order == "DESC",
            columns="*",
            spec=paging.ALL_CALLS,
        )
        return envelope([call_json(r) for r in rows], page, limit, state.calls_total)
    clause, params = _where(filters)
    total = int(state.conn.execute(f"SELECT count(*) FROM calls{clause}", params).fetchone()[0])
    rows = state.conn.execute(
        f"SELECT * FROM calls{clause} ORDER BY created_at {order}, seq {order} LIMIT ? OFFSET ?",
        (*params, limit, (page - 1) * limit),
    ).fetchall()
    return envelope([call_json(r) for r in rows], page, limit, total)


async def get_call(request: Request) -> Response:
    """`GET /api/calls/{id}`."""
    call_id = check_uuid(request.path_params["id"])
    row = state_of(request).conn.execute("SELECT * FROM calls WHERE id = ?", (call_id,)).fetchone()
    if row is None:
        raise not_found("Call", call_id)
    return json_response(call_json(row))


def build_csv(db_path: Path, filters: dict[str, Any]) -> tuple[bytes, int]:
    """The export's CSV (own connection: runs in a worker thread)."""
    conn = sdb.connect(db_path, create=False)
    try:
        clause, params = _where(filters)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([api for api, _ in FIELDS])
        count = 0
        cursor = conn.execute(
            f"SELECT {', '.join(col for _, col in FIELDS)} FROM calls{clause} "
            "ORDER BY created_at, seq",
            params,
        )
        while batch := cursor.fetchmany(10_000):
            writer.writerows(["" if v is None else v for v in row] for row in batch)
            count += len(batch)
        return out.getvalue().encode("utf-8"), count
    finally:
        conn.close()


async def _run_export(state: SandboxState, export_id: str, filters: dict[str, Any]) -> None:
    started = time.monotonic()
    try:
        data, count = await asyncio.to_thread(build_csv, state.db_path, filters)
        status = "completed"
    except Exception:  # a failed job is reported by its status, as a real async job would
        data, count, status = b"", 0, "failed"
    remaining = state.settings.export_delay_ms / 1000 - (time.monotonic() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
    try:
        state.conn.execute(
            "UPDATE call_exports SET status = ?, completed_at = ?, row_count = ?, csv = ? "
            "WHERE id = ?",
            (status, sdb.now_iso(), count, data, export_id),
        )
    except sqlite3.ProgrammingError:  # the app was closed meanwhile (shutdown, end of a test)
        return


async def start_export(request: Request) -> Response:
    """`POST /api/calls/export` (body: the filters) → 202 `{id, status: "processing"}`."""
    state = state_of(request)
    filters = parse_filters(await read_object(request))
    export_id = str(uuid.uuid4())
    state.conn.execute(
        "INSERT INTO call_exports (id, status, filters, created_at) VALUES (?, 'processing', ?, ?)",
        (export_id, dumps(filters), sdb.now_iso()),
    )
    task = asyncio.create_task(_run_export(state, export_id, filters))
    state.background.add(task)
    task.add_done_callback(state.background.discard)
    return json_response({"id": export_id, "status": "processing"}, 202)


def _token(state: SandboxState, export_id: str, expires: int) -> str:
    message = f"{export_id}:{expires}".encode()
    return hmac.new(state.api_key.encode(), message, hashlib.sha256).hexdigest()[:32]


async def get_export(request: Request) -> Response:
    """`GET /api/calls/exports/{id}`: status, and when completed a short-lived `downloadUrl`."""
    state = state_of(request)
    export_id = check_uuid(request.path_params["id"])
    row = state.conn.execute(
        "SELECT id, status, filters, created_at, completed_at, row_count FROM call_exports "
        "WHERE id = ?",
        (export_id,),
    ).fetchone()
    if row is None:
        raise not_found("Export", export_id)
    body: dict[str, Any] = {
        "id": row["id"],
        "status": row["status"],
        "filters": orjson.loads(row["filters"]),
        "createdAt": row["created_at"],
        "completedAt": row["completed_at"],
        "rowCount": row["row_count"],
    }
    if row["status"] == "completed":
        expires = int(time.time()) + state.settings.export_url_ttl_s
        base = str(request.base_url).rstrip("/")
        body["downloadUrl"] = (
            f"{base}/api/calls/exports/{export_id}/download?expires={expires}"
            f"&token={_token(state, export_id, expires)}"
        )
        body["expiresAt"] = datetime.fromtimestamp(expires).astimezone().isoformat()
    return json_response(body)


async def download_export(request: Request) -> Response:
    """The CSV behind a `downloadUrl`; 403 once the link has expired or was tampered with."""
    state = state_of(request)
    export_id = check_uuid(request.path_params["id"])
    expires_raw = request.query_params.get("expires", "")
    token = request.query_params.get("token", "")
    expires = int(expires_raw) if expires_raw.isdigit() else 0
    good = hmac.compare_digest(
        token.encode("utf-8", "replace"), _token(state, export_id, expires).encode()
    )
    if not good or expires < time.time():
        raise ApiProblem(
            403,
            "DOWNLOAD_LINK_INVALID",
            "This download link is invalid or has expired; ask for the export again",
        )
    row = state.conn.execute(
        "SELECT status, csv FROM call_exports WHERE id = ?", (export_id,)
    ).fetchone()
    if row is None or row["status"] != "completed":
        raise not_found("Export", export_id)
    return Response(
        bytes(row["csv"] or b""),
        200,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="calls-{export_id}.csv"'},
    )


ROUTES = [
    Route("/api/calls", list_calls, methods=["GET"]),
    Route("/api/calls/export", start_export, methods=["POST"]),
    Route("/api/calls/exports/{id}", get_export, methods=["GET"]),
    Route("/api/calls/exports/{id}/download", download_export, methods=["GET"]),
    Route("/api/calls/{id}", get_call, methods=["GET"]),
]
