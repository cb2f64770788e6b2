"""Engine test fixtures; the harness itself is in engine_harness.py (importable by name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_harness import Harness, make_storage


@pytest.fixture(params=["memory", "sqlite"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """Every engine test runs on both storage backends."""
    storage = make_storage(request.param, tmp_path)
    try:
        yield Harness(storage)
    finally:
        storage.close()
