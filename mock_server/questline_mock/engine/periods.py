"""Calendar periods in an IANA timezone: the one place that turns instants into days and weeks.

Streaks and leaderboards both ask "which period does this instant fall in, for this
person or this board?" and "when does that period end?". Getting that wrong is the
classic gamification bug (a streak that breaks at UTC midnight for a user in Auckland, a
weekly board that resets on Sunday), so every answer is computed here from ``zoneinfo``
and nowhere else.

Two families of keys:

* **streak periods** (``day`` / ``week``): ``"2026-11-26"`` and ISO weeks ``"2026-W48"``.
  Keys convert to an integer *index* so "how many periods between" is a subtraction, and
  ISO week 53 falls out of ``date.isocalendar`` rather than being special-cased.
* **board periods** (``day`` / ``week`` / ``month`` / ``all_time``): keyed by the local
  start date as ISO (``"2026-11-23"``) or ``"all_time"``; weeks are ISO (Monday start).

Period boundaries are local midnights converted to UTC, so a local day is 23 or 25 hours
long across a DST change. A local midnight that does not exist (a zone that springs
forward at 00:00) resolves with ``fold=0`` to the first instant of the day, which is the
right start of that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

STREAK_PERIODS = ("day", "week")
BOARD_PERIODS = ("all_time", "day", "week", "month")
ALL_TIME = "all_time"

# The far ends of an all-time board, so it still has a [start, end) like any other period.
_BEGINNING = datetime(1970, 1, 1, tzinfo=timezone.utc)
_END_OF_TIME = datetime(9999, 12, 31, tzinfo=timezone.utc)


class PeriodError(ValueError):
    """A bad period name, key, or timezone (a 422 at the API edge)."""


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name; raises PeriodError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise PeriodError(f"unknown timezone {name!r}") from exc


def is_valid_timezone(name: object) -> bool:
    """True for a name ``zoneinfo`` knows (``"UTC"``, ``"Europe/Berlin"``, ...)."""
    if not isinstance(name, str) or not name:
        return False
    try:
        zone(name)
    except PeriodError:
        return False
    return True


def local_date(instant: datetime, tz: str) -> date:
    """The calendar date on the wall clock in ``tz`` at ``instant`` (aware datetime)."""
    return instant.astimezone(zone(tz)).date()


def local_midnight_utc(day: date, tz: str) -> datetime:
    """The UTC instant at which local ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(timezone.utc)


# -- streak periods: day / ISO week keys ------------------------------------------------


def day_key(day: date) -> str:
    return day.isoformat()


def week_key(day: date) -> str:
    """ISO week key of the week containing ``day`` (2026-12-31 -> ``"2026-W53"``)."""
    iso = day.isocalendar()
    return f"{iso[0]:04d}-W{iso[1]:02d}"


def streak_period_key(instant: datetime, tz: str, period: str) -> str:
    """The key of the ``day`` or ``week`` containing ``instant`` on ``tz``'s calendar."""
    local = local_date(instant, tz)
    if period == "day":
        return day_key(local)
    if period == "week":
        return week_key(local)
    raise PeriodError(f"unknown streak period {period!r}")


def period_start_date(key: str) -> date:
    """The first local date of a streak period key (a week starts on its Monday)."""
    try:
        if "-W" in key:
            year, week = key.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        return date.fromisoformat(key)
    except ValueError as exc:
        raise PeriodError(f"bad period key {key!r}") from exc


def period_index(key: str) -> int:
    """An integer that increases by exactly 1 from each period to the next."""
    start = period_start_date(key).toordinal()
    # Mondays are ordinals ≡ 1 (mod 7): 0001-01-01 was a Monday, ordinal 1.
    return (start - 1) // 7 if "-W" in key else start


def periods_between(earlier: str, later: str) -> int:
    """``later - earlier`` in periods (1 for consecutive days or weeks, 0 for the same)."""
    if ("-W" in earlier) != ("-W" in later):
        raise PeriodError(f"period keys of different kinds: {earlier!r}, {later!r}")
    return period_index(later) - period_index(earlier)


def shift_period(key: str, n: int) -> str:
    """The key ``n`` periods after ``key`` (negative goes back)."""
    start = period_start_date(key)
    if "-W" in key:
        return week_key(start + timedelta(weeks=n))
    return day_key(start + timedelta(days=n))


def period_end_utc(key: str, tz: str) -> datetime:
    """The UTC instant at which the streak period ``key`` ends in ``tz`` (exclusive end).

    Computed as the next period's local midnight, so a DST day is 23 or 25 hours long.
    """
    return local_midnight_utc(period_start_date(shift_period(key, 1)), tz)


# -- board periods: day / week / month / all_time ---------------------------------------


@dataclass(frozen=True)
class BoardPeriod:
    """One period of a leaderboard: its key and its ``[start, end)`` in UTC."""

    key: str
    start: datetime
    end: datetime

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def _board_start(day: date, period: str) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise PeriodError(f"unknown leaderboard period {period!r}")


def _board_next(start: date, period: str) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(weeks=1)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def board_period_for_date(day: date, tz: str, period: str) -> BoardPeriod:
    """The board period whose local calendar contains ``day``."""
    if period == ALL_TIME:
        return BoardPeriod(ALL_TIME, _BEGINNING, _END_OF_TIME)
    start = _board_start(day, period)
    return BoardPeriod(
        start.isoformat(),
        local_midnight_utc(start, tz),
        local_midnight_utc(_board_next(start, period), tz),
    )


def board_period(instant: datetime, tz: str, period: str) -> BoardPeriod:
    """The board period containing ``instant`` (for adding a gain, or "the current one")."""
    if period == ALL_TIME:
        return board_period_for_date(date.min, tz, period)
    return board_period_for_date(local_date(instant, tz), tz, period)


def board_period_at(period_start: str | date | datetime, tz: str, period: str) -> BoardPeriod:
    """The board period a ``period_start`` query names.

    Accepts a local date (``"2026-11-23"``; any date inside the period works, so
    ``"2026-11-25"`` names the same week), an RFC 3339 instant, or the literal
    ``"all_time"``. Raises PeriodError for anything else.
    """
    try:
        return _board_period_at(period_start, tz, period)
    except OverflowError:  # a period at the very end (or start) of the calendar
        raise PeriodError(f"period_start {period_start!r} is out of range") from None


def _board_period_at(period_start: str | date | datetime, tz: str, period: str) -> BoardPeriod:
    if period == ALL_TIME:
        return board_period_for_date(date.min, tz, period)
    if isinstance(period_start, datetime):
        return board_period(_aware(period_start), tz, period)
    if isinstance(period_start, date):
        return board_period_for_date(period_start, tz, period)
    text = period_start.strip()
    try:
        return board_period_for_date(date.fromisoformat(text), tz, period)
    except ValueError:
        pass
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise PeriodError(f"bad period_start {period_start!r}") from exc
    return board_period(_aware(instant), tz, period)


def _aware(instant: datetime) -> datetime:
    # A naive instant in a query is read as UTC, like the rest of the wire.
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)
