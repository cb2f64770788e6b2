"""In-process mode: ``mock_questline()`` answers Questline's HTTP traffic with no socket.

Like moto for AWS: inside the block, every httpx request to the mock's base URL, whether
the SDK sends it or the application's own ``httpx.Client`` / ``AsyncClient`` code does, is
handed to a fresh reference server (``create_app`` with background workers off) running
in this process. Requests to any other host pass through untouched. respx does the
interception (it patches httpx's transports for every client, including ones made before
the block), and a route sends matching requests into the app's WSGI callable.

The server is imported only when a block starts, so importing ``questline.testing`` (and
so loading the pytest plugin) needs neither Flask nor respx.

Not supported in-process: the live message stream (``client.stream()``), which needs a
server that keeps answering after the request returns; it raises NotImplementedError at
once, naming the ``questline_server`` fixture to use instead. Async requests run the app
inline on the event loop, so a fault's ``latency_ms`` blocks the loop for that long.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import httpx
from typing_extensions import Self

from .._client import AsyncQuestline, Questline
from .._constants import API_KEY_ENV, BASE_URL_ENV
from ._server import DEFAULT_API_KEY

if TYPE_CHECKING:
    import respx

__all__ = ["DEFAULT_BASE_URL", "MockQuestline", "mock_questline"]

# ``.test`` is reserved (RFC 2606): it can never be a real host the mock would shadow.
DEFAULT_BASE_URL = "http://questline.test"

F = TypeVar("F", bound=Callable[..., Any])
ConfigSource = Mapping[str, Any] | str | os.PathLike[str]


class MockQuestline:
    """One in-process reference server, active between :meth:`start` and :meth:`stop`.

    Use it through :func:`mock_questline`: as ``with``, ``async with`` or a decorator.
    While active, ``QUESTLINE_BASE_URL`` and ``QUESTLINE_API_KEY`` point at it, so a
    ``Questline()`` made anywhere in the application reaches it too.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = DEFAULT_API_KEY,
        config: ConfigSource | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._config = config
        self.app: Any = None  # the Flask app while active
        self._router: respx.MockRouter | None = None
        self._client: Questline | None = None
        self._saved_env: dict[str, str | None] = {}
        self._dropped: type[BaseException] = Exception

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Build a fresh server and start routing requests to it."""
        if self.app is not None:
            raise RuntimeError("this mock_questline() is already active")
        try:
            self.app = self._build_app()
            self._router = self._build_router()
            self._router.start()
        except BaseException:
            self.stop()
            raise
        for name, value in ((BASE_URL_ENV, self.base_url), (API_KEY_ENV, self.api_key)):
            self._saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        return self

    def stop(self) -> None:
        """Stop routing, close the ready client, restore the environment."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._router is not None:
            self._router.stop(quiet=True)
            self._router = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}
        if self.app is not None:
            self.app.extensions["questline"].close()
            self.app = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Decorate a function (sync or async): each call runs in a fresh mock."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with self._fresh():
                    return await func(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return cast(F, run)

    # -- clients -----------------------------------------------------------------------

    @property
    def client(self) -> Questline:
        """A ready client on this mock (closed when the block ends)."""
        if self.app is None:
            raise RuntimeError("mock_questline() is not active")
        if self._client is None:
            self._client = self.new_client()
        return self._client

    def new_client(self, **options: Any) -> Questline:
        """Another client on this mock, e.g. ``new_client(backoff=InstantBackoff())``."""
        return Questline(api_key=self.api_key, base_url=self.base_url, **options)

    def async_client(self, **options: Any) -> AsyncQuestline:
        """An async client on this mock; close it (``async with``) when done."""
        return AsyncQuestline(api_key=self.api_key, base_url=self.base_url, **options)

    # -- internals ---------------------------------------------------------------------

    def _fresh(self) -> MockQuestline:
        return MockQuestline(base_url=self.base_url, api_key=self.api_key, config=self._config)

    def _build_app(self) -> Any:
        try:
            app_module = importlib.import_module("questline_mock.app")
            config_module = importlib.import_module("questline_mock.config")
            faults_module = importlib.import_module("questline_mock.sandbox.faults")
        except ImportError as exc:
            raise ImportError(
                "mock_questline() runs the reference server in-process: "
                "pip install 'questline[server]'"
            ) from exc
        self._dropped = faults_module.ConnectionDropped
        seed = None
        if self._config is not None and not isinstance(self._config, Mapping):
            seed = os.fspath(self._config)
        server_config = config_module.ServerConfig(
            api_key=self.api_key, background_workers=False, seed_path=seed
        )
        app = app_module.create_app(server_config)
        if isinstance(self._config, Mapping):
            try:
                _import_config(app, self.api_key, self._config)
            except BaseException:
                app.extensions["questline"].close()
                raise
        return app

    def _build_router(self) -> respx.MockRouter:
        try:
            import respx
        except ImportError as exc:  # pragma: no cover - respx ships with the testing kit
            raise ImportError("mock_questline() needs respx: pip install respx") from exc
        router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        router.route(url__startswith=self.base_url + "/").mock(side_effect=self._dispatch)
        router.route().pass_through()
        return router

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        """One request through the WSGI app, as a fully read response."""
        if request.url.path == "/v1/stream":  # it would wait for the end of a live stream
            raise NotImplementedError(
                "the live message stream (client.stream()) needs a running server, which "
                "mock_questline() does not start: use the questline_server fixture, or "
                "read what was sent with client.sandbox.webhooks.list()"
            )
        transport = httpx.WSGITransport(app=self.app)
        try:
            response = transport.handle_request(request)
            content = response.read()
        except self._dropped:
            # What httpx raises when a server closes the connection without answering.
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )


def _import_config(app: Any, api_key: str, document: Mapping[str, Any]) -> None:
    config_io = importlib.import_module("questline_mock.backend.config_io")
    backend = app.extensions["questline"]
    config_io.import_config(backend.scope(backend.project_for_key(api_key)), dict(document))


@overload
def mock_questline(func: F, /) -> F: ...


@overload
def mock_questline(
    *,
    base_url: str = DEFAULT_BASE_URL,
    api_key: str = DEFAULT_API_KEY,
    config: ConfigSource | None = None,
) -> MockQuestline: ...


def mock_questline(
    func: F | None = None,
    /,
    *,
    base_url: str = DEFAULT_BASE_URL,
    api_key: str = DEFAULT_API_KEY,
    config: ConfigSource | None = None,
) -> MockQuestline | F:
    """Answer Questline requests in-process with a fresh reference server.

    ``with mock_questline() as sandbox:``, ``async with mock_questline() as sandbox:``,
    ``@mock_questline()`` or ``@mock_questline`` on a sync or async function. ``config``
    (a ``SandboxConfig`` document, or a JSON/YAML file) is imported before the block runs.
    """
    mock = MockQuestline(base_url=base_url, api_key=api_key, config=config)
    if func is not None:
        return mock(func)
    return mock
