"""Fetching the tables other than contacts into a sync's work folder (each one resumable as a
whole: a finished table is not fetched again by a resumed sync).

- `attribute_defs`: one `GET /custom-attributes`;
- `audiences` + `audience_members`: every audience (static and live), then every audience's
  members with their `membershipStatus`, pages read concurrently;
- `calls`: through the calls export (`POST /calls/export`, poll, download the CSV to the work
  folder, convert it lazily to Parquet) when the API offers it, else by paging `/calls`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import polars as pl

from gomoq.api import GomobileClient, Page
from gomoq.api.errors import ApiError, MalformedResponse, ServerError, TransportError
from gomoq.api.retry import repeat
from gomoq.cache.contacts_pager import PAGE_SIZE, WORKERS, read
from gomoq.cache.convert import (
    attribute_defs_frame,
    audiences_frame,
    calls_frame,
    calls_from_csv,
    members_frame,
)
from gomoq.cache.ordered import write_parts_in_order
from gomoq.cache.schema import empty_frame
from gomoq.cache.store import write_table
from gomoq.cache.work import CALL_PARTS, MEMBER_PARTS, WorkFolder
from gomoq.cache.workers import run_workers
from gomoq.progress import CancelFn, ProgressEvent, ProgressFn, check_cancel

log = logging.getLogger("gomoq.sync")
NO_EXPORT = (404, 405, 501)  # statuses meaning "this API has no calls export"
CALL_CHUNK_PAGES = 50


class PageCounter:
    """Pages fetched (for the sync's statistics) and pages to keep in flight."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.pages = 0
        self.workers = workers


async def all_pages(
    fetch: Callable[[int], Awaitable[Page]],
    counter: PageCounter,
    should_cancel: CancelFn | None,
    on_page: Callable[[Page], None] | None = None,
) -> list[dict[str, Any]]:
    """Every row of a paged list: page 1, then the rest concurrently, rows in page order."""
    check_cancel(should_cancel)
    first = await read(lambda: fetch(1))
    counter.pages += 1
    if on_page:
        on_page(first)
    pages: dict[int, Page] = {1: first}
    remaining = list(range(2, max(first.meta.total_pages, 1) + 1))

    async def worker() -> None:
        while remaining:
            number = remaining.pop(0)
            check_cancel(should_cancel)
            page = await read(functools.partial(fetch, number))
            counter.pages += 1
            pages[number] = page
            if on_page:
                on_page(page)

    if remaining:
        await run_workers(min(counter.workers, len(remaining)), worker)
    return [row for n in sorted(pages) for row in pages[n].data]


async def fetch_attribute_defs(
    client: GomobileClient, work: WorkFolder, progress: ProgressFn
) -> None:
    """The attribute definitions, in one request."""
    frame = attribute_defs_frame(await read(client.list_attribute_defs))
    work.finish_table("attribute_defs", frame.unique("id", keep="last", maintain_order=True))
    progress(
        ProgressEvent("attribute_defs", frame.height, frame.height, "definitions", finished=True)
    )


async def fetch_audiences(
    client: GomobileClient,
    work: WorkFolder,
    progress: ProgressFn,
    should_cancel: CancelFn | None,
    counter: PageCounter,
) -> None:
    """Audiences and their members (both tables written together, then marked done)."""
    rows = await all_pages(lambda p: client.list_audiences(p, PAGE_SIZE), counter, should_cancel)
    audiences = audiences_frame(rows).unique("id", keep="last", maintain_order=True)
    ids = audiences["id"].to_list()
    counts = {"audiences": 0, "members": 0}

    parts = work.parts_dir(MEMBER_PARTS)  # one file per finished audience: resumable

    async def one(audience_id: str) -> pl.DataFrame:
        def seen(page: Page) -> None:
            counts["members"] += len(page.data)

        # hashed: an id is the server's text and must not choose a path
        part = parts / f"{hashlib.sha256(audience_id.encode()).hexdigest()[:32]}.parquet"
        if part.exists():
            counts["audiences"] += 1
            return pl.read_parquet(part)
        members = await all_pages(
            lambda p: client.list_audience_members(audience_id, p, PAGE_SIZE),
            counter,
            should_cancel,
            seen,
        )
        counts["audiences"] += 1
        progress(
            ProgressEvent(
                "audiences",
                counts["audiences"],
                len(ids),
                "audiences",
                message=f"{counts['members']:,} memberships",
            )
        )
        frame = members_frame(audience_id, members)
        write_table(frame, part)
        return frame

    # one audience at a time (its pages concurrently): a few dozen requests waiting on the
    # pacer at once, not one batch per audience
    frames = [await one(a) for a in ids]
    members_all = pl.concat([empty_frame("audience_members"), *frames])
    members_all = members_all.unique(
        ["audience_id", "contact_id"], keep="last", maintain_order=True
    )
    work.finish_table("audience_members", members_all)
    work.finish_table("audiences", audiences)
    progress(
        ProgressEvent(
            "audiences",
            audiences.height,
            audiences.height,
            "audiences",
            message=f"{members_all.height:,} memberships",
            finished=True,
        )
    )


async def fetch_calls(
    client: GomobileClient,
    work: WorkFolder,
    progress: ProgressFn,
    should_cancel: CancelFn | None,
    counter: PageCounter,
    *,
    use_export: bool = True,
) -> None:
    """All call records: the export when available, else paging `/calls`.

    The export is taken in windows of createdAt of about `EXPORT_WINDOW_ROWS` calls each
    (`from` inclusive, `to` exclusive; the first and last windows open-ended), so a CSV never
    holds a whole large organisation in memory and a resumed sync keeps the finished windows.
    """
    if use_export:
        try:
            windows = await _export_windows(client, work)
            await _export_window(client, work, 0, windows[0], progress, should_cancel)
        except ApiError as exc:
            if exc.status not in NO_EXPORT:
                raise
            log.info("no calls export on this API (%s); paging /calls instead", exc.status)
        else:
            for index in range(1, len(windows)):
                await _export_window(client, work, index, windows[index], progress, should_cancel)
            parts = [_window_part(work, i) for i in range(len(windows))]
            # windows do not overlap; one row per id guards against a server ignoring the
            # filters
            rows = write_parts_in_order(parts, work.table_path("calls"), "calls", keep="first")
            work.mark_done("calls", rows)
            progress(ProgressEvent("calls", rows, rows, "calls", finished=True))
            return
    await _page_calls(client, work, progress, should_cancel, counter)


EXPORT_WINDOW_ROWS = 100_000


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def _export_windows(client: GomobileClient, work: WorkFolder) -> list[list[str | None]]:
    """The createdAt windows of this sync's export (chosen once, kept in the work state)."""
    saved = work.state.get("calls_windows")
    if isinstance(saved, list) and saved:
        return saved
    first = await read(lambda: client.list_calls(1, 1, sortOrder="asc"))
    windows: list[list[str | None]] = [[None, None]]
    count = math.ceil(first.meta.total / EXPORT_WINDOW_ROWS)
    if count > 1 and first.data:
        last = await read(lambda: client.list_calls(1, 1, sortOrder="desc"))
        try:
            low = datetime.fromisoformat(str(first.data[0]["createdAt"]).replace("Z", "+00:00"))
            high = datetime.fromisoformat(str(last.data[0]["createdAt"]).replace("Z", "+00:00"))
        except (KeyError, ValueError, IndexError):
            low = high = datetime.now(UTC)
        if high > low:
            step = (high - low) / count
            edges: list[str | None] = [_iso(low + step * i) for i in range(1, count)]
            bounds = [None, *edges, None]
            windows = [[bounds[i], bounds[i + 1]] for i in range(count)]
    work.state["calls_windows"] = windows
    work.save()
    return windows


def _window_part(work: WorkFolder, index: int) -> Any:
    return work.parts_dir(CALL_PARTS) / f"export-{index:04d}.parquet"


async def _export_window(
    client: GomobileClient,
    work: WorkFolder,
    index: int,
    window: list[str | None],
    progress: ProgressFn,
    should_cancel: CancelFn | None,
) -> None:
    """One window of the export: request, wait, download to a file, convert to a Parquet part."""
    part = _window_part(work, index)
    if part.exists():
        return
    check_cancel(should_cancel)
    filters = {k: v for k, v in (("from", window[0]), ("to", window[1])) if v is not None}
    # A POST the client will not re-send after an unknown outcome, but one a sync may repeat:
    # it only starts another export.
    export_id = await repeat(
        lambda: client.start_calls_export(filters),
        (MalformedResponse, ServerError, TransportError),
    )
    progress(ProgressEvent("calls", 0, None, "calls", message=f"export window {index + 1}"))
    await read(lambda: client.wait_calls_export(export_id))
    check_cancel(should_cancel)
    text = await read(lambda: client.download_calls_export(export_id))
    csv_path = work.path / f"calls-{index:04d}.csv"
    csv_path.write_text(text, encoding="utf-8")
    del text  # keep one copy at a time
    tmp = part.with_name(f".{part.name}.tmp")
    calls_from_csv(csv_path).sink_parquet(tmp, compression="zstd")
    os.replace(tmp, part)
    csv_path.unlink(missing_ok=True)


async def _page_calls(
    client: GomobileClient,
    work: WorkFolder,
    progress: ProgressFn,
    should_cancel: CancelFn | None,
    counter: PageCounter,
) -> None:
    """`/calls` page by page (oldest first, so new calls only add pages at the end)."""
    first = await read(lambda: client.list_calls(1, PAGE_SIZE, sortOrder="asc"))
    counter.pages += 1
    total_pages = max(1, math.ceil(first.meta.total / PAGE_SIZE))
    parts_dir = work.parts_dir(CALL_PARTS)
    done_rows = {"n": 0}

    def part(chunk: int) -> Any:
        return parts_dir / f"chunk-{chunk:06d}.parquet"

    chunks = list(range(math.ceil(total_pages / CALL_CHUNK_PAGES)))
    pending = [c for c in chunks if not part(c).exists()]

    async def worker() -> None:
        while pending:
            chunk = pending.pop(0)
            rows: list[dict[str, Any]] = []
            start = chunk * CALL_CHUNK_PAGES + 1
            for number in range(start, min(start + CALL_CHUNK_PAGES, total_pages + 1)):
                check_cancel(should_cancel)
                page = (
                    first
                    if number == 1
                    else await read(
                        functools.partial(client.list_calls, number, PAGE_SIZE, sortOrder="asc")
                    )
                )
                counter.pages += number != 1
                rows.extend(page.data)
                done_rows["n"] += len(page.data)
                progress(ProgressEvent("calls", done_rows["n"], first.meta.total, "calls"))
            write_table(calls_frame(rows), part(chunk))

    if pending:
        await run_workers(min(max(1, counter.workers // 2), len(pending)), worker)
    files = [part(c) for c in chunks]
    # A call seen on two pages (pages drift as calls arrive): its last reading is kept.
    rows = write_parts_in_order(files, work.table_path("calls"), "calls", keep="last")
    work.mark_done("calls", rows)
    progress(ProgressEvent("calls", rows, rows, "calls", finished=True))
