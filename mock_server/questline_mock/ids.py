"""Server-made ids: a type prefix and a ULID body, so ids sort by creation time.

``evt_01JD…`` — 48 bits of milliseconds since the epoch, then 80 random bits, in Crockford
base32 (26 characters). Within one millisecond the random part is incremented rather than
redrawn, so ids made by one process are strictly increasing (a ULID's monotonic mode).
"""

from __future__ import annotations

import base64
import os
import threading
from datetime import datetime

_RANDOM_BITS = 80
# base64's base32 alphabet mapped onto Crockford's (no I, L, O, U), which sorts like the value.
_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)


class IdMaker:
    """Makes ``<prefix>_<ulid>`` ids; thread-safe and monotonic per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def __call__(self, prefix: str, now: datetime) -> str:
        ms = int(now.timestamp() * 1000)
        with self._lock:
            if ms <= self._last_ms:
                # Same (or an earlier, sandbox-rewound) millisecond: keep order by counting up.
                ms = self._last_ms
                self._last_random = (self._last_random + 1) % (1 << _RANDOM_BITS)
            else:
                self._last_random = int.from_bytes(os.urandom(10), "big")
            self._last_ms = ms
            value = (ms << _RANDOM_BITS) | self._last_random
        return f"{prefix}_{_encode(value)}"


def _encode(value: int) -> str:
    """128 bits as 26 Crockford base32 characters (a ULID's text form).

    Led by 2 zero bits, 128 bits make 26 whole 5-bit digits; base64's
    C encoder does the work on 17 bytes (2 + 128 + 6 padding bits).
    """
    raw = (value << 6).to_bytes(17, "big")
    return base64.b32encode(raw).translate(_CROCKFORD)[:26].decode()
