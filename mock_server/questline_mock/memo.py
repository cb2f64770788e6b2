"""What is derived from a shared, read-only object, worked out once per object.

Storage shares a definition's document between reads until a write replaces it (the
Reader contract makes documents read-only), and the engine shares one trace plan between
every event the same rules judged, so an object's identity says it is the same object:
what is derived from one (a prepared rule, a level table, a plan's JSON) is keyed on
that. Each entry holds its object, so an identity is never reused while cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    """``derive(document)`` remembered per document object, up to ``limit`` of them."""

    def __init__(self, derive: Callable[[Any], V], limit: int = 4096) -> None:
        self._derive = derive
        self._limit = limit
        self._entries: dict[int, tuple[Any, V]] = {}

    def __call__(self, document: Any) -> V:
        entry = self._entries.get(id(document))
        if entry is not None and entry[0] is document:
            return entry[1]
        value = self._derive(document)
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[id(document)] = (document, value)
        return value
