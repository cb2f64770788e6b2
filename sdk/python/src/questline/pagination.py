"""Cursor pagination: ``?limit=&cursor=`` in, ``{data, has_more, next_cursor}`` out.

A page holds one response's items and knows how to fetch the next. Iterating a page walks
every item of every later page too, so ``for user in client.users.list(): ...`` reads the whole
collection; ``page.data`` is just this page. Async ``list()`` returns an
:class:`AsyncPaginator`: ``await`` it for the first page, or ``async for`` over every item.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ._exceptions import QuestlineError
from ._request import FinalRequestOptions

if TYPE_CHECKING:
    from ._base_client import AsyncAPIClient, SyncAPIClient

__all__ = ["AsyncCursorPage", "AsyncPaginator", "CursorList", "SyncCursorPage"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class CursorList(Protocol[T_co]):
    """The shape of every ``*List`` schema in the spec."""

    @property
    def data(self) -> Sequence[T_co]: ...
    @property
    def has_more(self) -> bool: ...
    @property
    def next_cursor(self) -> str | None: ...


class _BasePage(Generic[T]):
    """What sync and async pages share: the data and the next page's request."""

    def __init__(
        self, listing: CursorList[T], list_model: type[CursorList[T]], opts: FinalRequestOptions
    ) -> None:
        self.data: list[T] = list(listing.data)
        self.has_more = listing.has_more
        self.next_cursor = listing.next_cursor
        self.listing = listing
        self._list_model = list_model
        self._opts = opts

    def has_next_page(self) -> bool:
        return bool(self.has_more and self.next_cursor)

    def _next_page_options(self) -> FinalRequestOptions:
        if not self.has_next_page() or self.next_cursor is None:
            raise QuestlineError("No next page; check has_next_page() first.")
        return self._opts.with_param("cursor", self.next_cursor)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} items={len(self.data)} has_more={self.has_more} "
            f"next_cursor={self.next_cursor!r}>"
        )


class SyncCursorPage(_BasePage[T]):
    def __init__(
        self,
        listing: CursorList[T],
        client: SyncAPIClient,
        list_model: type[CursorList[T]],
        opts: FinalRequestOptions,
    ) -> None:
        super().__init__(listing, list_model, opts)
        self._client = client

    def get_next_page(self) -> SyncCursorPage[T]:
        return self._client.get_page(self._list_model, self._next_page_options())

    def iter_pages(self) -> Iterator[SyncCursorPage[T]]:
        """This page, then each following page, fetched as needed."""
        page = self
        yield page
        while page.has_next_page():
            page = page.get_next_page()
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data


class AsyncCursorPage(_BasePage[T]):
    def __init__(
        self,
        listing: CursorList[T],
        client: AsyncAPIClient,
        list_model: type[CursorList[T]],
        opts: FinalRequestOptions,
    ) -> None:
        super().__init__(listing, list_model, opts)
        self._client = client

    async def get_next_page(self) -> AsyncCursorPage[T]:
        return await self._client.get_page(self._list_model, self._next_page_options())

    async def iter_pages(self) -> AsyncIterator[AsyncCursorPage[T]]:
        """This page, then each following page, fetched as needed."""
        page = self
        yield page
        while page.has_next_page():
            page = await page.get_next_page()
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item


class AsyncPaginator(Generic[T]):
    """Returned by async ``list()``: awaitable (first page) and async-iterable (all items)."""

    def __init__(
        self, client: AsyncAPIClient, list_model: type[CursorList[T]], opts: FinalRequestOptions
    ) -> None:
        self._client = client
        self._list_model = list_model
        self._opts = opts

    def __await__(self) -> Generator[Any, None, AsyncCursorPage[T]]:
        return self._client.get_page(self._list_model, self._opts).__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page = await self
        async for item in page:
            yield item
