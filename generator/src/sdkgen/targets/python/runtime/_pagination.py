"""Pages of a paginated list (`?page=` from 1; `meta.pages` or `meta.total_pages`, else
`total`/`limit`, else full pages: RUNTIME.md "Reading responses").

A page holds `.data` and `.meta` (and `._request_id`), and iterating it walks every item
of every page from this one on, fetching the next pages as needed:

    for item in client.<resource>.<list method>():      # every item
        ...
    page = client.<resource>.<list method>(limit=50)
    while True:
        handle(page.data)
        if not page.has_next_page():
            break
        page = page.get_next_page()

An async list call returns an `AsyncPager`: `await` it for the first page, or
`async for` over it directly for every item of every page:

    page = await client.<resource>.<list method>(limit=50)  # an AsyncPage
    async for item in client.<resource>.<list method>():     # every item
        ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["AsyncPage", "AsyncPager", "SyncPage"]

ItemT = TypeVar("ItemT")
MetaT = TypeVar("MetaT")


def _next_page_number(meta: Any, items: int, asked_page: int, asked_limit: int | None) -> int | None:
    """The next page's number, or None (RUNTIME.md "Reading responses", list `meta`): on
    while `page < pages` (`pages` or `total_pages`); without a page count but with `total`
    and `limit`, while `page * limit < total`; with neither, while a page came back full
    (`limit` items: the limit asked for when `meta` has none). Never past an empty page."""
    if items == 0:
        return None
    page = _int(getattr(meta, "page", None)) or asked_page
    pages = _int(getattr(meta, "pages", None))
    if pages is None:
        pages = _int(getattr(meta, "total_pages", None))
    if pages is not None:
        return page + 1 if page < pages else None
    limit = _int(getattr(meta, "limit", None)) or asked_limit
    total = _int(getattr(meta, "total", None))
    if total is not None and limit:
        return page + 1 if page * limit < total else None
    if limit and items >= limit:
        return page + 1
    return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class SyncPage(Generic[ItemT, MetaT]):
    """One page: `data` (its items) and `meta` (None when the server sent none).
    `page` and `limit` are what was asked for; `_request_id` the answer's `X-Request-ID`."""

    _request_id: str | None = None

    def __init__(
        self,
        data: list[ItemT],
        meta: MetaT,
        fetch: Callable[[int], SyncPage[ItemT, MetaT]],
        *,
        page: int = 1,
        limit: int | None = None,
    ) -> None:
        self.data = data
        self.meta = meta
        self._fetch = fetch
        self._page = page
        self._limit = limit

    def _next(self) -> int | None:
        return _next_page_number(self.meta, len(self.data), self._page, self._limit)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(data=<{len(self.data)} items>, meta={self.meta!r})"

    def has_next_page(self) -> bool:
        return self._next() is not None

    def get_next_page(self) -> SyncPage[ItemT, MetaT]:
        number = self._next()
        if number is None:
            raise StopIteration("no next page")
        return self._fetch(number)

    def iter_pages(self) -> Iterator[SyncPage[ItemT, MetaT]]:
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[ItemT]:
        for page in self.iter_pages():
            yield from page.data


class AsyncPage(Generic[ItemT, MetaT]):
    """The asyncio flavour of `SyncPage`."""

    _request_id: str | None = None

    def __init__(
        self,
        data: list[ItemT],
        meta: MetaT,
        fetch: Callable[[int], Awaitable[AsyncPage[ItemT, MetaT]]],
        *,
        page: int = 1,
        limit: int | None = None,
    ) -> None:
        self.data = data
        self.meta = meta
        self._fetch = fetch
        self._page = page
        self._limit = limit

    def _next(self) -> int | None:
        return _next_page_number(self.meta, len(self.data), self._page, self._limit)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(data=<{len(self.data)} items>, meta={self.meta!r})"

    def has_next_page(self) -> bool:
        return self._next() is not None

    async def get_next_page(self) -> AsyncPage[ItemT, MetaT]:
        number = self._next()
        if number is None:
            raise StopAsyncIteration("no next page")
        return await self._fetch(number)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[ItemT, MetaT]]:
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self._items()

    async def _items(self) -> AsyncIterator[ItemT]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item


class AsyncPager(Generic[ItemT, MetaT]):
    """What an async list call returns, before any request is sent: awaiting it fetches
    the first page; iterating it with `async for` walks every item of every page."""

    def __init__(self, first_page: Callable[[], Awaitable[AsyncPage[ItemT, MetaT]]]) -> None:
        self._first_page = first_page

    def __await__(self) -> Generator[Any, None, AsyncPage[ItemT, MetaT]]:
        return self._first_page().__await__()

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self._items()

    async def _items(self) -> AsyncIterator[ItemT]:
        page = await self._first_page()
        async for item in page:
            yield item
