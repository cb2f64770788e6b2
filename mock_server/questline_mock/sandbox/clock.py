"""Time, the only place in the server that reads the wall clock.

Every project has its own clock: real time shifted by an offset, or frozen at an instant.
``PUT /v1/sandbox/clock`` freezes it; ``advance`` moves it forward (frozen or not). All
server code asks the project's clock for ``now`` so that tests control time completely.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from ..domain import Project


def as_utc(moment: datetime) -> datetime:
    """An aware ``moment`` in UTC. One that its offset carries past year 1 or 9999
    (``0001-01-01T00:00:00+01:00``) comes back as the first or last instant there is,
    which sorts it the same way against any other (and a range check refuses it)."""
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=timezone.utc)


def utc_from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


class WallClock:
    """Real time. Tests may pass another ``source`` (seconds since the epoch)."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source

    def now(self) -> datetime:
        return utc_from_timestamp(self._source())


# The instants a project clock may show: ids count milliseconds from the epoch, and the
# engine adds windows, periods and retry delays (a year at most) to ``now``, which must
# stay within ``datetime``'s range.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)  # exclusive


class ClockRangeError(ValueError):
    """The clock would leave [EARLIEST, LATEST); nothing was changed."""


def check_in_range(moment: datetime) -> None:
    if not EARLIEST <= moment < LATEST:
        raise ClockRangeError(
            f"the clock must stay from {EARLIEST:%Y-%m-%dT%H:%M:%SZ} to before"
            f" {LATEST:%Y-%m-%dT%H:%M:%SZ}"
        )


class ProjectClock:
    """A project's view of time; mutates (and the caller persists) the Project record."""

    def __init__(self, project: Project, wall: WallClock) -> None:
        self._project = project
        self._wall = wall

    @property
    def frozen(self) -> bool:
        return self._project.clock_frozen_at is not None

    def now(self) -> datetime:
        if self._project.clock_frozen_at is not None:
            return self._project.clock_frozen_at
        return self._wall.now() + timedelta(seconds=self._project.clock_offset_seconds)

    def set(self, moment: datetime) -> None:
        """Freeze the clock at ``moment``; ClockRangeError outside the clock's range."""
        moment = as_utc(moment)
        check_in_range(moment)
        self._project.clock_frozen_at = moment

    def real_time(self) -> None:
        """Back on real time: unfrozen, no offset (what a sandbox reset does)."""
        self._project.clock_frozen_at = None
        self._project.clock_offset_seconds = 0.0

    def advance(self, seconds: float) -> datetime:
        """Move the clock on; ClockRangeError (nothing moved) past the clock's range."""
        check_in_range(self.now() + timedelta(seconds=seconds))
        if self._project.clock_frozen_at is not None:
            self._project.clock_frozen_at += timedelta(seconds=seconds)
        else:
            self._project.clock_offset_seconds += seconds
        return self.now()
