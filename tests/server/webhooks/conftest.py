"""Fixtures: an app per storage backend with no background threads and a wall clock that
stands still (so retries happen only when a test advances the sandbox clock), a
spec-checking client, a live receiver.

The wall clock starts at the real time, because receivers (and ``standardwebhooks``) check
``webhook-timestamp`` against their own clock; tests move it with ``wall.tick(seconds)``.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from questline_mock.app import create_app
from questline_mock.config import ServerConfig

from tests.server.webhooks.api import Api
from tests.server.webhooks.receiver import Receiver

SCHEDULE = (5.0, 300.0, 1800.0)
HAS_SQLITE = importlib.util.find_spec("questline_mock.storage.sqlite") is not None


class Wall:
    """A wall clock that moves only when told (``ServerConfig.time_source``)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture(params=["memory", "sqlite"])
def webhook_app(request: pytest.FixtureRequest, tmp_path: Path, wall: Wall) -> Iterator[Flask]:
    if request.param == "sqlite" and not HAS_SQLITE:
        pytest.skip("the SQLite storage backend is not built yet")
    db = str(tmp_path / "questline.db") if request.param == "sqlite" else None
    config = ServerConfig(
        db_path=db,
        api_key="sk_test_questline",
        background_workers=False,
        webhook_schedule=SCHEDULE,
        webhook_timeout_seconds=2.0,
        time_source=wall,
    )
    app = create_app(config)
    app.config["QUESTLINE_STREAM_HEARTBEAT_SECONDS"] = 0.05
    yield app
    app.extensions["questline"].close()


@pytest.fixture
def api(webhook_app: Flask) -> Api:
    return Api(webhook_app)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    live = Receiver()
    yield live
    live.close()
