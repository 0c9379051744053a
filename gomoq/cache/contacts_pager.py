"""Reading every contact by page, resumably, and repairing page drift.

The API pages contacts by number (`limit=100`, `sortBy=createdAt`, `sortOrder=asc`). A contact
created or deleted while the pages are read shifts the later pages: a delete before the read
point makes the next page skip one contact, a create makes it repeat one. A *pass* reads pages
1..N concurrently into chunks of `CHUNK_PAGES` pages, each persisted in the work folder (so a
killed sync resumes with the chunks it has). Then it is judged:

- clean: every page, and a probe before and after, announced the same `meta.total`; no id came
  twice; the number of distinct ids equals that total;
- quiet: no contact read in the pass is new *and* recently written (updatedAt within the pass,
  minus `clock_margin_s` for clock skew) — a create during the pass that did not happen to
  change the counts. "New" means absent from the previous pass (in pass 1: from the current
  snapshot, if any), so mere edits by other users do not keep the sync repairing.

A pass that is clean and quiet (or clean and with exactly the ids of the previous pass: the id
set is stable) is the result. Otherwise the contacts are read again, up to `max_passes`, and a
server that never settles is one clear error. Within the accepted pass a contact read twice
keeps its latest version (updatedAt).

Known limit (no page-based method can see it): a create and a delete that both land before the
read point within one pass cancel out in every count and leave no new row to see; the next sync
picks them up.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import polars as pl

from gomoq.api import GomobileClient
from gomoq.api.errors import MalformedResponse
from gomoq.api.retry import repeat
from gomoq.cache.convert import contacts_frame
from gomoq.cache.work import WorkFolder
from gomoq.cache.workers import run_workers
from gomoq.errors import GomoqError
from gomoq.progress import CancelFn, ProgressEvent, ProgressFn, check_cancel

log = logging.getLogger("gomoq.sync")
T = TypeVar("T")
PAGE_SIZE = 100
CHUNK_PAGES = 10
WORKERS = 16  # most pages in flight at once
IN_FLIGHT_S = 0.8  # latency up to which `workers_for` still reaches the rate limit


def workers_for(rate_limit: float) -> int:
    """Pages to keep in flight at `rate_limit` requests/s: enough to reach the limit when each
    request takes up to IN_FLIGHT_S, and fewer than the server's one-second burst, so that a
    server that stalls and then serves its queue at once does not empty its bucket (429)."""
    return max(2, min(WORKERS, math.ceil(rate_limit * IN_FLIGHT_S)))


class SyncDriftError(GomoqError):
    """The contact list kept changing during every pass of the sync."""


# A garbled answer to a read: the client cannot retry it (the request succeeded), and a read may
# always be repeated, so the sync reads again (`gomoq.api.retry.repeat`). Timeouts, 429 and 5xx
# are the client's own retries; repeating them here multiplied the sends of one read.
READ_AGAIN: tuple[type[BaseException], ...] = (MalformedResponse,)


async def read(call: Callable[[], Awaitable[T]]) -> T:
    """`call()`, a read, done again after a garbled answer (see `READ_AGAIN`)."""
    return await repeat(call, READ_AGAIN)


@dataclass
class PassOutcome:
    """How one pass was judged."""

    number: int
    ok: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class ContactsPager:
    """Reads all contacts into the work folder; `run()` returns the accepted pass's files."""

    client: GomobileClient
    work: WorkFolder
    progress: ProgressFn
    should_cancel: CancelFn | None
    max_passes: int = 5
    clock_margin_s: float = 2.0
    workers: int = 0  # 0: WORKERS
    pages_fetched: int = 0
    on_page: Callable[[int, int], None] | None = None  # tests: (pass, page) after each page
    # ids of the current snapshot: in pass 1, a recently written contact among them is an
    # edit (no page shift), not a create, and does not call for a second pass
    known_ids: pl.Series | None = None

    @property
    def state(self) -> dict[str, Any]:
        """The contacts part of the work folder's persisted state."""
        state: dict[str, Any] = self.work.state["contacts"]
        return state

    async def run(self) -> tuple[list[Any], int]:
        """Read passes until one is accepted; (its chunk files, number of repair passes)."""
        while True:
            number = int(self.state["pass"])
            if self.state.get("t_start") is None:
                self.state["t_start"] = await self._probe()
                self.state["pass_started"] = time.time()
                self.work.save()
            t_start = int(self.state["t_start"])
            await self._read_pass(number, t_start)
            t_end = await self._probe()
            outcome = self._judge(number, t_start, t_end)
            self.state["history"].append(
                {"pass": number, "ok": outcome.ok, "reasons": outcome.reasons}
            )
            if outcome.ok:
                self.work.save()
                if number > 1:
                    self.work.drop_pass(number - 1)
                return self.work.chunk_files(number), number - 1
            if number >= self.max_passes:
                # Start the next sync from pass 1: a failed run must not poison the next one
                # (its passes would all count against it and it would give up at once).
                self.work.drop_pass(number)
                self.work.drop_pass(number - 1)
                self.state.update({"pass": 1, "t_start": None, "history": []})
                self.work.save()
                raise SyncDriftError(
                    f"The contact list kept changing during all {number} passes of the sync "
                    f"({'; '.join(outcome.reasons)}); try again when the organisation is "
                    "quieter."
                )
            if number > 1:
                self.work.drop_pass(number - 1)
            self.state.update({"pass": number + 1, "t_start": None})
            self.work.save()

    async def _probe(self) -> int:
        page = await read(lambda: self.client.list_contacts(1, 1, include_custom_attributes=False))
        return page.meta.total

    async def _read_pass(self, number: int, t_start: int) -> None:
        """Fetch every page of the pass not yet in a finished chunk (more if the total grew)."""
        expected = max(1, math.ceil(t_start / PAGE_SIZE))
        while True:
            chunks = self.work.chunks(number)
            have = {p for c in chunks.values() for p in c.pages}
            seen_total = max([t for c in chunks.values() for t, _ in c.pages.values()] or [0])
            expected = max(expected, math.ceil(seen_total / PAGE_SIZE))
            missing = [p for p in range(1, expected + 1) if p not in have]
            done_rows = sum(r for c in chunks.values() for _, r in c.pages.values())
            self._report(number, done_rows, max(t_start, seen_total))
            if not missing:
                return
            next_chunk = max(chunks, default=-1) + 1
            groups = [missing[i : i + CHUNK_PAGES] for i in range(0, len(missing), CHUNK_PAGES)]
            await self._fetch_groups(number, next_chunk, groups, done_rows, t_start)

    async def _fetch_groups(
        self, number: int, first_chunk: int, groups: list[list[int]], done: int, total: int
    ) -> None:
        queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        for index, group in enumerate(groups):
            for page in group:
                queue.put_nowait((first_chunk + index, page))
        results: dict[int, dict[int, Any]] = {}
        sizes = {first_chunk + i: len(g) for i, g in enumerate(groups)}
        counter = {"done": done}

        async def worker() -> None:
            while True:
                try:
                    chunk, page_no = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                check_cancel(self.should_cancel)
                page = await read(functools.partial(self.client.list_contacts, page_no, PAGE_SIZE))
                self.pages_fetched += 1
                if self.on_page is not None:
                    self.on_page(number, page_no)
                bucket = results.setdefault(chunk, {})
                bucket[page_no] = page
                counter["done"] += len(page.data)
                self._report(number, counter["done"], max(total, page.meta.total))
                if len(bucket) == sizes[chunk]:
                    # off the event loop: converting and writing 1,000 contacts takes tens of
                    # ms, during which the pacer's slots would go unused
                    await asyncio.to_thread(self._write_chunk, number, chunk, results.pop(chunk))

        await run_workers(min(self.workers or WORKERS, queue.qsize()), worker)

    def _write_chunk(self, number: int, chunk: int, pages: dict[int, Any]) -> None:
        rows = [row for p in sorted(pages) for row in pages[p].data]
        frame = contacts_frame(rows)
        info = {p: (pages[p].meta.total, len(pages[p].data)) for p in pages}
        self.work.write_chunk(number, chunk, frame, info)

    def _report(self, number: int, done: int, total: int) -> None:
        message = None if number == 1 else f"pass {number}: re-reading after page drift"
        self.progress(
            ProgressEvent("contacts", done, max(total, done), unit="contacts", message=message)
        )

    def _ids(self, number: int) -> pl.DataFrame:
        files = self.work.chunk_files(number)
        if not files:
            return pl.DataFrame(schema={"id": pl.String(), "updated_at": pl.Datetime("ms", "UTC")})
        return pl.scan_parquet(files).select("id", "updated_at").collect()

    def _judge(self, number: int, t_start: int, t_end: int) -> PassOutcome:
        chunks = self.work.chunks(number)
        totals = {t for c in chunks.values() for t, _ in c.pages.values()} | {t_start, t_end}
        ids = self._ids(number)
        unique = ids["id"].n_unique()
        reasons = []
        if len(totals) > 1:
            reasons.append(f"the total moved ({min(totals):,} to {max(totals):,})")
        if unique != ids.height:
            reasons.append(f"{ids.height - unique:,} contacts read twice")
        if unique != t_end:
            reasons.append(f"{unique:,} distinct contacts read, the server has {t_end:,}")
        if number > 1:
            previous = self._ids(number - 1)["id"]
        else:
            previous = (
                self.known_ids if self.known_ids is not None else pl.Series([], dtype=pl.String)
            )
        since = float(self.state.get("pass_started") or time.time()) - self.clock_margin_s
        cutoff = pl.lit(since * 1000).cast(pl.Int64).cast(pl.Datetime("ms", "UTC"))
        fresh = ids.filter(
            (pl.col("updated_at") >= cutoff) & ~pl.col("id").is_in(previous.implode())
        ).height
        stable = number > 1 and ids["id"].unique().sort().equals(previous.unique().sort())
        ok = not reasons and (fresh == 0 or stable)
        if fresh and not stable:
            reasons.append(f"{fresh:,} contacts created or changed during the pass")
        return PassOutcome(number, ok, reasons)
