"""A fresh app per test, on each storage backend, behind a spec-checking client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from questline_mock.app import create_app
from questline_mock.config import ServerConfig

from tests.support.client import SpecCheckedClient

# 2026-03-02T09:00:00Z, a Monday: tests that care about time freeze the sandbox clock here.
T0 = 1772442000.0


@pytest.fixture(params=["memory", "sqlite"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    db = str(tmp_path / "questline.db") if request.param == "sqlite" else None
    app = create_app(
        ServerConfig(db_path=db, api_key="sk_test_questline", background_workers=False)
    )
    yield app
    app.extensions["questline"].close()


@pytest.fixture
def client(app: Flask) -> SpecCheckedClient:
    return SpecCheckedClient(app)
