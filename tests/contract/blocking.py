"""The async client behind the sync client's interface, so each contract test runs on both.

``Blocking(AsyncQuestline(...), runner)`` looks like a ``Questline``: every coroutine a call
returns is awaited on ``runner``'s event loop (one loop for the whole test, so the
``httpx.AsyncClient`` keeps its connections), and async pages are walked with their own
``async for`` / ``get_next_page``. What runs is therefore the async client's code path
(``AsyncAPIClient.send``, ``AsyncPaginator``, ``AsyncCursorPage``, the async batch helper);
only the test's spelling is synchronous. Features with no sync spelling (``async for`` on
``list()`` itself, concurrent batches) have their own async tests.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

from questline._base_client import AsyncAPIClient
from questline._resource import AsyncAPIResource
from questline.pagination import AsyncCursorPage, AsyncPaginator


class Blocking:
    """A proxy that turns each awaitable into its result and async pages into sync ones."""

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        return _sync(getattr(self._target, name), self._runner)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _sync(self._target(*args, **kwargs), self._runner)

    def __repr__(self) -> str:
        return f"Blocking({self._target!r})"


class BlockingPage:
    """An ``AsyncCursorPage`` with the ``SyncCursorPage`` interface."""

    def __init__(self, page: AsyncCursorPage[Any], runner: asyncio.Runner) -> None:
        self._page = page
        self._runner = runner
        self.data = page.data
        self.has_more = page.has_more
        self.next_cursor = page.next_cursor
        self.listing = page.listing

    def has_next_page(self) -> bool:
        return self._page.has_next_page()

    def get_next_page(self) -> BlockingPage:
        return BlockingPage(self._runner.run(self._page.get_next_page()), self._runner)

    def iter_pages(self) -> Iterator[BlockingPage]:
        pages = self._page.iter_pages()
        while True:
            try:
                page = self._runner.run(_anext(pages))
            except StopAsyncIteration:
                return
            yield BlockingPage(page, self._runner)

    def __iter__(self) -> Iterator[Any]:
        items = self._page.__aiter__()
        while True:
            try:
                yield self._runner.run(_anext(items))
            except StopAsyncIteration:
                return


async def _anext(iterator: Any) -> Any:
    return await iterator.__anext__()


def _sync(value: Any, runner: asyncio.Runner) -> Any:
    if isinstance(value, AsyncPaginator):
        # What sync ``list()`` returns is the first page, iterable across all of them.
        return BlockingPage(runner.run(_await(value)), runner)
    if inspect.isawaitable(value):
        return _sync(runner.run(_await(value)), runner)
    if isinstance(value, AsyncCursorPage):
        return BlockingPage(value, runner)
    if _is_sdk_object(value):
        return Blocking(value, runner)
    return value


async def _await(value: Any) -> Any:
    return await value


def _is_sdk_object(value: Any) -> bool:
    """Clients, resources, raw-response wrappers and bound methods: proxy them."""
    if isinstance(value, (AsyncAPIClient, AsyncAPIResource)):
        return True
    if inspect.ismethod(value) or inspect.isfunction(value):
        return True
    return type(value).__name__.endswith("WithRawResponse")
