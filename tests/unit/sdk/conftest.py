"""Clients pointed at a respx-mocked base URL, with retries that never really sleep."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import respx
from questline import AsyncQuestline, Backoff, Questline

# Lets test modules `import sdk_payloads` (pytest's import mode does not add test dirs).
sys.path.insert(0, str(Path(__file__).parent))

from sdk_payloads import SleepRecorder

BASE_URL = "http://questline.test"
API_KEY = "sk_test_unit"


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def backoff() -> Backoff:
    # No jitter: waits are exactly 0.5, 1, 2, ... so tests can assert them.
    return Backoff(random=lambda: 0.0)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(api: respx.MockRouter, sleeps: SleepRecorder, backoff: Backoff) -> Iterator[Questline]:
    with Questline(api_key=API_KEY, base_url=BASE_URL, backoff=backoff) as c:
        c._sleep = sleeps
        yield c


@pytest.fixture
async def async_client(
    api: respx.MockRouter, sleeps: SleepRecorder, backoff: Backoff
) -> AsyncIterator[AsyncQuestline]:
    async with AsyncQuestline(api_key=API_KEY, base_url=BASE_URL, backoff=backoff) as c:
        c._sleep = sleeps.asleep
        yield c
