"""Server-made ids: a type prefix and a ULID body, so ids sort by creation time.

``evt_01JD…`` — 48 bits of milliseconds since the epoch, then 80 random bits, in Crockford
base32 (26 characters). Within one millisecond the random part is incremented rather than
redrawn, so ids made by one process are strictly increasing (a ULID's monotonic mode).
"""

from __future__ import annotations

import os
import re
import threading
from datetime import datetime

_RANDOM_BITS = 80
_RANDOM_LIMIT = 1 << _RANDOM_BITS
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's: no I, L, O, U; sorts like the value
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_SHIFTS = range(120, -1, -10)
_RANDOM_SHIFTS = range(70, -1, -10)  # the low 80 bits: the last 16 characters


class IdMaker:
    """Makes ``<prefix>_<ulid>`` ids; thread-safe and monotonic per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now: tuple[datetime | None, int] = (None, -1)  # the last ``now``, in ms
        self._last_ms = -1
        self._last_random = 0
        self._time_value = 0  # ``_last_ms`` in place: the id's value less its random part
        self._time_text = ""  # the last millisecond's 10 characters
        # The random part but its last two characters (they change on every count up).
        self._high_text = ""

    def __call__(self, prefix: str, now: datetime) -> str:
        return self.many(prefix, now, 1)[0]

    def many(self, prefix: str, now: datetime, count: int) -> list[str]:
        """``count`` ids in order (one step's messages), for the price of one lock."""
        last_now, ms = self._now  # one read: another thread may replace it
        if now is not last_now:  # a step makes all its ids with one ``now``
            ms = int(now.timestamp() * 1000)
            self._now = (now, ms)
        body = len(prefix) + 1
        made: list[str] = []
        with self._lock:
            for _ in range(count):
                if ms <= self._last_ms:
                    # Same (or an earlier, sandbox-rewound) millisecond: count up, in order.
                    random = self._last_random + 1
                    if random & 1023 == 0:  # a carry out of the last two characters
                        if random == _RANDOM_LIMIT:  # wrapped: carry into the time part
                            random = 0
                            self._set_time(self._last_ms + 1)
                        self._high_text = _random_text(random)[:-2]
                    self._last_random = random
                else:
                    random = self._last_random = int.from_bytes(os.urandom(10), "big")
                    self._set_time(ms)
                    self._high_text = _random_text(random)[:-2]
                text = f"{prefix}_{self._time_text}{self._high_text}{_PAIRS[random & 1023]}"
                _MADE[text] = body, self._time_value | random
                made.append(text)
        if len(_MADE) > _MADE_MAX:
            _MADE.clear()
        return made

    def _set_time(self, ms: int) -> None:
        self._last_ms = ms
        self._time_value = ms << _RANDOM_BITS
        self._time_text = _encode(self._time_value)[:10]


def _random_text(random: int) -> str:
    """The 80 random bits as their 16 characters."""
    pairs = _PAIRS
    return "".join([pairs[(random >> shift) & 1023] for shift in _RANDOM_SHIFTS])


# The ids made last, with their values: storage compacts an id soon after it is made.
_MADE: dict[str, tuple[int, int]] = {}
_MADE_MAX = 1024


_CANONICAL = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
_TO_BASE32 = str.maketrans(_ALPHABET, "0123456789abcdefghijklmnopqrstuv")


def compact(text: str, prefix: str) -> int | str:
    """A server-made ``<prefix>_<ulid>`` id as its 128-bit value (an int of 44 bytes where
    the text takes 79), for keeping many of them in memory; any other text as it is.
    :func:`expand` gives back the exact text, and two different texts never share a key."""
    body = len(prefix) + 1
    made = _MADE.get(text)
    if made is not None and made[0] == body and text.startswith(prefix):
        return made[1]
    if (
        len(text) == body + 26
        and text.startswith(prefix)
        and text[body - 1] == "_"
        and _CANONICAL.fullmatch(text, body)
    ):
        return int(text[body:].translate(_TO_BASE32), 32)
    return text


def expand(key: int | str, prefix: str) -> str:
    """The id text of a :func:`compact` key."""
    return key if isinstance(key, str) else f"{prefix}_{_encode(key)}"


def _encode(value: int) -> str:
    """128 bits as 26 Crockford base32 characters (a ULID's text form), most significant
    first: 13 lookups of 10 bits (two characters) each, led by 2 zero bits."""
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in _SHIFTS])
