"""Operators, comparison semantics, all/any/not trees, shorthand and the explain trace."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from questline_mock.engine.conditions import (
    MISSING,
    OPERATORS,
    compare,
    evaluate,
    expand_shorthand,
)


class DictFacts:
    """A FactReader over a plain dict: conditions only read, so this is all they need."""

    def __init__(self, facts: dict[str, Any], aggregates: dict[str, Any] | None = None) -> None:
        self.facts = facts
        self.aggregates = aggregates or {}

    def fact(self, path: str) -> Any:
        return self.facts.get(path, MISSING)

    def aggregate(self, spec: dict[str, Any]) -> Any:
        return self.aggregates.get(spec["event_type"], 0)


def test_all_fourteen_operators_exist() -> None:
    assert sorted(OPERATORS) == sorted(
        [
            "eq",
            "ne",
            "gt",
            "gte",
            "lt",
            "lte",
            "in",
            "not_in",
            "contains",
            "not_contains",
            "exists",
            "not_exists",
            "starts_with",
            "ends_with",
        ]
    )


@pytest.mark.parametrize(
    ("operator", "actual", "expected", "result"),
    [
        ("eq", 5, 5, True),
        ("eq", 5, 6, False),
        ("eq", "gold", "gold", True),
        ("eq", True, True, True),
        ("eq", None, None, True),
        ("eq", [1, 2], [1, 2], True),
        ("ne", 5, 6, True),
        ("ne", "a", "a", False),
        ("gt", 10, 5, True),
        ("gt", 5, 5, False),
        ("gte", 5, 5, True),
        ("gte", 4.9, 5, False),
        ("lt", 1, 2, True),
        ("lt", 2, 2, False),
        ("lte", 2, 2, True),
        ("lte", 3, 2, False),
        ("in", "b", ["a", "b"], True),
        ("in", "c", ["a", "b"], False),
        ("in", 2, [1, 2, 3], True),
        ("not_in", "c", ["a", "b"], True),
        ("not_in", "a", ["a", "b"], False),
        ("contains", "hello world", "lo w", True),
        ("contains", "hello", "xyz", False),
        ("contains", ["vip", "beta"], "beta", True),
        ("contains", ["vip"], "beta", False),
        ("not_contains", ["vip"], "beta", True),
        ("not_contains", "hello", "ell", False),
        ("exists", 0, None, True),
        ("exists", "", None, True),
        ("not_exists", 0, None, False),
        ("starts_with", "premium_plan", "premium", True),
        ("starts_with", "basic_plan", "premium", False),
        ("ends_with", "user@example.com", "@example.com", True),
        ("ends_with", "user@other.org", "@example.com", False),
    ],
)
def test_operator_semantics(operator: str, actual: Any, expected: Any, result: bool) -> None:
    assert compare(operator, actual, expected) is result


@pytest.mark.parametrize(
    ("operator", "actual", "expected", "result"),
    [
        ("gte", "80", 75, True),
        ("gte", "70", 75, False),
        ("eq", "80", 80, True),
        ("eq", 80, "80.0", True),
        ("ne", "81", 80, True),
        ("lt", "1e2", 101, True),
        ("gt", " 42 ", 41, True),
        ("in", "2", [1, 2, 3], True),
        ("not_in", "4", [1, 2, 3], True),
        ("contains", ["1", "2"], 2, True),
        # Two numeric strings: ordering compares numbers, equality compares text.
        ("gt", "10", "9", True),
        ("eq", "01234", "1234", False),
    ],
)
def test_numeric_strings_compare_as_numbers(
    operator: str, actual: Any, expected: Any, result: bool
) -> None:
    assert compare(operator, actual, expected) is result


@pytest.mark.parametrize(
    ("operator", "actual", "expected"),
    [
        ("gt", "abc", 5),
        ("gte", {"a": 1}, 1),
        ("lt", [1], 2),
        ("gt", True, 0),  # a bool is not a number
        ("eq", "abc", 5),
        ("ne", "abc", 5),  # a mismatch never holds, not even for ne
        ("eq", True, 1),
        ("ne", None, 1),
        ("in", {"a": 1}, ["a"]),
        ("not_in", 5, ["a", "b"]),
        ("contains", 42, "4"),
        ("contains", "abc", 1),
        ("not_contains", 42, "4"),
        ("starts_with", 123, "1"),
        ("ends_with", "abc", 3),
        ("in", "a", "abc"),  # value not a list
        ("gt", "nan", 1),
        ("gt", "inf", 1),
    ],
)
def test_type_mismatch_is_false_not_an_error(operator: str, actual: Any, expected: Any) -> None:
    assert compare(operator, actual, expected) is False


@pytest.mark.parametrize("operator", sorted(set(OPERATORS) - {"not_exists"}))
def test_missing_fact_is_false_for_every_operator_but_not_exists(operator: str) -> None:
    assert compare(operator, MISSING, 1) is False


def test_not_exists_holds_for_missing_and_null() -> None:
    assert compare("not_exists", MISSING, None) is True
    assert compare("not_exists", None, None) is True
    assert compare("exists", None, None) is False


def test_unknown_operator_is_false() -> None:
    assert compare("approximately", 1, 1) is False


def test_ordering_operators_order_instants() -> None:
    moment = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    assert compare("gte", moment, "2026-03-01T00:00:00Z") is True
    assert compare("lt", moment, "2026-03-02T13:00:00+02:00") is False
    assert compare("eq", moment, "2026-03-02T13:00:00+01:00") is True
    assert compare("gt", "2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z") is True
    assert compare("gt", moment, "yesterday") is False


def test_all_any_not_combine() -> None:
    facts = DictFacts({"properties.score": 90, "user.level": 3})
    high = {"fact": "properties.score", "operator": "gte", "value": 80}
    low_level = {"fact": "user.level", "operator": "lt", "value": 2}
    assert evaluate({"all": [high, low_level]}, facts)[0] is False
    assert evaluate({"any": [high, low_level]}, facts)[0] is True
    assert evaluate({"not": low_level}, facts)[0] is True
    assert evaluate({"all": [high, {"not": {"any": [low_level]}}]}, facts)[0] is True


def test_no_condition_holds_without_trace() -> None:
    assert evaluate(None, DictFacts({})) == (True, None)


def test_trace_names_every_leaf_with_its_actual_value() -> None:
    facts = DictFacts({"properties.score": 70})
    condition = {
        "all": [
            {"fact": "properties.score", "operator": "gte", "value": 80},
            {"not": {"fact": "properties.coupon", "operator": "exists"}},
        ]
    }
    held, trace = evaluate(condition, facts)
    assert held is False
    assert trace == {
        "kind": "all",
        "result": False,
        "children": [
            {
                "kind": "fact",
                "fact": "properties.score",
                "operator": "gte",
                "expected": 80,
                "actual": 70,
                "result": False,
            },
            {
                "kind": "not",
                "result": True,
                "children": [
                    {
                        "kind": "fact",
                        "fact": "properties.coupon",
                        "operator": "exists",
                        "expected": None,
                        "actual": None,
                        "result": False,
                        "missing": True,
                    }
                ],
            },
        ],
    }


def test_trace_evaluates_every_child_even_after_the_answer_is_known() -> None:
    facts = DictFacts({"a": 1, "b": 2})
    condition = {
        "any": [
            {"fact": "a", "operator": "eq", "value": 1},
            {"fact": "b", "operator": "eq", "value": 3},
        ]
    }
    _, trace = evaluate(condition, facts)
    assert [child["actual"] for child in trace["children"]] == [1, 2]


def test_aggregate_leaf_compares_the_aggregate() -> None:
    facts = DictFacts({}, aggregates={"purchase": 3})
    leaf = {
        "aggregate": {"event_type": "purchase", "function": "count", "window_seconds": 604800},
        "operator": "gte",
        "value": 3,
    }
    held, trace = evaluate(leaf, facts)
    assert held is True
    assert trace["actual"] == 3 and trace["aggregate"]["event_type"] == "purchase"


def test_trace_renders_datetimes_as_rfc3339() -> None:
    moment = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    leaf = {"fact": "event.occurred_at", "operator": "exists"}
    _, trace = evaluate(leaf, DictFacts({"event.occurred_at": moment}))
    assert trace["actual"] == "2026-03-02T12:00:00Z"


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_property_shorthand_expands_for_every_operator(operator: str) -> None:
    short = {"type": f"property_{operator}", "property": "order.total", "value": 80}
    assert expand_shorthand(short) == {
        "fact": "properties.order.total",
        "operator": operator,
        "value": 80,
    }


def test_shorthand_is_evaluated_inside_trees() -> None:
    facts = DictFacts({"properties.score": 95})
    condition = {"all": [{"type": "property_gte", "property": "score", "value": 80}]}
    assert evaluate(condition, facts)[0] is True


VALUES = st.one_of(
    st.integers(-(10**20), 10**20),
    st.sampled_from([10**400, -(10**400)]),  # past the float range
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["80", " 42 ", "1e2", "abc", "", "2026-03-02T09:00:00Z", "1" * 5000]),
    st.lists(st.integers(-3, 3), max_size=3),
    st.lists(st.sampled_from(["80", "books", "abc", ""]), min_size=1, max_size=3),
    st.sampled_from(["books", 80]),
    st.just(MISSING),
)


def unbound(operator: str, actual: Any, expected: Any) -> bool:
    """The operator's plain ``holds``, under the missing and mismatch rules: the oracle
    for every shortcut a compiled leaf binds."""
    op = OPERATORS[operator]
    if actual is MISSING and not op.accepts_missing:
        return False  # a missing fact fails every operator but (not_)exists
    try:
        return op.holds(actual, expected)
    except (TypeError, ValueError, OverflowError):
        return False


@settings(max_examples=400, deadline=None)
@given(operator=st.sampled_from(sorted(OPERATORS)), actual=VALUES, expected=VALUES)
def test_a_compiled_leaf_answers_as_the_operator_does(
    operator: str, actual: Any, expected: Any
) -> None:
    """Compiled leaves bind their operator with shortcuts (numbers coerced once, integers
    compared at once, a list of strings made a set); every one must give the operator's
    own answer, inside all/any/not too."""
    if expected is MISSING:
        expected = None
    leaf = {"fact": "x", "operator": operator, "value": expected}
    facts = DictFacts({} if actual is MISSING else {"x": actual})
    expected_result = unbound(operator, actual, expected)
    if actual is not MISSING:
        assert compare(operator, actual, expected) is expected_result
    assert evaluate(leaf, facts)[0] is expected_result
    assert evaluate({"all": [leaf, leaf]}, facts)[0] is expected_result
    assert evaluate({"any": [leaf, {"not": leaf}]}, facts)[0] is True
    assert evaluate({"not": leaf}, facts)[0] is (not expected_result)
