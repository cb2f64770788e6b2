"""Server ids: a prefix and a ULID body that sorts by time, strictly within a process."""

from __future__ import annotations

import os
import random
import re
from datetime import datetime, timedelta, timezone

import pytest
from questline_mock.ids import IdMaker, _encode

ULID = re.compile(r"^evt_[0-9A-HJKMNP-TV-Z]{26}$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def reference_encoding(value: int) -> str:
    digits = []
    for _ in range(26):
        digits.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(digits))


def test_encoding_matches_crockford_base32_digit_by_digit() -> None:
    rng = random.Random(7)
    for value in [0, 1, 2**128 - 1, *(rng.getrandbits(128) for _ in range(2000))]:
        assert _encode(value) == reference_encoding(value)


def test_ids_are_ulids_that_sort_by_time_and_strictly_within_one_millisecond() -> None:
    make = IdMaker()
    t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    same_ms = [make("evt", t0) for _ in range(500)]
    later = make("evt", t0 + timedelta(milliseconds=1))
    assert all(ULID.match(i) for i in same_ms)
    assert same_ms == sorted(same_ms) and len(set(same_ms)) == 500
    assert later > same_ms[-1]


def test_a_clock_set_back_never_makes_an_id_that_sorts_earlier() -> None:
    make = IdMaker()
    t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    first = make("msg", t0)
    assert make("msg", t0 - timedelta(days=1)) > first


def test_counting_up_carries_into_every_character(monkeypatch: pytest.MonkeyPatch) -> None:
    """Within one millisecond the random part counts up; the text must stay the exact
    encoding of the value across a carry out of the last characters and a full wrap."""
    t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    ms = int(t0.timestamp() * 1000)
    for start in (1020, (1 << 20) - 3, (1 << 80) - 3):
        monkeypatch.setattr(os, "urandom", lambda n, start=start: start.to_bytes(n, "big"))
        make = IdMaker()
        made = [make("evt", t0) for _ in range(8)]
        expected = [(ms << 80) + start + k for k in range(8)]
        assert [m.removeprefix("evt_") for m in made] == [_encode(v) for v in expected]


def test_many_ids_at_once_are_those_one_at_a_time_would_be(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    monkeypatch.setattr(os, "urandom", lambda n: (1020).to_bytes(n, "big"))
    one_by_one, at_once = IdMaker(), IdMaker()
    singles = [one_by_one("msg", t0) for _ in range(7)]
    assert at_once.many("msg", t0, 3) + at_once.many("msg", t0, 4) == singles
    assert at_once.many("msg", t0, 0) == []
