"""Small shared types: the "argument not given" sentinel and request option aliases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeVar

import httpx
from typing_extensions import override

__all__ = [
    "NOT_GIVEN",
    "Headers",
    "NotGiven",
    "Query",
    "Timeout",
]

_T = TypeVar("_T")


class NotGiven:
    """Marks an argument the caller did not pass, as distinct from an explicit ``None``.

    ``None`` is a real value on the wire (``null``), so "leave it out" needs its own marker.
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    @override
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()

Timeout = float | httpx.Timeout | None
Headers = Mapping[str, str]
Query = Mapping[str, object]


def is_given(value: _T | NotGiven) -> bool:
    return not isinstance(value, NotGiven)
