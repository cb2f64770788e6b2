"""Cursor pagination on the wire: ``?limit=&cursor=`` → ``{data, has_more, next_cursor}``.

Storage cursors are wrapped (base64url of ``<listing>:<storage cursor>``) so they are opaque
to clients and a cursor from one listing is rejected by another instead of misread.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from ..storage.base import Page
from .parsing import query_int
from .problems import ValidationProblem, field_error

T = TypeVar("T")


def params(listing: str) -> tuple[int, str | None]:
    """``(limit, storage cursor)`` from the query string."""
    limit = query_int("limit", 20, 1, 100)
    raw = request.args.get("cursor")
    if raw is None or raw == "":
        return limit, None
    return limit, decode(listing, raw)


def encode(listing: str, cursor: str) -> str:
    return base64.urlsafe_b64encode(f"{listing}:{cursor}".encode()).decode().rstrip("=")


def decode(listing: str, raw: str) -> str:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    prefix = listing + ":"
    if not text.startswith(prefix):
        raise ValidationProblem(
            [field_error(["query", "cursor"], "is not a cursor of this listing")]
        )
    return text[len(prefix) :]


def body(listing: str, page: Page[T], render: Callable[[T], Any], **extra: Any) -> dict[str, Any]:
    return {
        "data": [render(item) for item in page.items],
        "has_more": page.next_cursor is not None,
        "next_cursor": encode(listing, page.next_cursor) if page.next_cursor is not None else None,
        **extra,
    }


def small_listing(listing: str, items: list[T], key: Callable[[T], str]) -> dict[str, Any]:
    """A listing held whole in memory (a user's badges, quests, streaks), paginated like
    the others: ordered by ``key`` (an id), the cursor being the last key returned."""
    limit, cursor = params(listing)
    ordered = sorted(items, key=key)
    if cursor is not None:
        ordered = [item for item in ordered if key(item) > cursor]
    page = ordered[:limit]
    has_more = len(ordered) > limit
    return {
        "data": page,
        "has_more": has_more,
        "next_cursor": encode(listing, key(page[-1])) if has_more else None,
    }
