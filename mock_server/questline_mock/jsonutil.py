"""Small JSON helpers shared by the HTTP edge and the backend."""

from __future__ import annotations

from typing import Any


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
