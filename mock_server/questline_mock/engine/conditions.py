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

A condition is compiled once into a tree of nodes (``compile_condition``), cached by its
content, so an event pays for reading facts and comparing, not for walking the
definition's dicts, expanding shorthand and looking operators up. Evaluation records only
the leaves' values (``run``); the trace's dicts are built from them when it is read.
"""

from __future__ import annotations

import abc
import marshal
import math
import operator
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, ClassVar, Protocol

from ..domain import JSON, MISSING, Trace
from ..jsonutil import copy_json
from .render import json_safe, parse_time


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

    def bind(self, expected: Any) -> Callable[[Any], bool]:
        """``holds`` with ``expected`` fixed (compiled leaves call this once per event)."""
        return lambda actual: self.holds(actual, expected)

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

    @property
    def compare(self) -> Callable[[Any, Any], bool]:
        """The comparison itself (``operator.ge`` …), for two numbers or two instants."""
        return self._compare

    def holds(self, actual: Any, expected: Any) -> bool:
        pair = ordered(actual, expected)
        return pair is not None and bool(self._compare(*pair))

    def bind(self, expected: Any) -> Callable[[Any], bool]:
        """``holds`` with the expected value coerced once: the same answer as ``ordered``."""
        try:
            number, moment = as_number(expected), _as_time(expected)
        except (TypeError, ValueError, OverflowError):  # decided at event time, as before
            return super().bind(expected)
        compare = self._compare

        def holds(actual: Any) -> bool:
            if number is not None:
                kind = type(actual)
                if kind is int:  # the common case, without as_number's checks
                    actual_number = actual
                elif kind is float:
                    actual_number = actual if math.isfinite(actual) else None
                else:
                    actual_number = as_number(actual)
                if actual_number is not None:
                    return bool(compare(actual_number, number))
            if moment is not None:
                actual_moment = _as_time(actual)
                if actual_moment is not None:
                    return bool(compare(actual_moment, moment))
            return False

        return holds

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

    def bind(self, expected: Any) -> Callable[[Any], bool]:
        """``holds`` with a list of strings made a set once: a string fact against strings
        is plain equality (``same``), so membership is one lookup; any other fact (a
        number, which may equal a numeric string) takes ``holds``."""
        if not (isinstance(expected, list) and expected) or any(
            type(option) is not str for option in expected
        ):
            return super().bind(expected)
        options, negate, slow = frozenset(expected), self._negate, super().bind(expected)

        def holds(actual: Any) -> bool:
            if type(actual) is str:
                return (actual in options) != negate
            return slow(actual)

        return holds

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
        Ordering("gt", operator.gt),
        Ordering("gte", operator.ge),
        Ordering("lt", operator.lt),
        Ordering("lte", operator.le),
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
    return _test(operator, expected)(actual)


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
class Compiled(abc.ABC):
    """A condition compiled once (a tree of these nodes), cached by content.

    Evaluating records only what the step saw: each leaf appends its actual value (JSON
    safe, or :data:`MISSING`) and its verdict to a flat list. :meth:`explain` rebuilds the
    whole explain trace from those values, so an event stores a few scalars per rule and
    builds the trace's dicts only when somebody reads it. Nodes are immutable and shared.
    A tree's root keeps the document it was compiled from as ``source``.
    """

    __slots__ = ("source",)
    source: Any  # the document a tree's root was compiled from (set on roots only)

    def __call__(self, facts: FactReader) -> tuple[bool, JSON]:
        """``(holds, trace)`` in one go (what :func:`evaluate` returns)."""
        seen: list[Any] = []
        held = self.run(facts, seen)
        return held, self.explain(iter(seen))[1]

    @abc.abstractmethod
    def run(self, facts: FactReader, seen: list[Any]) -> bool:
        """Whether the condition holds; appends ``actual, verdict`` per leaf to ``seen``."""

    @abc.abstractmethod
    def explain(self, seen: Iterator[Any]) -> tuple[bool, JSON]:
        """``(holds, trace)`` from the values :meth:`run` recorded, consumed in order."""


def evaluate(condition: JSON | None, facts: FactReader) -> tuple[bool, JSON | None]:
    """``(holds, trace)``; no condition at all holds, with no trace."""
    if condition is None:
        return True, None
    return compile_condition(condition)(facts)


def run(condition: JSON | None, facts: FactReader) -> tuple[bool, Compiled | None, tuple[Any, ...]]:
    """``(holds, compiled, seen)``: the compact form of :func:`evaluate`, whose trace is
    ``compiled.explain(iter(seen))`` (no condition: holds, ``None``, ``()``)."""
    if condition is None:
        return True, None, ()
    compiled = compile_condition(condition)
    seen: list[Any] = []
    held = compiled.run(facts, seen)
    return held, compiled, tuple(seen)


_COMPILED: dict[bytes, Compiled] = {}
_COMPILED_MAX = 4096  # distinct conditions kept; a project has few, each read per event


def compile_condition(condition: Any) -> Compiled:
    """The condition as a tree of nodes, cached by content.

    The key is the condition's marshal serialisation, which (unlike ``==``) tells ``1``
    from ``1.0`` and ``True``, so two conditions share an evaluator only when they are the
    same document. The evaluator is compiled from a private copy, so a caller that changes
    its document afterwards cannot change what the cached evaluator does.
    """
    try:
        key = marshal.dumps(condition, 2)  # version 2: no back-references, same bytes
    except ValueError:  # not plain JSON: compile it as it is, uncached
        uncached = _compile(expand_shorthand(condition))
        uncached.source = condition
        return uncached
    found = _COMPILED.get(key)
    if found is None:
        found = _compile(expand_shorthand(marshal.loads(key)))
        found.source = marshal.loads(key)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


Trace.compile = compile_condition  # a stored trace's conditions compile back here


def _compile(node: Any) -> Compiled:
    if not isinstance(node, dict):  # unreachable for saved definitions; false, not a crash
        return _NotACondition()
    for key, combine in _COMBINATORS.items():
        if key in node:
            children = node[key] if key != "not" else [node[key]]
            return _Combination(key, combine, [_compile(expand_shorthand(c)) for c in children])
    if "aggregate" in node:
        return _AggregateLeaf(node)
    return _FactLeaf(node)


class _NotACondition(Compiled):
    __slots__ = ()

    def run(self, facts: FactReader, seen: list[Any]) -> bool:
        return False

    def explain(self, seen: Iterator[Any]) -> tuple[bool, JSON]:
        return False, {"kind": "fact", "error": "not a condition", "result": False}


class _Combination(Compiled):
    __slots__ = ("_combine", "_kind", "_parts")

    def __init__(
        self, kind: str, combine: Callable[[list[bool]], bool], parts: list[Compiled]
    ) -> None:
        self._kind, self._combine, self._parts = kind, combine, tuple(parts)

    def run(self, facts: FactReader, seen: list[Any]) -> bool:
        # Every child is evaluated (no short-circuit): the trace shows each one. A loop
        # rather than ``all([...])``: this runs for every rule of every event.
        kind = self._kind
        if kind == "all":
            held = True
            for part in self._parts:
                if not part.run(facts, seen):
                    held = False
            return held
        if kind == "any":
            held = False
            for part in self._parts:
                if part.run(facts, seen):
                    held = True
            return held
        return self._combine([part.run(facts, seen) for part in self._parts])

    def explain(self, seen: Iterator[Any]) -> tuple[bool, JSON]:
        held: list[bool] = []
        traces: list[JSON] = []
        for part in self._parts:
            child_held, child_trace = part.explain(seen)
            held.append(child_held)
            traces.append(child_trace)
        result = self._combine(held)
        return result, {"kind": self._kind, "result": result, "children": traces}


def _test(operator: str, expected: Any) -> Callable[[Any], bool]:
    """One operator with its value bound: a missing fact or a type mismatch is false, and a
    comparison Python refuses is false too, never an error."""
    op = OPERATORS.get(operator)
    if op is None:
        return lambda actual: False
    holds = op.bind(expected)
    accepts_missing = op.accepts_missing

    def test(actual: Any) -> bool:
        if actual is MISSING and not accepts_missing:
            return False
        try:
            return holds(actual)
        except (TypeError, ValueError, OverflowError):
            return False

    plain_number = type(expected) is int or (type(expected) is float and math.isfinite(expected))
    if isinstance(op, Ordering) and plain_number:
        compare = op.compare

        def integer_first(actual: Any) -> bool:
            # The common case (an integer fact against a number) in one step; the same
            # answer as ``test``, which takes every other case.
            if type(actual) is int:
                return compare(actual, expected)
            return test(actual)

        return integer_first
    return test


def _fresh(value: Any) -> Any:
    """``value`` for a new trace: scalars as they are, containers copied."""
    return value if type(value) in _PLAIN else copy_json(value)


class _AggregateLeaf(Compiled):
    __slots__ = ("_aggregate", "_described", "_expected", "_operator", "_test")

    def __init__(self, node: JSON) -> None:
        self._aggregate = node["aggregate"]
        self._operator, self._expected = node.get("operator"), node.get("value")
        self._test = _test(node.get("operator", ""), self._expected)
        aggregate = self._aggregate
        self._described = _describe(aggregate) if isinstance(aggregate, dict) else None

    def run(self, facts: FactReader, seen: list[Any]) -> bool:
        actual = facts.aggregate(self._aggregate)
        result = self._test(actual)
        seen += (actual if type(actual) in _PLAIN else json_safe(actual), result)
        return result

    def explain(self, seen: Iterator[Any]) -> tuple[bool, JSON]:
        actual, result = next(seen), next(seen)
        aggregate = self._aggregate
        return result, {
            "kind": "aggregate",
            "fact": self._described if self._described is not None else _describe(aggregate),
            "aggregate": dict(aggregate),
            "operator": self._operator,
            "expected": _fresh(self._expected),
            "actual": _fresh(actual),
            "result": result,
        }


class _FactLeaf(Compiled):
    __slots__ = ("_expected", "_fact", "_operator", "_path", "_test")

    def __init__(self, node: JSON) -> None:
        self._path, self._fact = node.get("fact", ""), node.get("fact")
        self._operator, self._expected = node.get("operator"), node.get("value")
        self._test = _test(node.get("operator", ""), self._expected)

    def run(self, facts: FactReader, seen: list[Any]) -> bool:
        actual = facts.fact(self._path)
        result = self._test(actual)
        if actual is MISSING or type(actual) in _PLAIN:
            seen += (actual, result)
        else:
            seen += (json_safe(actual), result)
        return result

    def explain(self, seen: Iterator[Any]) -> tuple[bool, JSON]:
        actual, result = next(seen), next(seen)
        trace: JSON = {
            "kind": "fact",
            "fact": self._fact,
            "operator": self._operator,
            "expected": _fresh(self._expected),
            "actual": None if actual is MISSING else _fresh(actual),
            "result": result,
        }
        if actual is MISSING:
            trace["missing"] = True
        return result, trace


_PLAIN = frozenset({str, int, float, bool, type(None)})  # what json_safe returns as is


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
