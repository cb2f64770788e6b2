"""Client-made identifiers: event ids and idempotency keys.

Event ids look like the server's own (``evt_`` + a ULID: 48 bits of milliseconds then 80
random bits, Crockford base32), so they sort by creation time.
"""

from __future__ import annotations

import os
import time
import uuid

__all__ = ["new_event_id", "new_idempotency_key", "new_ulid"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid() -> str:
    """A 26-character ULID for the current time."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def new_event_id() -> str:
    """An ``event_id`` made on the client before the first try, so retries are safe."""
    return f"evt_{new_ulid()}"


def new_idempotency_key() -> str:
    """An ``Idempotency-Key`` made once per call and reused on each retry of that call."""
    return str(uuid.uuid4())
