"""Targets for the testing-kit tests: the same checks run in-process and on a live server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from questline.testing import InstantBackoff, mock_questline
from questline.testing.plugin import QuestlineServer

from tests.testing.targets import Target

SAMPLE_CONFIG = Path(__file__).with_name("sample_config.json")


@pytest.fixture(params=["in-process", "live"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "in-process":
        with mock_questline() as sandbox:
            yield Target("in-process", sandbox.base_url, sandbox.api_key)
        return
    server: QuestlineServer = request.getfixturevalue("questline_server")
    project = server.new_project()
    yield Target("live", server.base_url, project.api_key)


@pytest.fixture
def backoff() -> InstantBackoff:
    return InstantBackoff()


@pytest.fixture
def sample_config() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SAMPLE_CONFIG.read_text())
    return loaded
