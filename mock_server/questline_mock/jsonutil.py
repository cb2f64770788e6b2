"""Small JSON helpers shared by the HTTP edge, the backend and storage."""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic_core import PydanticSerializationError, to_json


def encode(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, keys in their order.

    pydantic-core's encoder (already a dependency) writes the dict-heavy documents the
    server returns and stores three to four times faster than the ``json`` module. The one
    thing it refuses, a lone surrogate in a string, falls back to ``json`` with ASCII
    escapes, so any value ``json`` could write is written.
    """
    try:
        return to_json(value)
    except PydanticSerializationError:
        return json.dumps(value, separators=(",", ":")).encode()


def json_depth(value: Any) -> int:
    """Nesting depth of a JSON value (``{}`` is 1), without recursion: a hostile body must
    not be able to blow the stack."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


_SCALARS = frozenset({str, int, float, bool, type(None)})


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value: dicts and lists rebuilt, scalars shared. Several times
    faster than ``copy.deepcopy`` (no memo, no dispatch), which it falls back to for any
    other type."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else copy_json(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else copy_json(v) for v in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)
