"""Contract fixtures: the SDK's sync and async clients against the real reference server.

Every test that takes ``client`` runs four times: {sync, async} x {in-process, loopback}.
One server of each kind is shared by a module (in-process: ``create_app`` in this process;
loopback: ``questline-mock serve --port 0``), and each test gets its own sandbox project, so
tests never see each other's users or definitions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from questline import AsyncQuestline, Questline
from questline.testing import InstantBackoff
from questline.types import SandboxProject
from questline_mock.app import create_app
from questline_mock.config import ServerConfig

from tests.contract.blocking import Blocking
from tests.contract.wiring import ADMIN_KEY, IN_PROCESS_URL, Server, Wire
from tests.support.server import ServerProcess

FLAVOURS = ("sync", "async")
KINDS = ("in-process", "loopback")


@pytest.fixture(scope="module")
def in_process_server() -> Iterator[Server]:
    app = create_app(ServerConfig(api_key=ADMIN_KEY, background_workers=False))
    yield Server("in-process", IN_PROCESS_URL, app)
    app.extensions["questline"].close()


@pytest.fixture(scope="module")
def loopback_server() -> Iterator[Server]:
    with ServerProcess(api_key=ADMIN_KEY) as process:
        yield Server("loopback", process.base_url)


@pytest.fixture(params=KINDS)
def server(request: pytest.FixtureRequest) -> Server:
    fixture = "in_process_server" if request.param == "in-process" else "loopback_server"
    found: Server = request.getfixturevalue(fixture)
    return found


@pytest.fixture
def project(server: Server) -> SandboxProject:
    """A fresh, empty sandbox project with its own key."""
    with (
        server.http_client(Wire()) as http,
        Questline(api_key=ADMIN_KEY, base_url=server.base_url, http_client=http) as admin,
    ):
        return admin.sandbox.projects.create()


@pytest.fixture
def wire() -> Wire:
    """The record of every request the test's clients sent."""
    return Wire()


@dataclass
class Clients:
    """Makes clients of the test's flavour on the test's server and project.

    Every client shares ``wire`` and retries without sleeping (``backoff.waits`` holds the
    waits the real schedule would have made).
    """

    flavour: str
    server: Server
    project: SandboxProject
    wire: Wire
    backoff: InstantBackoff = field(default_factory=InstantBackoff)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _runner: asyncio.Runner | None = None

    def new(self, *, api_key: str | None = None, **options: Any) -> Any:
        """A ``Questline``, or an ``AsyncQuestline`` behind :class:`Blocking`."""
        if self.flavour == "sync":
            http = self._stack.enter_context(self.server.http_client(self.wire))
            settings = self._settings(api_key, options)
            return self._stack.enter_context(Questline(http_client=http, **settings))
        return Blocking(self.new_async(api_key=api_key, **options), self.runner)

    def new_async(self, *, api_key: str | None = None, **options: Any) -> AsyncQuestline:
        """A bare ``AsyncQuestline``, to be used on :attr:`runner`'s loop."""
        http = self.server.async_http_client(self.wire)
        self._stack.callback(self.runner.run, http.aclose())
        return AsyncQuestline(http_client=http, **self._settings(api_key, options))

    def _settings(self, api_key: str | None, options: dict[str, Any]) -> dict[str, Any]:
        return {
            "api_key": api_key or self.project.api_key,
            "base_url": self.server.base_url,
            "backoff": self.backoff,
            **options,
        }

    @property
    def runner(self) -> asyncio.Runner:
        """The one event loop of an async test's clients (created on first use)."""
        if self._runner is None:
            self._runner = self._stack.enter_context(asyncio.Runner())
        return self._runner

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(params=FLAVOURS)
def clients(
    request: pytest.FixtureRequest, server: Server, project: SandboxProject, wire: Wire
) -> Iterator[Clients]:
    made = Clients(request.param, server, project, wire)
    yield made
    made.close()


@pytest.fixture
def client(clients: Clients) -> Any:
    """The test's client: sync ``Questline`` or async behind the same interface."""
    return clients.new()


@pytest.fixture
async def aclient(
    server: Server, project: SandboxProject, wire: Wire
) -> AsyncIterator[AsyncQuestline]:
    """An ``AsyncQuestline`` on the test's own loop, for async-only features."""
    async with server.async_http_client(wire) as http:
        yield AsyncQuestline(
            api_key=project.api_key,
            base_url=server.base_url,
            http_client=http,
            backoff=InstantBackoff(),
        )
