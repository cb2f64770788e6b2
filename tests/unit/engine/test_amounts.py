"""Computed amounts: decimal arithmetic, the three roundings, clamping at zero."""

from __future__ import annotations

from typing import Any

import pytest
from questline_mock.engine.amounts import resolve_amount
from questline_mock.engine.conditions import MISSING


def reader(facts: dict[str, Any]) -> Any:
    return lambda path: facts.get(path, MISSING)


def computed(value: Any, multiply: Any = 1, round: str = "floor") -> int:
    spec = {"from": "properties.amount", "multiply": multiply, "round": round}
    return resolve_amount(spec, reader({"properties.amount": value}))


def test_fixed_amount_is_used_as_is() -> None:
    assert resolve_amount(25, reader({})) == 25


def test_negative_fixed_amount_is_clamped_to_zero() -> None:
    assert resolve_amount(-5, reader({})) == 0


@pytest.mark.parametrize(
    ("value", "multiply", "rounding", "expected"),
    [
        (47, 0.1, "floor", 4),
        (47, 0.1, "ceil", 5),
        (47, 0.1, "nearest", 5),
        (44, 0.1, "nearest", 4),
        (45, 0.1, "nearest", 5),  # halves round up
        (40, 0.1, "ceil", 4),  # exact stays exact under ceil
        (19.99, 100, "floor", 1999),  # decimal, not binary float: not 1998
        (0.29, 100, "floor", 29),  # 0.29 * 100 is 28.999999999999996 in binary float
        ("12.5", 2, "floor", 25),  # a numeric string property
        (3, 1, "floor", 3),
        (7, 3, "ceil", 21),  # integers multiply exactly
        (-7, 3, "floor", 0),
        (10**12, 10**3, "floor", 1_000_000_000),  # clamped to MAX_AMOUNT
        (7, 0.1, "floor", 0),  # the multiplier converted once, used again: same answers
        (7, 1.0, "nearest", 7),
    ],
)
def test_computed_amount_rounding(value: Any, multiply: Any, rounding: str, expected: int) -> None:
    assert computed(value, multiply, rounding) == expected


def test_computed_amount_defaults_to_multiply_one_and_floor() -> None:
    assert resolve_amount({"from": "properties.amount"}, reader({"properties.amount": 7.9})) == 7


@pytest.mark.parametrize("rounding", ["floor", "ceil", "nearest"])
def test_negative_computed_amount_is_clamped_to_zero(rounding: str) -> None:
    assert computed(-30, 0.5, rounding) == 0


@pytest.mark.parametrize("value", [MISSING, None, "abc", [1], {"a": 1}, True])
def test_missing_or_non_numeric_source_grants_nothing(value: Any) -> None:
    facts = {} if value is MISSING else {"properties.amount": value}
    assert resolve_amount({"from": "properties.amount", "multiply": 2}, reader(facts)) == 0


def test_malformed_specs_grant_nothing() -> None:
    assert resolve_amount("10", reader({})) == 0
    assert resolve_amount(None, reader({})) == 0
    assert resolve_amount(True, reader({})) == 0
