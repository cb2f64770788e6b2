"""The HTTP core. ``BaseClient`` holds every pure step; the sync and async clients hold I/O.

Pure (shared): configuration from arguments and environment, request building (URL, auth,
headers, JSON body), the retry decision and wait, mapping error responses to exceptions and
parsing successful ones. I/O (one copy each for sync and async): sending, sleeping between
tries, closing.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar, cast

import httpx
import pydantic
from typing_extensions import Self

from . import _constants as const
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    QuestlineError,
    make_status_error,
)
from ._logs import logger, redact_headers
from ._request import FinalRequestOptions
from ._resource import APIResource
from ._response import finish, raw_requested
from ._retry import Backoff, should_retry_status
from ._streaming import AsyncStream, Stream
from ._types import NOT_GIVEN, NotGiven, Timeout
from ._version import __version__
from .pagination import AsyncCursorPage, AsyncPaginator, CursorList, SyncCursorPage

__all__ = ["AsyncAPIClient", "BaseClient", "SyncAPIClient"]

T = TypeVar("T")


class BaseClient:
    """Configuration and the pure steps of every request."""

    api_key: str
    base_url: httpx.URL
    timeout: Timeout
    max_retries: int
    backoff: Backoff

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: Timeout | NotGiven,
        max_retries: int | None,
        default_headers: Mapping[str, str] | None,
        backoff: Backoff | None,
    ) -> None:
        api_key = api_key or os.environ.get(const.API_KEY_ENV)
        if not api_key:
            raise QuestlineError(
                "No API key: pass api_key=... to the client or set the "
                f"{const.API_KEY_ENV} environment variable."
            )
        self.api_key = api_key
        self.base_url = httpx.URL(
            str(base_url or os.environ.get(const.BASE_URL_ENV) or const.DEFAULT_BASE_URL)
        )
        self.timeout = const.DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else timeout
        self.max_retries = const.DEFAULT_MAX_RETRIES if max_retries is None else max_retries
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.backoff = backoff or Backoff()
        self._custom_headers = dict(default_headers or {})

    # -- configuration ------------------------------------------------------------------

    def with_options(
        self,
        *,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A copy of this client with other defaults, sharing its connection pool.

        ``client.with_options(max_retries=0).users.retrieve("u1")`` changes one call only.
        """
        new = copy.copy(self)
        # Resources cache a reference to the client they were made for: drop them.
        new.__dict__ = {k: v for k, v in self.__dict__.items() if not isinstance(v, APIResource)}
        new._owns_http_client = False
        if not isinstance(timeout, NotGiven):
            new.timeout = timeout
        if max_retries is not None:
            new.max_retries = max_retries
        if default_headers is not None:
            new._custom_headers = {**self._custom_headers, **default_headers}
        return new

    _owns_http_client: bool = False

    @property
    def default_headers(self) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "User-Agent": f"questline-python/{__version__}",
            "Authorization": f"Bearer {self.api_key}",
            **self._custom_headers,
        }

    # -- request building ---------------------------------------------------------------

    def _url(self, path: str) -> httpx.URL:
        base = str(self.base_url).rstrip("/")
        return httpx.URL(base + path)

    def _build_request(
        self, client: httpx.Client | httpx.AsyncClient, opts: FinalRequestOptions
    ) -> httpx.Request:
        headers = {**self.default_headers, **opts.headers}
        content: bytes | None = None
        if opts.json_body is not None:
            content = json.dumps(opts.json_body, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        timeout = self.timeout if isinstance(opts.timeout, NotGiven) else opts.timeout
        request = client.build_request(
            opts.method,
            self._url(opts.path),
            params=list(opts.params) or None,
            content=content,
            headers=headers,
            timeout=timeout,
        )
        if logger.isEnabledFor(10):
            logger.debug(
                "Request: %s %s headers=%s",
                request.method,
                request.url,
                redact_headers(request.headers.items()),
            )
        return request

    # -- retries ------------------------------------------------------------------------

    def _retry_delay(
        self, attempt: int, response: httpx.Response | None, opts: FinalRequestOptions
    ) -> float | None:
        """Seconds to wait before trying again, or ``None`` to give up.

        ``attempt`` counts the tries already failed (0 after the first); ``response`` is
        ``None`` for a transport failure, otherwise an error response whose body was read.
        The call's own ``max_retries``, if it gave one, wins over the client's.
        """
        limit = self.max_retries if opts.max_retries is None else opts.max_retries
        if attempt >= limit:
            return None
        if response is None:
            return self.backoff.delay(attempt)
        if not should_retry_status(response.status_code, _problem_code(response)):
            return None
        return self.backoff.delay(attempt, response.headers)

    def _transport_error(self, exc: httpx.HTTPError, request: httpx.Request) -> APIConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(request=request)
        return APIConnectionError(request=request, message=f"Connection error: {exc}")

    def _log_retry(self, request: httpx.Request, delay: float, reason: str) -> None:
        logger.info("Retrying %s %s in %.2fs (%s)", request.method, request.url, delay, reason)

    # -- responses ----------------------------------------------------------------------

    def _log_response(self, response: httpx.Response) -> None:
        if logger.isEnabledFor(10):
            logger.debug(
                "Response: %s %s %s request_id=%s",
                response.request.method,
                response.request.url,
                response.status_code,
                response.headers.get(const.REQUEST_ID_HEADER),
            )

    def _parse(self, cast_to: type[T], response: httpx.Response) -> T:
        """The response body validated into ``cast_to`` (``None`` for bodyless responses)."""
        if cast_to is type(None) or response.status_code == 204:
            return cast(T, None)
        try:
            if isinstance(cast_to, type) and issubclass(cast_to, pydantic.BaseModel):
                return cast(T, cast_to.model_validate_json(response.content))
            return pydantic.TypeAdapter(cast_to).validate_json(response.content)
        except pydantic.ValidationError as exc:
            raise APIResponseValidationError(
                response=response,
                message=f"response does not match {getattr(cast_to, '__name__', cast_to)}: {exc}",
            ) from exc


def _problem_code(response: httpx.Response) -> str | None:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


class SyncAPIClient(BaseClient):
    """Blocking I/O over an ``httpx.Client``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            backoff=backoff,
        )
        self._owns_http_client = http_client is None
        self._client = http_client or httpx.Client(
            timeout=self.timeout, limits=const.DEFAULT_CONNECTION_LIMITS, follow_redirects=True
        )
        self._sleep: Callable[[float], None] = time.sleep

    def send(self, opts: FinalRequestOptions, *, stream: bool = False) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises the mapped error."""
        attempt = 0
        while True:
            request = self._build_request(self._client, opts)
            try:
                response = self._client.send(request, stream=stream)
            except httpx.HTTPError as exc:
                delay = self._retry_delay(attempt, None, opts)
                if delay is None:
                    raise self._transport_error(exc, request) from exc
                self._log_retry(request, delay, type(exc).__name__)
            else:
                self._log_response(response)
                if response.is_success:
                    return response
                response.read()
                delay = self._retry_delay(attempt, response, opts)
                if delay is None:
                    raise make_status_error(response)
                response.close()
                self._log_retry(request, delay, f"status {response.status_code}")
            self._sleep(delay)
            attempt += 1

    def request(self, cast_to: type[T], opts: FinalRequestOptions) -> T:
        raw = raw_requested()
        response = self.send(opts)
        return finish(response, lambda: self._parse(cast_to, response), raw)

    def get_page(
        self, list_model: type[CursorList[T]], opts: FinalRequestOptions
    ) -> SyncCursorPage[T]:
        raw = raw_requested()
        response = self.send(opts)
        return finish(
            response,
            lambda: SyncCursorPage(self._parse(list_model, response), self, list_model, opts),
            raw,
        )

    def stream_sse(self, adapter: pydantic.TypeAdapter[T], opts: FinalRequestOptions) -> Stream[T]:
        """An SSE stream of ``adapter``-typed items; connects on first iteration."""
        return Stream(lambda: self.send(opts, stream=True), adapter)

    def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncAPIClient(BaseClient):
    """Non-blocking I/O over an ``httpx.AsyncClient``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            backoff=backoff,
        )
        self._owns_http_client = http_client is None
        self._client = http_client or httpx.AsyncClient(
            timeout=self.timeout, limits=const.DEFAULT_CONNECTION_LIMITS, follow_redirects=True
        )
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def send(self, opts: FinalRequestOptions, *, stream: bool = False) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises the mapped error."""
        attempt = 0
        while True:
            request = self._build_request(self._client, opts)
            try:
                response = await self._client.send(request, stream=stream)
            except httpx.HTTPError as exc:
                delay = self._retry_delay(attempt, None, opts)
                if delay is None:
                    raise self._transport_error(exc, request) from exc
                self._log_retry(request, delay, type(exc).__name__)
            else:
                self._log_response(response)
                if response.is_success:
                    return response
                await response.aread()
                delay = self._retry_delay(attempt, response, opts)
                if delay is None:
                    raise make_status_error(response)
                await response.aclose()
                self._log_retry(request, delay, f"status {response.status_code}")
            await self._sleep(delay)
            attempt += 1

    async def request(self, cast_to: type[T], opts: FinalRequestOptions) -> T:
        raw = raw_requested()
        response = await self.send(opts)
        return finish(response, lambda: self._parse(cast_to, response), raw)

    async def get_page(
        self, list_model: type[CursorList[T]], opts: FinalRequestOptions
    ) -> AsyncCursorPage[T]:
        raw = raw_requested()
        response = await self.send(opts)
        return finish(
            response,
            lambda: AsyncCursorPage(self._parse(list_model, response), self, list_model, opts),
            raw,
        )

    def paginate(
        self, list_model: type[CursorList[T]], opts: FinalRequestOptions
    ) -> AsyncPaginator[T]:
        """What async ``list()`` returns: await it for a page, or ``async for`` every item."""
        return AsyncPaginator(self, list_model, opts)

    def stream_sse(
        self, adapter: pydantic.TypeAdapter[T], opts: FinalRequestOptions
    ) -> AsyncStream[T]:
        """An SSE stream of ``adapter``-typed items; connects on first iteration."""
        return AsyncStream(lambda: self.send(opts, stream=True), adapter)

    async def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
