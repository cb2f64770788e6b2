"""The pytest plugin, registered on install by the ``pytest11`` entry point ``questline``.

Fixtures:

* ``questline_server`` (session): one live reference server for the whole test session,
  started on a free port (``.base_url``, ``.api_key``, ``.new_project()``) and stopped at
  the end. ``--questline-base-url URL`` (with ``--questline-api-key``) uses a server that
  is already running instead.
* ``questline`` / ``async_questline`` (function): a ``Questline`` / ``AsyncQuestline``
  bound to a fresh sandbox project, so every test starts empty and tests never see each
  other's users, even run in parallel. ``async_questline`` needs pytest-asyncio.

Importing this module (which pytest does for every session once questline is installed)
must work with only the SDK installed: the server starts in a subprocess, and nothing
here imports Flask, the server package or respx.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest

from .._client import AsyncQuestline, Questline
from ..types import SandboxProject
from ._server import DEFAULT_API_KEY, LiveServer

__all__ = ["ExternalServer", "async_questline", "questline", "questline_server"]


class QuestlineServer(Protocol):
    """What the ``questline_server`` fixture yields, live or external."""

    base_url: str
    api_key: str

    def new_project(self) -> SandboxProject: ...


@dataclass
class ExternalServer:
    """A server someone else started (``--questline-base-url``)."""

    base_url: str
    api_key: str

    def new_project(self) -> SandboxProject:
        with Questline(api_key=self.api_key, base_url=self.base_url) as admin:
            return admin.sandbox.projects.create()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("questline", "Questline test fixtures")
    group.addoption(
        "--questline-base-url",
        default=None,
        help="run the questline fixtures against this running server instead of starting one",
    )
    group.addoption(
        "--questline-api-key",
        default=DEFAULT_API_KEY,
        help=f"API key of that server's default project (default {DEFAULT_API_KEY})",
    )


@pytest.fixture(scope="session")
def questline_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[QuestlineServer]:
    """A live reference server for the session: ``.base_url``, ``.api_key``."""
    base_url = request.config.getoption("questline_base_url")
    if base_url:
        yield ExternalServer(base_url, request.config.getoption("questline_api_key"))
        return
    log_path = tmp_path_factory.mktemp("questline") / "server.log"
    with LiveServer(log_path=log_path) as server:
        yield server


@pytest.fixture
def questline(questline_server: QuestlineServer) -> Iterator[Questline]:
    """A ``Questline`` client on a fresh, empty sandbox project (closed after the test)."""
    project = questline_server.new_project()
    with Questline(api_key=project.api_key, base_url=questline_server.base_url) as client:
        yield client


async def _async_questline(questline_server: QuestlineServer) -> AsyncIterator[AsyncQuestline]:
    """An ``AsyncQuestline`` client on a fresh, empty sandbox project."""
    project = questline_server.new_project()
    async with AsyncQuestline(
        api_key=project.api_key, base_url=questline_server.base_url
    ) as client:
        yield client


def _async_questline_unavailable() -> None:
    pytest.fail("the async_questline fixture needs pytest-asyncio: pip install pytest-asyncio")


# The async client is closed on the test's own event loop, which only an async fixture
# runner can give; without pytest-asyncio the fixture explains what is missing.
async_questline: Any
if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    async_questline = pytest_asyncio.fixture(_async_questline, name="async_questline")
else:  # pragma: no cover - pytest-asyncio is in the dev extra
    async_questline = pytest.fixture(_async_questline_unavailable, name="async_questline")
