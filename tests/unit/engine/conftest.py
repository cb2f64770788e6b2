"""Engine test fixtures; the harness itself is in engine_harness.py (importable by name)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engine_harness import Harness, make_storage


@pytest.fixture
def harness() -> Iterator[Harness]:
    storage = make_storage()
    try:
        yield Harness(storage)
    finally:
        storage.close()
