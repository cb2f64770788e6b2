"""Streaks: transitions in the user's timezone (DST, UTC+13, ISO week 53), freezes, late
events, milestones, the clock sweep and the user view."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from questline_mock.engine.context import EngineContext
from questline_mock.engine.streaks import streak_count, sweep_streaks, user_streaks

PROJECT = "prj_test"


def local(text: str, tz: str) -> datetime:
    """A wall-clock time in ``tz`` as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def setup_streak(harness: Any, period: str = "day", freezes: int = 0, **extra: Any) -> None:
    harness.define(
        "streaks",
        "daily",
        {
            "period": period,
            "criteria": {"event_type": "lesson_done"},
            "freezes_allowed": freezes,
            **extra,
        },
    )


def send_all(harness: Any, tz: str, instants: list[datetime]) -> list[list[tuple[str, int]]]:
    """Send one qualifying event per instant (clock at the instant); the streak effects."""
    seen = []
    for at in instants:
        harness.now = max(harness.now, at)
        result = harness.send("u1", "lesson_done", at=at, user={"timezone": tz})
        seen.append([(s["status"], s["count"]) for s in result["effects"]["streaks"]])
    return seen


def streak_view(harness: Any, user_id: str = "u1") -> dict[str, Any]:
    with harness.view() as view:
        (found,) = user_streaks(view, user_id, harness.now)
    return found


TZ_CASES = [
    # A UTC+13 user: one UTC day (Jan 10), two local days (Jan 10 22:00, Jan 11 01:00).
    (
        "Pacific/Tongatapu",
        [utc("2026-01-10 09:00"), utc("2026-01-10 12:00")],
        [[("started", 1)], [("extended", 2)]],
    ),
    # The same two instants for a UTC user are one day: unchanged.
    (
        "UTC",
        [utc("2026-01-10 09:00"), utc("2026-01-10 12:00")],
        [[("started", 1)], [("unchanged", 1)]],
    ),
    # Auckland in (southern) summer is UTC+13 too.
    (
        "Pacific/Auckland",
        [utc("2026-01-10 10:30"), utc("2026-01-10 11:30")],
        [[("started", 1)], [("extended", 2)]],
    ),
    # New York springs forward on 2026-03-08: a 23-hour day still counts as one day.
    (
        "America/New_York",
        [
            local("2026-03-07 23:30", "America/New_York"),
            local("2026-03-08 23:30", "America/New_York"),
            local("2026-03-09 00:30", "America/New_York"),
        ],
        [[("started", 1)], [("extended", 2)], [("extended", 3)]],
    ),
    # ... and falls back on 2026-11-01: 00:30 and 23:30 are 24 hours apart, the same day.
    (
        "America/New_York",
        [
            local("2026-10-31 12:00", "America/New_York"),
            local("2026-11-01 00:30", "America/New_York"),
            local("2026-11-01 23:30", "America/New_York"),
            local("2026-11-02 00:10", "America/New_York"),
        ],
        [[("started", 1)], [("extended", 2)], [("unchanged", 2)], [("extended", 3)]],
    ),
    # Berlin: 2026-03-29 has 23 hours, 2026-10-25 has 25.
    (
        "Europe/Berlin",
        [
            local("2026-03-28 23:59", "Europe/Berlin"),
            local("2026-03-29 00:01", "Europe/Berlin"),
            local("2026-03-29 23:59", "Europe/Berlin"),
            local("2026-03-30 00:00", "Europe/Berlin"),
        ],
        [[("started", 1)], [("extended", 2)], [("unchanged", 2)], [("extended", 3)]],
    ),
    (
        "Europe/Berlin",
        [local("2026-10-25 00:30", "Europe/Berlin"), local("2026-10-25 23:30", "Europe/Berlin")],
        [[("started", 1)], [("unchanged", 1)]],
    ),
    # Missing a whole local day ends the streak and starts a new one.
    (
        "Europe/Berlin",
        [local("2026-05-01 10:00", "Europe/Berlin"), local("2026-05-03 10:00", "Europe/Berlin")],
        [[("started", 1)], [("ended", 1), ("started", 1)]],
    ),
]


@pytest.mark.parametrize(("tz", "instants", "expected"), TZ_CASES)
def test_daily_streak_follows_the_users_local_calendar(
    harness: Any, tz: str, instants: list[datetime], expected: list[Any]
) -> None:
    setup_streak(harness)
    assert send_all(harness, tz, instants) == expected


WEEK_CASES = [
    # 2026 has an ISO week 53 (Dec 28 - Jan 3); 2027-01-04 starts 2027-W01.
    (
        [utc("2026-12-21 12:00"), utc("2026-12-31 12:00"), utc("2027-01-04 12:00")],
        [[("started", 1)], [("extended", 2)], [("extended", 3)]],
        "2027-W01",
    ),
    (
        [utc("2026-12-31 12:00"), utc("2027-01-03 12:00")],
        [[("started", 1)], [("unchanged", 1)]],
        "2026-W53",
    ),
    (
        [utc("2026-12-14 12:00"), utc("2026-12-31 12:00")],
        [[("started", 1)], [("ended", 1), ("started", 1)]],
        "2026-W53",
    ),
]


@pytest.mark.parametrize(("instants", "expected", "last_period"), WEEK_CASES)
def test_weekly_streak_uses_iso_weeks_including_week_53(
    harness: Any, instants: list[datetime], expected: list[Any], last_period: str
) -> None:
    setup_streak(harness, period="week")
    assert send_all(harness, "UTC", instants) == expected
    assert streak_view(harness)["last_period"] == last_period


def test_expiry_is_the_end_of_the_day_after_next_in_local_time(harness: Any) -> None:
    setup_streak(harness)
    send_all(harness, "America/New_York", [local("2026-03-07 20:00", "America/New_York")])
    # Can still be extended on the 8th (a 23-hour day); expires at local midnight of the 9th.
    assert streak_view(harness)["expires_at"] == "2026-03-09T04:00:00Z"


FREEZE_CASES = [
    # (freezes_allowed, local days with an event, streak effects per event, final freezes_left)
    (2, [1, 3, 5], [[("started", 1)], [("extended", 2)], [("extended", 3)]], 0),
    (2, [1, 4], [[("started", 1)], [("extended", 2)]], 0),
    (1, [1, 4], [[("started", 1)], [("ended", 1), ("started", 1)]], 1),
    (
        2,
        [1, 3, 5, 7],
        [[("started", 1)], [("extended", 2)], [("extended", 3)], [("ended", 3), ("started", 1)]],
        2,
    ),
    (1, [1, 2, 3], [[("started", 1)], [("extended", 2)], [("extended", 3)]], 1),
]


@pytest.mark.parametrize(("freezes", "days", "expected", "left"), FREEZE_CASES)
def test_freezes_bridge_missed_days_and_refill_on_a_new_streak(
    harness: Any, freezes: int, days: list[int], expected: list[Any], left: int
) -> None:
    setup_streak(harness, freezes=freezes)
    instants = [utc(f"2026-06-{d:02d} 12:00") for d in days]
    assert send_all(harness, "UTC", instants) == expected
    assert streak_view(harness)["freezes_left"] == left


def test_freezes_used_are_reported_and_extend_expiry(harness: Any) -> None:
    setup_streak(harness, freezes=2)
    harness.now = utc("2026-06-01 12:00")
    harness.send("u1", "lesson_done")
    assert streak_view(harness)["expires_at"] == "2026-06-05T00:00:00Z"
    harness.now = utc("2026-06-04 12:00")
    (effect,) = harness.send("u1", "lesson_done")["effects"]["streaks"]
    assert effect == {
        "streak_id": "daily",
        "status": "extended",
        "count": 2,
        "milestone": None,
        "freezes_used": 2,
    }
    assert streak_view(harness)["expires_at"] == "2026-06-06T00:00:00Z"


def test_late_events_change_nothing(harness: Any) -> None:
    setup_streak(harness)
    send_all(harness, "UTC", [utc("2026-06-05 12:00"), utc("2026-06-06 12:00")])
    before = streak_view(harness)
    late = harness.send("u1", "lesson_done", at=utc("2026-06-04 12:00"))
    assert late["effects"]["streaks"] == []
    assert streak_view(harness) == before


def test_milestones_pay_once_per_run_and_longest_is_kept(harness: Any) -> None:
    setup_streak(
        harness,
        milestones=[
            {"count": 2, "rewards": [{"type": "grant_xp", "amount": 50}]},
            {"count": 3, "rewards": [{"type": "grant_xp", "amount": 100}]},
        ],
    )
    days = [utc(f"2026-06-{d:02d} 12:00") for d in (1, 2, 2, 3, 3)]
    send_all(harness, "UTC", days)
    assert harness.user("u1").xp == 150
    assert [e.data["milestone"] for e in harness.domain_events("user.streak.milestone")] == [2, 3]
    sources = [r["source"] for o in harness.outcomes for r in o.result["effects"]["rewards"]]
    assert sources == ["streak:daily:2", "streak:daily:3"]
    send_all(harness, "UTC", [utc("2026-06-10 12:00")])  # a new run: count 1
    view = streak_view(harness)
    assert (view["count"], view["longest"]) == (1, 3)


def test_restart_emits_ended_with_the_final_count(harness: Any) -> None:
    setup_streak(harness)
    send_all(
        harness, "UTC", [utc("2026-06-01 12:00"), utc("2026-06-02 12:00"), utc("2026-06-09 12:00")]
    )
    ended = harness.domain_events("user.streak.ended")
    assert [(e.data["count"], e.data["reason"], e.user_id) for e in ended] == [(2, "missed", "u1")]
    started = harness.domain_events("user.streak.started")
    assert len(started) == 2


def test_sweep_ends_only_expired_streaks_and_reports_them(harness: Any) -> None:
    setup_streak(harness)
    harness.now = utc("2026-06-01 12:00")
    harness.send("early", "lesson_done")  # expires 2026-06-03 00:00Z
    harness.now = utc("2026-06-02 12:00")
    harness.send("late", "lesson_done")  # expires 2026-06-04 00:00Z
    harness.send("tongan", "lesson_done", user={"timezone": "Pacific/Tongatapu"})
    # Tongatapu: 2026-06-03 01:00 local; expires 2026-06-05 00:00 local = 06-04 11:00Z.
    with harness.view() as view:
        result = sweep_streaks(view, utc("2026-06-03 00:00"), limit=100)
    assert [(e["user_id"], e["count"]) for e in result.ended] == [("early", 1)]
    assert not result.has_more
    assert [
        (e.type, e.data["count"], e.data["event_id"]) for e in result.changes.domain_events
    ] == [("user.streak.ended", 1, None)]
    with harness.storage.unit_of_work(PROJECT) as uow:
        result.changes.apply(uow)
    harness.now = utc("2026-06-03 00:00")
    assert streak_view(harness, "early") | {"longest": 1} == {
        "streak_id": "daily",
        "status": "ended",
        "count": 0,
        "longest": 1,
        "freezes_left": 0,
        "last_period": "2026-06-01",
        "expires_at": None,
    }
    assert streak_view(harness, "late")["status"] == "active"
    with harness.view() as view:
        assert sweep_streaks(view, utc("2026-06-03 00:00"), limit=100).ended == []
        later = sweep_streaks(view, utc("2026-06-04 12:00"), limit=1)
    assert [e["user_id"] for e in later.ended] == ["late"] and later.has_more


def test_an_expired_unswept_streak_reads_as_ended(harness: Any) -> None:
    setup_streak(harness)
    harness.now = utc("2026-06-01 12:00")
    harness.send("u1", "lesson_done")
    harness.now = utc("2026-06-02 23:59")
    assert streak_view(harness)["status"] == "active"
    harness.now = utc("2026-06-03 00:00")
    view = streak_view(harness)
    assert (view["status"], view["count"], view["longest"]) == ("ended", 0, 1)


def test_streak_fact_is_the_live_count(harness: Any) -> None:
    setup_streak(harness)
    harness.now = utc("2026-06-01 12:00")
    harness.send("u1", "lesson_done")
    harness.now = utc("2026-06-02 12:00")
    harness.send("u1", "lesson_done")
    with harness.view() as view:
        user = view.get_user("u1")
        assert user is not None
        ctx = EngineContext(view=view, now=harness.now, ids=harness.ids, user=user)
        assert streak_count(ctx, "daily") == 2
        ctx.now = harness.now + timedelta(days=2)
        assert streak_count(ctx, "daily") == 0


def test_a_rule_can_read_the_streak_count(harness: Any) -> None:
    setup_streak(harness)
    harness.rule(
        "streak-bonus",
        "lesson_done",
        [{"type": "grant_xp", "amount": 5}],
        conditions={"fact": "user.streaks.daily", "operator": "gte", "value": 1},
    )
    send_all(harness, "UTC", [utc("2026-06-01 12:00"), utc("2026-06-02 12:00")])
    # Rules run before the streak processor: the first event sees count 0.
    assert harness.user("u1").xp == 5


@pytest.mark.parametrize(
    ("doc", "loc"),
    [
        ({"period": "month", "criteria": {"event_type": "x"}}, ["body", "period"]),
        ({"period": "day"}, ["body", "criteria"]),
        (
            {"period": "day", "criteria": {"event_type": "x"}, "freezes_allowed": -1},
            ["body", "freezes_allowed"],
        ),
        (
            {
                "period": "day",
                "criteria": {"event_type": "x"},
                "milestones": [{"count": 3}, {"count": 3}],
            },
            ["body", "milestones", 1, "count"],
        ),
        (
            {
                "period": "day",
                "criteria": {"event_type": "x"},
                "milestones": [{"count": 3, "rewards": [{"type": "nope"}]}],
            },
            ["body", "milestones", 0, "rewards", 0, "type"],
        ),
    ],
)
def test_invalid_streak_definitions_name_the_field(harness: Any, doc: Any, loc: list[Any]) -> None:
    from questline_mock.engine import DefinitionError

    with pytest.raises(DefinitionError) as caught:
        harness.define("streaks", "s", doc)
    assert loc in [e["loc"] for e in caught.value.errors]


def test_streak_definition_is_stored_canonical(harness: Any) -> None:
    stored = harness.define(
        "streaks",
        "daily",
        {
            "period": "day",
            "criteria": {"event_type": "x"},
            "milestones": [{"count": 7}, {"count": 3}],
        },
    )
    assert stored == {
        "id": "daily",
        "name": "daily",
        "description": None,
        "period": "day",
        "criteria": {"event_type": "x", "conditions": None},
        "freezes_allowed": 0,
        "milestones": [{"count": 3, "rewards": []}, {"count": 7, "rewards": []}],
    }
