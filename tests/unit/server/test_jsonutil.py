"""JSON helpers: depth, copies, and reading and writing what ``json`` reads and writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from questline_mock.jsonutil import copy_json, decode, encode, json_depth

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def reference_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((reference_depth(v) for v in value), default=0)
    return 0


@given(JSON_VALUES)
def test_depth_is_the_nesting_of_containers(value: Any) -> None:
    assert json_depth(value) == reference_depth(value)


def test_depth_of_a_hostile_nesting_needs_no_recursion() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    assert json_depth(deep) == 100_000


@given(JSON_VALUES)
def test_encode_and_decode_agree_with_json(value: Any) -> None:
    text = encode(value)
    assert json.loads(text) == value
    assert decode(text) == json.loads(text)
    assert copy_json(value) == value


@pytest.mark.parametrize("text", ['"a\\ud800b"', "1e400", "123456789012345678901234567890"])
def test_decode_reads_what_json_reads(text: str) -> None:
    assert repr(decode(text)) == repr(json.loads(text))
