"""When to retry a request and how long to wait first. Pure: no I/O, no sleeping.

Retried: connection errors and timeouts, 408, 409 (a lock such as ``idempotency_key_in_use``;
not the 409s that would fail the same way again), 429 and every 5xx. Every POST carries an
``Idempotency-Key`` made once per call, so a retry never applies a write twice.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from ._constants import INITIAL_RETRY_DELAY, JITTER_FRACTION, MAX_RETRY_AFTER, MAX_RETRY_DELAY

__all__ = ["Backoff", "parse_retry_after", "should_retry_status"]

# 409s that are answers, not transient locks: retrying them cannot succeed.
_FINAL_CONFLICT_CODES = frozenset({"conflict", "insufficient_balance"})
_RETRYABLE_STATUSES = frozenset({408, 409, 429})


def should_retry_status(status: int, code: str | None) -> bool:
    """Whether an error status is worth another try (``code`` is the problem's code)."""
    if status == 409:
        return code not in _FINAL_CONFLICT_CODES
    return status in _RETRYABLE_STATUSES or status >= 500


def parse_retry_after(headers: httpx.Headers, now: float) -> float | None:
    """Seconds the server asked us to wait, from ``retry-after-ms`` or ``Retry-After``.

    ``Retry-After`` may be delta-seconds or an HTTP date; ``now`` is the current Unix time,
    used only for the date form.
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return max(0.0, float(email.utils.mktime_tz(parsed)) - now)
    return value if math.isfinite(value) and value >= 0 else None


@dataclass(frozen=True)
class Backoff:
    """The retry schedule: exponential backoff with jitter, capped.

    Attempt ``n`` (0-based) waits ``min(initial_delay * 2**n, max_delay)``, shortened by a
    random fraction up to ``jitter`` of itself. A server-directed ``Retry-After`` up to
    ``max_retry_after`` seconds replaces the computed wait; a longer one stops retrying.
    ``random`` and ``clock`` are injectable so tests are deterministic.
    """

    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    jitter: float = JITTER_FRACTION
    max_retry_after: float = MAX_RETRY_AFTER
    random: Callable[[], float] = field(default=random.random, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def delay(self, attempt: int, headers: httpx.Headers | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``; ``None`` means do not retry."""
        if headers is not None:
            server_wait = parse_retry_after(headers, self.clock())
            if server_wait is not None:
                return server_wait if server_wait <= self.max_retry_after else None
        base = min(self.initial_delay * math.pow(2.0, min(attempt, 32)), self.max_delay)
        return max(0.0, base * (1.0 - self.jitter * self.random()))
