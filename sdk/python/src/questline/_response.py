"""Raw responses: ``client.users.with_raw_response.retrieve(...)``.

A raw call returns an :class:`APIResponse` with the HTTP status and headers (request id,
``Idempotent-Replayed``) and a ``parse()`` that gives what the plain call would have returned.
The wrappers flip a context variable that the client reads when it finishes a request, so one
generated method serves both the plain and the raw form.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Generic, TypeVar, cast

import httpx
from typing_extensions import ParamSpec

from ._constants import REPLAYED_HEADER, REQUEST_ID_HEADER

__all__ = ["APIResponse", "async_to_raw_response_wrapper", "to_raw_response_wrapper"]

T = TypeVar("T")
P = ParamSpec("P")

_RAW_RESPONSE: ContextVar[bool] = ContextVar("questline_raw_response", default=False)


class APIResponse(Generic[T]):
    """An HTTP response plus a lazy, cached parse into the operation's return type."""

    def __init__(self, response: httpx.Response, parse: Callable[[], T]) -> None:
        self.http_response = response
        self._parse = parse
        self._parsed: list[T] = []

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def request_id(self) -> str | None:
        value: str | None = self.http_response.headers.get(REQUEST_ID_HEADER)
        return value

    @property
    def idempotent_replayed(self) -> bool:
        """True when the server answered from its idempotency store, applying nothing."""
        value: str = self.http_response.headers.get(REPLAYED_HEADER, "")
        return value.lower() == "true"

    @property
    def text(self) -> str:
        return self.http_response.text

    def json(self) -> object:
        return cast(object, self.http_response.json())

    def parse(self) -> T:
        """The value the plain (non-raw) call returns, parsed once."""
        if not self._parsed:
            self._parsed.append(self._parse())
        return self._parsed[0]

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<APIResponse [{self.status_code}] {request.method} {request.url}>"


def raw_requested() -> bool:
    return _RAW_RESPONSE.get()


def finish(response: httpx.Response, parse: Callable[[], T], raw: bool) -> T:
    """Parse the response, or wrap it when the caller asked for the raw form."""
    if raw:
        return cast(T, APIResponse(response, parse))
    return parse()


def to_raw_response_wrapper(func: Callable[P, T]) -> Callable[P, APIResponse[T]]:
    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        token = _RAW_RESPONSE.set(True)
        try:
            return cast(APIResponse[T], func(*args, **kwargs))
        finally:
            _RAW_RESPONSE.reset(token)

    return wrapped


def async_to_raw_response_wrapper(
    func: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[APIResponse[T]]]:
    @functools.wraps(func)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        token = _RAW_RESPONSE.set(True)
        try:
            return cast(APIResponse[T], await func(*args, **kwargs))
        finally:
            _RAW_RESPONSE.reset(token)

    return wrapped
