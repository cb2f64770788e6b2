"""``InstantBackoff``: the SDK's retry decisions without the waiting, for fast tests.

A test that injects three 503s with ``Retry-After: 1`` should prove the client retries
and honours the header, not spend three seconds doing it. The SDK's ``Backoff`` is
injectable (``Questline(backoff=...)``); this one computes every wait exactly as the real
schedule does, records it in ``waits`` for assertions, and then waits zero seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from .._retry import Backoff

__all__ = ["InstantBackoff"]


@dataclass(frozen=True)
class InstantBackoff(Backoff):
    """``Questline(backoff=InstantBackoff())``: retries at once; ``waits`` lists the
    seconds the real schedule would have slept (``Retry-After`` included)."""

    waits: list[float] = field(default_factory=list, compare=False)

    def delay(self, attempt: int, headers: httpx.Headers | None = None) -> float | None:
        wait = super().delay(attempt, headers)
        if wait is None:
            return None
        self.waits.append(wait)
        return 0.0
