"""How the contract tests reach the reference server: in-process or over a loopback port.

In-process, the sync client gets an ``httpx.Client`` over ``httpx.WSGITransport`` straight
into the Flask app. httpx has no async WSGI transport, so :class:`AsyncWSGITransport` runs
the same sync transport in worker threads: the async client's own I/O path (``await
send``, ``aread``, ``aclose``) runs unchanged, and the app sees ordinary WSGI calls, as it
would under waitress. Both stream response bodies lazily, so the live message stream
works in-process too. Over loopback, both clients use httpx's real transports against a
``questline-mock serve --port 0`` subprocess.

Either way every request goes through a :class:`Wire`, which records what was sent, so a
test can prove that bad input sent nothing, or that retries reused one idempotency key.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from questline_mock.sandbox.faults import ConnectionDropped

ADMIN_KEY = "sk_test_questline"
# In-process requests never leave the process; ``.test`` (RFC 2606) cannot be a real host.
IN_PROCESS_URL = "http://questline-contract.test"


@dataclass
class Wire:
    """Every request a test's clients sent, in order."""

    requests: list[httpx.Request] = field(default_factory=list)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.url.path == path)
        )

    def clear(self) -> None:
        self.requests.clear()


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, wire: Wire) -> None:
        self.inner = inner
        self.wire = wire

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.wire.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, wire: Wire) -> None:
        self.inner = inner
        self.wire = wire

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.wire.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class WSGITransport(httpx.WSGITransport):
    """httpx's WSGI transport, where a sandbox ``drop`` fault is a dropped connection.

    Over a socket, waitress closes the connection without answering; in-process the app
    raises :class:`ConnectionDropped`, turned here into what httpx raises for the former.
    """

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None


class AsyncWSGITransport(httpx.AsyncBaseTransport):
    """A WSGI app behind an async transport: the sync ``WSGITransport`` in worker threads.

    The body is streamed chunk by chunk, each read in a thread, so a live response (the
    message stream) arrives as the app produces it without blocking the event loop.
    """

    def __init__(self, app: Any) -> None:
        self._sync = WSGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sync_request = httpx.Request(
            request.method, request.url, headers=request.headers, content=body
        )
        response = await asyncio.to_thread(self._sync.handle_request, sync_request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_ThreadedByteStream(response.stream),
            request=request,
        )


class _ThreadedByteStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream) -> None:
        self._stream = stream
        self._chunks = iter(stream)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await asyncio.to_thread(next, self._chunks, None)) is not None:
            yield chunk

    async def aclose(self) -> None:
        await asyncio.to_thread(self._stream.close)


@dataclass
class Server:
    """One reference server the tests talk to, and how to build clients' HTTP stacks for it."""

    kind: str  # "in-process" or "loopback"
    base_url: str
    app: Any = None  # the Flask app when in-process

    def http_client(self, wire: Wire) -> httpx.Client:
        inner: httpx.BaseTransport = (
            WSGITransport(app=self.app) if self.app is not None else httpx.HTTPTransport()
        )
        return httpx.Client(transport=RecordingTransport(inner, wire))

    def async_http_client(self, wire: Wire) -> httpx.AsyncClient:
        inner: httpx.AsyncBaseTransport = (
            AsyncWSGITransport(self.app) if self.app is not None else httpx.AsyncHTTPTransport()
        )
        return httpx.AsyncClient(transport=AsyncRecordingTransport(inner, wire))
