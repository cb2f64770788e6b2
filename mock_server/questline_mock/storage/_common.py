"""Small pieces both backends share, so that they agree to the bit on what they return.

Time: both backends key their indexes on integer microseconds since the Unix epoch (UTC), so
ordering and window boundaries are exact and identical (a naive ``datetime`` is taken as
UTC, never as local time). Cursors: a cursor is the decimal ``seq`` of the last row of a
page; new rows get larger sequence numbers, which is what keeps a listing stable while rows
are inserted. Aggregates: one definition of "the numeric value of a property", summed with
``math.fsum`` so the result does not depend on the order rows come back in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from ..domain import JSON
from .base import InvalidCursor

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
# Decimal numbers as JSON writes them, optionally signed and padded; "nan", "inf", "1_000"
# (which float() would accept) are not numbers to an integrator.
_NUMERIC = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_CURSOR = re.compile(r"[0-9]{1,18}")
MISSING: Any = object()
_SCALE = 64  # scaled by 2**-64, even 2**64 maximal floats sum without overflow


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch; a naive ``datetime`` is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // _MICROSECOND


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def opt_to_us(moment: datetime | None) -> int | None:
    return None if moment is None else to_us(moment)


def opt_from_us(us: int | None) -> datetime | None:
    return None if us is None else from_us(us)


def encode_cursor(seq: int) -> str:
    return str(seq)


def decode_cursor(cursor: str | None) -> int | None:
    """The ``seq`` a cursor names; a malformed one raises :class:`InvalidCursor`."""
    if cursor is None:
        return None
    if not isinstance(cursor, str) or not _CURSOR.fullmatch(cursor):
        raise InvalidCursor(cursor)
    return int(cursor)


def check_limit(limit: int) -> int:
    if limit < 1:
        raise ValueError(f"limit must be >= 1, not {limit}")
    return limit


def property_path(path: str) -> list[str]:
    return path.split(".")


def lookup(properties: Any, segments: list[str]) -> Any:
    """The value at a dotted path through nested objects, or :data:`MISSING`."""
    value = properties
    for segment in segments:
        if not isinstance(value, dict) or segment not in value:
            return MISSING
        value = value[segment]
    return value


def numeric_value(value: Any) -> float:
    """What a property adds to a ``sum``: numbers and numeric strings; anything else is 0."""
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return 0.0
    elif isinstance(value, str) and len(value) <= 400 and _NUMERIC.fullmatch(value):
        number = float(value)
    else:
        return 0.0
    return number if math.isfinite(number) else 0.0


def exact_sum(values: Iterable[float]) -> float:
    """Correctly rounded, so independent of row order; ±inf beyond the float range.

    ``fsum`` refuses sums whose partials overflow, so those are summed scaled down by an
    exact power of two and scaled back.
    """
    numbers = list(values)
    try:
        return math.fsum(numbers)
    except OverflowError:
        scaled = math.fsum(math.ldexp(v, -_SCALE) for v in numbers)
        try:
            return math.ldexp(scaled, _SCALE)
        except OverflowError:
            return math.copysign(math.inf, scaled)


def rule_trigger(kind: str, document: JSON) -> str | None:
    """The key of the rules-by-trigger index: a rule's ``trigger.event_type``, else None."""
    if kind != "rules":
        return None
    trigger = document.get("trigger")
    event_type = trigger.get("event_type") if isinstance(trigger, dict) else None
    return event_type if isinstance(event_type, str) else None
