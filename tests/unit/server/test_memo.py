"""IdentityMemo: what the engine derives from a shared document, once per document."""

from __future__ import annotations

from typing import Any

from questline_mock.memo import IdentityMemo


def test_a_document_is_derived_once_and_an_equal_copy_afresh() -> None:
    calls: list[Any] = []

    def derive(document: dict[str, int]) -> int:
        calls.append(document)
        return document["n"] * 2

    memo = IdentityMemo(derive, limit=2)
    first = {"n": 1}
    assert memo(first) == 2 and memo(first) == 2
    assert len(calls) == 1
    assert memo({"n": 1}) == 2 and len(calls) == 2  # equal, but another document
    third = {"n": 3}
    assert memo(third) == 6  # over the limit: forgets, then keeps the newest
    assert memo(third) == 6 and len(calls) == 3
    assert memo(first) == 2 and len(calls) == 4
