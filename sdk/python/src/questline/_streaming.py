"""Server-Sent Events: ``client.stream(...)`` yields each envelope as a typed event.

The decoder is pure and shared; :class:`Stream` and :class:`AsyncStream` only read lines.
``last_event_id`` is the ``id:`` of the last event seen, to resume with ``Last-Event-ID``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx
import pydantic
from typing_extensions import Self

__all__ = ["AsyncStream", "SSEDecoder", "ServerSentEvent", "Stream"]

T = TypeVar("T")


@dataclass(frozen=True)
class ServerSentEvent:
    event: str | None
    data: str
    id: str | None
    retry: int | None


class SSEDecoder:
    """Feeds lines, returns a :class:`ServerSentEvent` at each blank line (per the SSE spec)."""

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self._data and self._event is None and self._id is None:
                return None
            sse = ServerSentEvent(self._event, "\n".join(self._data), self._id, self._retry)
            self._event, self._data, self._retry = None, [], None
            return sse
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None


class _StreamBase(Generic[T]):
    def __init__(self, adapter: pydantic.TypeAdapter[T]) -> None:
        self._adapter = adapter
        self._decoder = SSEDecoder()
        self._response: httpx.Response | None = None
        self.last_event_id: str | None = None

    @property
    def response(self) -> httpx.Response | None:
        """The HTTP response, once the stream is open."""
        return self._response

    def _item(self, line: str) -> T | None:
        sse = self._decoder.feed(line)
        if sse is None or not sse.data:
            return None
        if sse.id is not None:
            self.last_event_id = sse.id
        return self._adapter.validate_python(json.loads(sse.data))


class Stream(_StreamBase[T]):
    """A blocking SSE stream, opened on first use; a context manager closes it."""

    def __init__(
        self, open_response: Callable[[], httpx.Response], adapter: pydantic.TypeAdapter[T]
    ) -> None:
        super().__init__(adapter)
        self._open = open_response

    def open(self) -> httpx.Response:
        if self._response is None:
            self._response = self._open()
        return self._response

    def __iter__(self) -> Iterator[T]:
        response = self.open()
        try:
            for line in response.iter_lines():
                item = self._item(line)
                if item is not None:
                    yield item
            item = self._item("")
            if item is not None:
                yield item
        finally:
            response.close()

    def close(self) -> None:
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncStream(_StreamBase[T]):
    """A non-blocking SSE stream, opened on first use; an async context manager closes it."""

    def __init__(
        self,
        open_response: Callable[[], Awaitable[httpx.Response]],
        adapter: pydantic.TypeAdapter[T],
    ) -> None:
        super().__init__(adapter)
        self._open = open_response

    async def open(self) -> httpx.Response:
        if self._response is None:
            self._response = await self._open()
        return self._response

    async def __aiter__(self) -> AsyncIterator[T]:
        response = await self.open()
        try:
            async for line in response.aiter_lines():
                item = self._item(line)
                if item is not None:
                    yield item
            item = self._item("")
            if item is not None:
                yield item
        finally:
            await response.aclose()

    async def close(self) -> None:
        if self._response is not None:
            await self._response.aclose()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
