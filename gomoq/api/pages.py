"""Generic page helpers over any `fetch(page) -> Page` (openai-python's page iterators).

    async for row in iter_rows(lambda p: client.list_contacts(p)):
        ...
    pages = await fetch_all_pages(lambda p: client.list_audiences(p))

`fetch_all_pages` reads page 1, then asks for the rest concurrently: the client's in-flight
limit and pacer keep that at the rate limit, and concurrency is what reaches it when each
request is slow.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from gomoq.api.models import Page

FetchPage = Callable[[int], Awaitable[Page]]


async def iter_pages(fetch: FetchPage, *, start: int = 1) -> AsyncIterator[Page]:
    """Pages one after another until `hasNextPage` is false (guarded by `totalPages`)."""
    page_no = start
    while True:
        page = await fetch(page_no)
        yield page
        if not page.meta.has_next_page or not page.data or page_no >= page.meta.total_pages:
            return
        page_no += 1


async def iter_rows(fetch: FetchPage, *, start: int = 1) -> AsyncIterator[dict[str, Any]]:
    """Every row of every page, in order."""
    async for page in iter_pages(fetch, start=start):
        for row in page.data:
            yield row


async def fetch_all_pages(fetch: FetchPage) -> list[Page]:
    """Page 1, then pages 2..totalPages concurrently; returned in page order."""
    first = await fetch(1)
    if first.meta.total_pages <= 1 or not first.meta.has_next_page:
        return [first]
    rest = await asyncio.gather(*(fetch(n) for n in range(2, first.meta.total_pages + 1)))
    return [first, *rest]
