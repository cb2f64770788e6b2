"""Pydantic's validation errors said in the terms of the value validated: its own keys.

A value that fits no member of a union (a condition is one of eight shapes, an amount an
int or a computed amount) makes pydantic report every member's errors, each ``loc``
carrying the member's name: a bad operator in one leaf came out as twenty errors led by
``body.conditions.AllCondition.all: Field required``. Here, from the innermost union out,
only the member the value came closest to keeps its errors (its keys and type fit, then
fewest type mismatches, then fewest errors, then the spec's order), and member names
leave the ``loc``, which then names the field as sent: ``["body", "conditions",
"operator"]``. Attribute names that dodge a Python keyword (``from_``, ``not_``) are
given back their wire name, and a key sent in camelCase (which the SDK accepts) is
named in snake_case, as the server names it.

Shared by the SDK (arguments checked before any request) and the reference server (422
problems), so both say the same thing about the same mistake.
"""

from __future__ import annotations

import keyword
from collections.abc import Sequence
from typing import Any

from pydantic.alias_generators import to_camel

__all__ = ["readable"]

ErrorItem = dict[str, Any]


class _Member(str):
    """A union member's name in a ``loc``: not a key of the value."""


def _wire(part: str) -> str:
    return part[:-1] if part.endswith("_") and keyword.iskeyword(part[:-1]) else part


def _marked(value: Any, loc: Sequence[str | int], kind: str) -> list[str | int]:
    """``loc`` with each part that is no key or index of ``value`` marked as a member."""
    marked: list[str | int] = []
    node = value
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(part, int):
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                marked.append(part)
            else:
                marked.append(_Member(part))
            continue
        name = _wire(part)
        key = name if not isinstance(node, dict) or name in node else to_camel(name)
        if isinstance(node, dict) and key in node:
            node = node[key]
            marked.append(name)
        elif isinstance(node, dict) and last and kind == "missing":
            marked.append(name)  # the field that should have been there
        else:
            marked.append(_Member(part))
    return marked


def _score(errors: list[ErrorItem], position: int) -> tuple[int, int, int]:
    """How far a member is from the value, least first: errors about its shape (the value
    is not even of the member's type, or a key is missing or extra), then type
    mismatches anywhere, then errors of any kind."""
    shape = mismatches = 0
    for e in errors:
        depth = len(e["loc"]) - position - 1  # below the member's name
        mismatch = str(e["type"]).endswith("_type")
        mismatches += mismatch
        shape += (depth == 0 and mismatch) or (
            depth == 1 and e["type"] in ("missing", "extra_forbidden")
        )
    return shape, mismatches, len(errors)


def readable(errors: list[ErrorItem], value: Any) -> list[ErrorItem]:
    """``errors`` (``{loc, message, type}``, ``loc`` relative to ``value``) with each
    union's errors narrowed to its closest member and member names left out."""
    items = [{**e, "loc": _marked(value, e["loc"], e["type"])} for e in errors]
    while True:
        points = [
            (position, tuple(e["loc"][:position]))
            for e in items
            for position, part in enumerate(e["loc"])
            if isinstance(part, _Member)
        ]
        if not points:
            break
        position, prefix = max(points, key=lambda point: point[0])  # innermost first
        groups: dict[str, list[ErrorItem]] = {}
        for e in items:
            loc = e["loc"]
            if (
                len(loc) > position
                and isinstance(loc[position], _Member)
                and tuple(loc[:position]) == prefix
            ):
                groups.setdefault(loc[position], []).append(e)
        # The first of equals: the spec's order.
        best = min(groups.values(), key=lambda group: _score(group, position))
        dropped = {id(e) for group in groups.values() if group is not best for e in group}
        items = [e for e in items if id(e) not in dropped]
        for e in best:
            del e["loc"][position]
    unique: list[ErrorItem] = []
    for e in items:
        plain = {**e, "loc": [p if isinstance(p, int) else str(p) for p in e["loc"]]}
        if plain not in unique:
            unique.append(plain)
    return unique
