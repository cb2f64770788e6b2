"""Contract fixtures: the SDK's sync and async clients against the real reference server.

Every test that takes ``client`` runs four times: {sync, async} x {in-process, loopback}.
One server of each kind is shared by a module (in-process: ``create_app`` in this process;
loopback: ``questline-mock serve --port 0``), and each test gets its own sandbox project, so
tests never see each other's users or definitions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
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


@dataclass
class Clients:
    """Makes clients of the test's flavour on the test's server and project.

    Every client shares ``wire``, the record of requests sent, and retries without
    sleeping (``backoff.waits`` holds the waits the real schedule would have made).
    """

    flavour: str
    server: Server
    project: SandboxProject
    wire: Wire = field(default_factory=Wire)
    backoff: InstantBackoff = field(default_factory=InstantBackoff)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _runner: asyncio.Runner | None = None

    def new(self, *, api_key: str | None = None, **options: Any) -> Any:
        """A ``Questline``, or an ``AsyncQuestline`` behind :class:`Blocking`."""
        settings: dict[str, Any] = {
            "api_key": api_key or self.project.api_key,
            "base_url": self.server.base_url,
            "backoff": self.backoff,
            **options,
        }
        if self.flavour == "sync":
            http = self._stack.enter_context(self.server.http_client(self.wire))
            return self._stack.enter_context(Questline(http_client=http, **settings))
        runner = self.runner
        http_async = self.server.async_http_client(self.wire)
        self._stack.callback(runner.run, http_async.aclose())
        return Blocking(AsyncQuestline(http_client=http_async, **settings), runner)

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
    request: pytest.FixtureRequest, server: Server, project: SandboxProject
) -> Iterator[Clients]:
    made = Clients(request.param, server, project)
    yield made
    made.close()


@pytest.fixture
def client(clients: Clients) -> Any:
    """The test's client: sync ``Questline`` or async behind the same interface."""
    return clients.new()


@pytest.fixture
def wire(clients: Clients) -> Wire:
    return clients.wire
