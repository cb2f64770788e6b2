"""Conditions: ``all`` / ``any`` / ``not`` trees over fact leaves, evaluated with an explanation.

A condition only *reads*: it asks a :class:`FactReader` for values and compares them. It
knows neither where facts come from (``facts.py``) nor what happens when it holds
(``rules.py``). Each operator is a small class in :data:`OPERATORS`, so adding one is a
class and a table entry, not another branch in an if-chain.

Comparison semantics (DESIGN §2), applied the same way by every operator:

* a missing fact makes a leaf false (only ``not_exists`` holds for it);
* a number compared with a numeric string compares as numbers (``"80" gte 75``); two
  strings compare as strings for ``eq`` / ``ne`` (so ``"01234" ne "1234"``), and as
  numbers for the ordering operators when both are numeric;
* ordering operators also order instants: a datetime fact (``event.occurred_at``) or an
  RFC 3339 string against an RFC 3339 string;
* any other type mismatch is false, for ``ne`` and ``not_in`` too: a leaf never holds
  "by accident" because the fact had an unexpected type, and nothing raises at event time.

Every evaluation returns an explain trace: a leaf ``{fact, operator, expected, actual,
result}`` (``missing: true`` when the fact was absent), an aggregate leaf the same with
``aggregate`` instead of ``fact``, and a node ``{op: "all"|"any"|"not", result,
children}``. All children are evaluated (no short-circuit) so the trace shows why a rule
did *not* fire, which is the question integrators ask.
"""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Protocol

from ..domain import JSON
from .render import json_safe, parse_time


class _Missing:
    """The value of a fact that is not there (distinct from a JSON ``null``)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class FactReader(Protocol):
    """Where conditions get their values; ``facts.StepFacts`` is the engine's."""

    def fact(self, path: str) -> Any:
        """The value at a fact path, or :data:`MISSING`."""

    def aggregate(self, spec: JSON) -> Any:
        """A time-window ``count`` or ``sum`` over the user's events."""


# -- coercions ---------------------------------------------------------------------------
_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def as_number(value: Any) -> int | float | None:
    """An int/float (never a bool), or a numeric string's number; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMERIC.match(value.strip()):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)
            return number if math.isfinite(number) else None
    return None


def _as_time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else parse_time(value)


def same(actual: Any, expected: Any) -> bool | None:
    """Equality under the comparison rules; None when the types cannot be compared."""
    if isinstance(actual, datetime) or isinstance(expected, datetime):
        a, b = _as_time(actual), _as_time(expected)
        return None if a is None or b is None else a == b
    real_number = (int, float)
    if (isinstance(actual, real_number) and not isinstance(actual, bool)) or (
        isinstance(expected, real_number) and not isinstance(expected, bool)
    ):
        a_num, b_num = as_number(actual), as_number(expected)
        return None if a_num is None or b_num is None else a_num == b_num
    if type(actual) is not type(expected):
        return None
    return bool(actual == expected)


def ordered(actual: Any, expected: Any) -> tuple[Any, Any] | None:
    """A pair the ordering operators can compare (numbers or instants), or None."""
    a_num, b_num = as_number(actual), as_number(expected)
    if a_num is not None and b_num is not None:
        return a_num, b_num
    a_time, b_time = _as_time(actual), _as_time(expected)
    if a_time is not None and b_time is not None:
        return a_time, b_time
    return None


# -- operators ---------------------------------------------------------------------------
class Operator(abc.ABC):
    """One comparison. ``holds`` is only called with a present fact, unless
    ``accepts_missing``; it returns False (never raises) on types it cannot compare."""

    name: ClassVar[str]
    takes_value: ClassVar[bool] = True
    accepts_missing: ClassVar[bool] = False

    @abc.abstractmethod
    def holds(self, actual: Any, expected: Any) -> bool: ...

    def value_problem(self, value: Any) -> str | None:
        """Why ``value`` can never make sense for this operator (checked when saving)."""
        return None


class Equal(Operator):
    name = "eq"

    def holds(self, actual: Any, expected: Any) -> bool:
        return same(actual, expected) is True


class NotEqual(Operator):
    name = "ne"

    def holds(self, actual: Any, expected: Any) -> bool:
        return same(actual, expected) is False


class Ordering(Operator):
    """gt / gte / lt / lte over numbers (numeric strings included) or instants."""

    def __init__(self, name: str, compare: Callable[[Any, Any], bool]) -> None:
        self.name = name  # type: ignore[misc]
        self._compare = compare

    def holds(self, actual: Any, expected: Any) -> bool:
        pair = ordered(actual, expected)
        return pair is not None and bool(self._compare(*pair))

    def value_problem(self, value: Any) -> str | None:
        if as_number(value) is None and parse_time(value) is None:
            return "must be a number, a numeric string or an RFC 3339 time"
        return None


class Membership(Operator):
    """in / not_in: the fact equals (or equals none of) the values listed."""

    def __init__(self, name: str, *, negate: bool) -> None:
        self.name = name  # type: ignore[misc]
        self._negate = negate

    def holds(self, actual: Any, expected: Any) -> bool:
        if not isinstance(expected, list):
            return False
        verdicts = [same(actual, option) for option in expected]
        if self._negate:
            return all(v is not True for v in verdicts) and any(v is False for v in verdicts)
        return any(v is True for v in verdicts)

    def value_problem(self, value: Any) -> str | None:
        return None if isinstance(value, list) and value else "must be a non-empty list"


class Contains(Operator):
    """contains / not_contains: a substring of a string fact, or an element of a list fact."""

    def __init__(self, name: str, *, negate: bool) -> None:
        self.name = name  # type: ignore[misc]
        self._negate = negate

    def holds(self, actual: Any, expected: Any) -> bool:
        if isinstance(actual, str):
            if not isinstance(expected, str):
                return False
            found = expected in actual
        elif isinstance(actual, list):
            found = any(same(item, expected) is True for item in actual)
        else:
            return False
        return found != self._negate


class Presence(Operator):
    """exists / not_exists: the fact is there with a non-null value (or is not)."""

    takes_value = False
    accepts_missing = True

    def __init__(self, name: str, *, negate: bool) -> None:
        self.name = name  # type: ignore[misc]
        self._negate = negate

    def holds(self, actual: Any, expected: Any) -> bool:
        present = actual is not MISSING and actual is not None
        return present != self._negate


class Affix(Operator):
    """starts_with / ends_with on strings."""

    def __init__(self, name: str, test: Callable[[str, str], bool]) -> None:
        self.name = name  # type: ignore[misc]
        self._test = test

    def holds(self, actual: Any, expected: Any) -> bool:
        return (
            isinstance(actual, str) and isinstance(expected, str) and self._test(actual, expected)
        )

    def value_problem(self, value: Any) -> str | None:
        return None if isinstance(value, str) else "must be a string"


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Equal(),
        NotEqual(),
        Ordering("gt", lambda a, b: a > b),
        Ordering("gte", lambda a, b: a >= b),
        Ordering("lt", lambda a, b: a < b),
        Ordering("lte", lambda a, b: a <= b),
        Membership("in", negate=False),
        Membership("not_in", negate=True),
        Contains("contains", negate=False),
        Contains("not_contains", negate=True),
        Presence("exists", negate=False),
        Presence("not_exists", negate=True),
        Affix("starts_with", str.startswith),
        Affix("ends_with", str.endswith),
    )
}


def compare(operator: str, actual: Any, expected: Any) -> bool:
    """Apply one operator under the missing/mismatch rules; unknown operators are false."""
    op = OPERATORS.get(operator)
    if op is None or (actual is MISSING and not op.accepts_missing):
        return False
    try:
        return op.holds(actual, expected)
    except (TypeError, ValueError, OverflowError):  # a comparison Python refuses: false
        return False


# -- shorthand ---------------------------------------------------------------------------
SHORTHAND_PREFIX = "property_"


def expand_shorthand(node: Any) -> Any:
    """``{"type": "property_gte", "property": "score", "value": 80}`` → the canonical leaf
    ``{"fact": "properties.score", "operator": "gte", "value": 80}``; anything else as is."""
    if not (isinstance(node, dict) and isinstance(node.get("type"), str)):
        return node
    if not node["type"].startswith(SHORTHAND_PREFIX):
        return node
    leaf: JSON = {
        "fact": f"properties.{node.get('property')}",
        "operator": node["type"][len(SHORTHAND_PREFIX) :],
    }
    if "value" in node:
        leaf["value"] = node["value"]
    return leaf


# -- evaluation --------------------------------------------------------------------------
def evaluate(condition: JSON | None, facts: FactReader) -> tuple[bool, JSON | None]:
    """``(holds, trace)``; no condition at all holds, with no trace."""
    if condition is None:
        return True, None
    return _evaluate(expand_shorthand(condition), facts)


def _evaluate(node: JSON, facts: FactReader) -> tuple[bool, JSON]:
    if not isinstance(node, dict):  # unreachable for saved definitions; false, not a crash
        return False, {"kind": "fact", "error": "not a condition", "result": False}
    for key, combine in _COMBINATORS.items():
        if key in node:
            children = node[key] if key != "not" else [node[key]]
            traces = [_evaluate(expand_shorthand(child), facts) for child in children]
            result = combine([held for held, _ in traces])
            return result, {"kind": key, "result": result, "children": [t for _, t in traces]}
    if "aggregate" in node:
        actual = facts.aggregate(node["aggregate"])
        result = compare(node.get("operator", ""), actual, node.get("value"))
        aggregate = node["aggregate"]
        return result, {
            "kind": "aggregate",
            "fact": _describe(aggregate),
            "aggregate": dict(aggregate),
            "operator": node.get("operator"),
            "expected": node.get("value"),
            "actual": actual,
            "result": result,
        }
    actual = facts.fact(node.get("fact", ""))
    result = compare(node.get("operator", ""), actual, node.get("value"))
    trace: JSON = {
        "kind": "fact",
        "fact": node.get("fact"),
        "operator": node.get("operator"),
        "expected": node.get("value"),
        "actual": None if actual is MISSING else json_safe(actual),
        "result": result,
    }
    if actual is MISSING:
        trace["missing"] = True
    return result, trace


def _describe(aggregate: JSON) -> str:
    """``sum(purchase.amount, 604800s)`` — an aggregate leaf's "fact" in the trace."""
    target = aggregate.get("event_type", "?")
    if aggregate.get("property"):
        target = f"{target}.{aggregate['property']}"
    return f"{aggregate.get('function', 'count')}({target}, {aggregate.get('window_seconds')}s)"


_COMBINATORS: dict[str, Callable[[list[bool]], bool]] = {
    "all": all,
    "any": any,
    "not": lambda held: not held[0],
}
