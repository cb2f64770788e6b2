"""Amounts: an action's ``amount``, a fixed int or computed from a fact.

``{"from": "properties.amount", "multiply": 0.1, "round": "floor"}`` gives points per
currency spent. The arithmetic is decimal, not binary floating point, because integrators
write prices like ``19.99`` and ``19.99 * 100`` must be 1999, not 1998 after a floor.
The result is an int clamped to ``[0, MAX_AMOUNT]`` (a refund event cannot grant negative
XP; a huge property cannot overflow a balance), and a missing or non-numeric fact counts
as 0 rather than failing the event.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from .conditions import as_number

# "nearest" rounds halves up (2.5 -> 3): after the clamp only non-negative values are
# rounded, where half-up is what people expect from a points calculator.
ROUNDINGS: dict[str, str] = {
    "floor": ROUND_FLOOR,
    "ceil": ROUND_CEILING,
    "nearest": ROUND_HALF_UP,
}
DEFAULT_ROUND = "floor"
DEFAULT_MULTIPLY = 1
# The spec's bound on a fixed amount (``Amount``, ``TransactionCreate.amount``); computed
# amounts get the same cap, so totals stay far inside a 64-bit integer.
MAX_AMOUNT = 1_000_000_000


def _decimal(value: int | float) -> Decimal:
    # str() first: Decimal(0.1) is 0.1000000000000000055..., Decimal("0.1") is 0.1. An int
    # is exact either way, and quicker without the text.
    return Decimal(value) if type(value) is int else Decimal(str(value))


@lru_cache(maxsize=1024)
def _factor(multiply: int | float) -> Decimal:
    """A multiplier as a decimal: a rule's few multipliers, converted once."""
    return _decimal(multiply)


def resolve_amount(spec: Any, read_fact: Callable[[str], Any]) -> int:
    """The non-negative int an ``amount`` spec yields; ``read_fact(path)`` reads a fact."""
    if isinstance(spec, bool):
        return 0
    if isinstance(spec, int):
        return _clamp(spec)
    if isinstance(spec, float) and math.isfinite(spec):
        return _clamp(int(spec))
    if not isinstance(spec, dict):
        return 0
    base = as_number(read_fact(str(spec.get("from", ""))))
    multiply = as_number(spec.get("multiply", DEFAULT_MULTIPLY))
    if base is None or multiply is None:
        return 0
    if type(base) is int and type(multiply) is int:
        return _clamp(base * multiply)  # exact: nothing to round
    rounding = ROUNDINGS.get(spec.get("round", DEFAULT_ROUND), ROUND_FLOOR)
    try:
        product = _decimal(base) * _factor(multiply)
        result = int(product.to_integral_value(rounding=rounding))
    except (InvalidOperation, ValueError, OverflowError):
        return 0
    return _clamp(result)


def _clamp(amount: int) -> int:
    return min(max(amount, 0), MAX_AMOUNT)
