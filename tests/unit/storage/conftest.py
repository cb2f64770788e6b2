"""The storage suite runs every test against each backend (``store`` is parametrised)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from questline_mock.domain import Project
from questline_mock.storage.base import Storage
from questline_mock.storage.memory import MemoryStorage
from questline_mock.storage.sqlite import SQLiteStorage

from tests.unit.storage.storage_records import PROJECT, T0

BACKENDS = ["memory", "sqlite"]


def open_backend(name: str, directory: Path) -> Storage:
    if name == "memory":
        return MemoryStorage()
    return SQLiteStorage(directory / "questline.db")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """A fresh store of either backend holding one project, ``PROJECT``."""
    backend = open_backend(request.param, tmp_path)
    backend.create_project(Project(PROJECT, "sk_test_a", T0))
    yield backend
    backend.close()
