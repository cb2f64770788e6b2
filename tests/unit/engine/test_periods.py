"""Period math in IANA timezones: local days, ISO weeks, DST-length days, board periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from questline_mock.engine import periods as P


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("instant", "tz", "period", "key"),
    [
        # One UTC day, two local days for a UTC+13 user.
        ("2026-01-10 09:00", "Pacific/Tongatapu", "day", "2026-01-10"),
        ("2026-01-10 12:00", "Pacific/Tongatapu", "day", "2026-01-11"),
        ("2026-01-10 10:59", "Pacific/Auckland", "day", "2026-01-10"),
        ("2026-01-10 11:00", "Pacific/Auckland", "day", "2026-01-11"),
        ("2026-01-10 03:00", "America/New_York", "day", "2026-01-09"),
        ("2026-12-31 12:00", "UTC", "week", "2026-W53"),
        ("2027-01-03 12:00", "UTC", "week", "2026-W53"),
        ("2027-01-04 12:00", "UTC", "week", "2027-W01"),
        ("2026-12-28 00:00", "UTC", "week", "2026-W53"),
        ("2026-12-27 23:59", "UTC", "week", "2026-W52"),
        # Sunday night in New York is already Monday in UTC: still last week locally.
        ("2026-11-30 03:00", "America/New_York", "week", "2026-W48"),
    ],
)
def test_streak_period_key_uses_the_local_calendar(
    instant: str, tz: str, period: str, key: str
) -> None:
    assert P.streak_period_key(utc(instant), tz, period) == key


@pytest.mark.parametrize(
    ("earlier", "later", "gap"),
    [
        ("2026-11-26", "2026-11-26", 0),
        ("2026-11-26", "2026-11-27", 1),
        ("2026-12-31", "2027-01-01", 1),
        ("2026-02-28", "2026-03-01", 1),
        ("2026-11-26", "2026-11-30", 4),
        ("2026-W52", "2026-W53", 1),
        ("2026-W53", "2027-W01", 1),
        ("2025-W52", "2026-W01", 1),
        ("2026-W48", "2026-W50", 2),
        ("2026-W50", "2026-W48", -2),
    ],
)
def test_periods_between_counts_calendar_periods(earlier: str, later: str, gap: int) -> None:
    assert P.periods_between(earlier, later) == gap
    assert P.shift_period(earlier, gap) == later


@pytest.mark.parametrize(
    ("key", "tz", "end", "hours"),
    [
        # Spring forward: the local day of 2026-03-08 in New York is 23 hours long.
        ("2026-03-08", "America/New_York", "2026-03-09 04:00", 23),
        # Fall back: 2026-11-01 is 25 hours long.
        ("2026-11-01", "America/New_York", "2026-11-02 05:00", 25),
        ("2026-03-29", "Europe/Berlin", "2026-03-29 22:00", 23),
        ("2026-10-25", "Europe/Berlin", "2026-10-25 23:00", 25),
        ("2026-06-01", "UTC", "2026-06-02 00:00", 24),
        ("2026-W53", "UTC", "2027-01-04 00:00", 24 * 7),
    ],
)
def test_period_end_is_the_next_local_midnight(key: str, tz: str, end: str, hours: int) -> None:
    assert P.period_end_utc(key, tz) == utc(end)
    previous_end = P.period_end_utc(P.shift_period(key, -1), tz)
    assert P.period_end_utc(key, tz) - previous_end == timedelta(hours=hours)


def test_nonexistent_local_midnight_starts_the_day_at_its_first_instant() -> None:
    # Sao Paulo sprang forward at 00:00 on 2018-11-04: the day began at 01:00 local (-02).
    assert P.local_midnight_utc(date(2018, 11, 4), "America/Sao_Paulo") == utc("2018-11-04 03:00")


@pytest.mark.parametrize(
    ("instant", "tz", "period", "key", "start", "end"),
    [
        (
            "2026-11-25 12:00",
            "Europe/Berlin",
            "day",
            "2026-11-25",
            "2026-11-24 23:00",
            "2026-11-25 23:00",
        ),
        (
            "2026-11-25 12:00",
            "Europe/Berlin",
            "week",
            "2026-11-23",
            "2026-11-22 23:00",
            "2026-11-29 23:00",
        ),
        (
            "2026-11-25 12:00",
            "Europe/Berlin",
            "month",
            "2026-11-01",
            "2026-10-31 23:00",
            "2026-11-30 23:00",
        ),
        (
            "2026-12-31 23:30",
            "Europe/Berlin",
            "month",
            "2027-01-01",
            "2026-12-31 23:00",
            "2027-01-31 23:00",
        ),
        ("2026-12-15 00:00", "UTC", "month", "2026-12-01", "2026-12-01 00:00", "2027-01-01 00:00"),
        # Monday 02:00 UTC is still Sunday in New York: the previous week.
        (
            "2026-11-30 02:00",
            "America/New_York",
            "week",
            "2026-11-23",
            "2026-11-23 05:00",
            "2026-11-30 05:00",
        ),
    ],
)
def test_board_period_contains_the_instant_in_the_boards_timezone(
    instant: str, tz: str, period: str, key: str, start: str, end: str
) -> None:
    found = P.board_period(utc(instant), tz, period)
    assert (found.key, found.start, found.end) == (key, utc(start), utc(end))
    assert found.contains(utc(instant))


def test_all_time_board_period_has_one_key() -> None:
    found = P.board_period(utc("2026-01-01 00:00"), "Asia/Tokyo", "all_time")
    assert found.key == "all_time"
    assert found.contains(utc("2000-01-01 00:00"))
    assert P.board_period_at("anything", "UTC", "all_time").key == "all_time"


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("2026-11-23", "2026-11-23"),
        ("2026-11-25", "2026-11-23"),
        ("2026-11-29T22:59:00Z", "2026-11-23"),
        ("2026-11-29T23:00:00Z", "2026-11-30"),
        ("2026-11-30T00:30:00+01:00", "2026-11-30"),
    ],
)
def test_period_start_query_names_the_period_containing_it(query: str, key: str) -> None:
    assert P.board_period_at(query, "Europe/Berlin", "week").key == key


def test_bad_inputs_raise_period_error() -> None:
    with pytest.raises(P.PeriodError):
        P.zone("Mars/Olympus_Mons")
    with pytest.raises(P.PeriodError):
        P.board_period_at("yesterday", "UTC", "day")
    with pytest.raises(P.PeriodError):
        P.streak_period_key(utc("2026-01-01 00:00"), "UTC", "fortnight")
    assert not P.is_valid_timezone("Nowhere/Special")
    assert P.is_valid_timezone("America/New_York")


ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Pacific/Auckland", "Asia/Kolkata"]


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1)),
    st.sampled_from(ZONES),
    st.sampled_from(["day", "week", "month"]),
)
def test_every_instant_lies_in_exactly_its_board_period(
    naive: datetime, tz: str, period: str
) -> None:
    instant = naive.replace(tzinfo=timezone.utc)
    found = P.board_period(instant, tz, period)
    assert found.contains(instant)
    after = P.board_period(found.end, tz, period)
    assert after.start == found.end and after.key > found.key


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1)),
    st.sampled_from(ZONES),
    st.sampled_from(["day", "week"]),
)
def test_streak_period_ends_where_the_next_begins(naive: datetime, tz: str, period: str) -> None:
    instant = naive.replace(tzinfo=timezone.utc)
    key = P.streak_period_key(instant, tz, period)
    end = P.period_end_utc(key, tz)
    assert instant < end
    assert P.streak_period_key(end, tz, period) == P.shift_period(key, 1)
    assert P.streak_period_key(end - timedelta(microseconds=1), tz, period) == key
