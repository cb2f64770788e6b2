"""Client-made identifiers: event ids and idempotency keys.

Event ids look like the server's own (``evt_`` + a ULID: 48 bits of milliseconds then 80
random bits, Crockford base32), so they sort by creation time.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid

__all__ = ["new_event_id", "new_idempotency_key", "new_ulid"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _base32(value: int) -> str:
    """128 bits as 26 Crockford base32 characters, most significant first."""
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def new_ulid() -> str:
    """A 26-character ULID for the current time."""
    return _base32((time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big"))


def new_event_id(idempotency_key: str | None = None) -> str:
    """An ``event_id`` made on the client before the first try, so retries are safe.

    With the call's own ``idempotency_key``, it is derived from that key: the same call
    made again with the same key sends the same body, so the server replays it (a fresh
    id would make the body differ, which the server refuses as ``idempotency_key_reused``).
    """
    if idempotency_key is None:
        return f"evt_{new_ulid()}"
    digest = hashlib.sha256(b"questline event_id\0" + idempotency_key.encode()).digest()
    return f"evt_{_base32(int.from_bytes(digest[:16], 'big'))}"


def new_idempotency_key() -> str:
    """An ``Idempotency-Key`` made once per call and reused on each retry of that call."""
    return str(uuid.uuid4())
