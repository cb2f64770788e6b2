"""Leaderboards: metrics, ties (1, 2, 2, 4), reached_at then user id, periods in a
non-UTC timezone, past periods, around-me at the edges, and ranks consistent with scores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from questline_mock.engine import DefinitionError
from questline_mock.engine.leaderboards import rank_around, rankings


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def board(harness: Any, board_id: str = "top", **fields: Any) -> Any:
    doc = {"metric": {"type": "event_count", "event_type": "point"}, **fields}
    return harness.define("leaderboards", board_id, doc)


def points(harness: Any, user: str, n: int, at: datetime | None = None) -> None:
    for _ in range(n):
        harness.send(user, "point", at=at)


def table(harness: Any, board_id: str = "top", period_start: str | None = None) -> list[Any]:
    with harness.view() as view:
        page = rankings(
            view, view.get_definition("leaderboards", board_id), harness.now, period_start, 0, 100
        )
    return [(e["rank"], e["user_id"], e["score"]) for e in page.entries]


def test_equal_scores_share_a_rank_then_reached_at_then_user_id(harness: Any) -> None:
    board(harness)
    points(harness, "alice", 10)
    harness.advance(seconds=1)
    points(harness, "zed", 8)  # reaches 8 before bob and carol
    harness.advance(seconds=1)
    points(harness, "carol", 8)
    points(harness, "bob", 8)  # same reached_at as carol: user id decides
    points(harness, "dan", 5)
    assert table(harness) == [
        (1, "alice", 10),
        (2, "zed", 8),
        (2, "bob", 8),
        (2, "carol", 8),
        (5, "dan", 5),
    ]


METRIC_CASES = [
    ({"type": "xp"}, {"alice": 30, "bob": 10}),
    ({"type": "currency", "currency": "coins"}, {"alice": 6, "bob": 2}),
    ({"type": "event_count", "event_type": "buy"}, {"alice": 3, "bob": 1}),
    (
        {"type": "property_sum", "event_type": "buy", "property": "cart.total"},
        {"alice": 7.5, "bob": 2.5},
    ),
]


@pytest.mark.parametrize(("metric", "scores"), METRIC_CASES)
def test_each_metric_counts_what_the_step_gained(harness: Any, metric: Any, scores: Any) -> None:
    harness.currency("coins")
    harness.rule(
        "buy",
        "buy",
        [
            {"type": "grant_xp", "amount": 10},
            {"type": "grant_currency", "currency": "coins", "amount": 2},
        ],
    )
    harness.define("leaderboards", "b", {"metric": metric})
    for user, n in (("alice", 3), ("bob", 1)):
        for _ in range(n):
            harness.send(user, "buy", {"cart": {"total": 2.5}})
    harness.send("carol", "browse")  # gains nothing: no entry
    harness.transact("alice", "coins", -4)  # spending never lowers a currency board
    assert {u: s for _, u, s in table(harness, "b")} == scores


def test_weekly_board_counts_only_gains_inside_the_local_week(harness: Any) -> None:
    board(harness, period="week", timezone="America/New_York")
    # Sunday 2026-11-29 23:30 in New York is Monday 04:30 UTC: still the week of Nov 23.
    harness.now = utc("2026-11-30 04:30")
    points(harness, "alice", 3)
    harness.now = utc("2026-11-30 05:30")  # Monday 00:30 local: the new week
    points(harness, "bob", 1)
    assert table(harness) == [(1, "bob", 1)]
    assert table(harness, period_start="2026-11-23") == [(1, "alice", 3)]
    assert table(harness, period_start="2026-11-26") == [(1, "alice", 3)]


@pytest.mark.parametrize(
    ("period", "first", "second", "same"),
    [
        ("day", "2026-03-01 22:00", "2026-03-01 23:30", False),  # Berlin: 23:00 and 00:30
        ("day", "2026-03-01 12:00", "2026-03-01 22:59", True),
        ("month", "2026-03-31 21:00", "2026-03-31 22:30", False),  # DST: UTC+2 from 29 Mar
        ("month", "2026-03-01 00:00", "2026-03-31 21:59", True),
        ("all_time", "2020-01-01 00:00", "2026-03-31 21:59", True),
    ],
)
def test_periods_are_cut_in_the_boards_timezone(
    harness: Any, period: str, first: str, second: str, same: bool
) -> None:
    board(harness, period=period, timezone="Europe/Berlin")
    harness.now = utc("2026-04-02 00:00")
    points(harness, "u1", 1, at=utc(first))
    points(harness, "u1", 1, at=utc(second))
    with harness.view() as view:
        definition = view.get_definition("leaderboards", "top")
        a = rankings(view, definition, utc(first)).entries
        b = rankings(view, definition, utc(second)).entries
    assert ([e["score"] for e in a], [e["score"] for e in b]) == (
        ([2], [2]) if same else ([1], [1])
    )


def test_late_event_lands_in_its_own_period_without_moving_reached_at_back(harness: Any) -> None:
    board(harness, period="day")
    harness.now = utc("2026-06-02 12:00")
    points(harness, "u1", 1)
    points(harness, "u1", 1, at=utc("2026-06-01 12:00"))
    assert table(harness) == [(1, "u1", 1)]
    assert table(harness, period_start="2026-06-01") == [(1, "u1", 1)]
    with harness.view() as view:
        entry = view.get_leaderboard_entry("top", "2026-06-01", "u1")
    assert entry is not None and entry.reached_at == utc("2026-06-01 12:00")


def around(harness: Any, user: str, n: int = 2) -> Any:
    with harness.view() as view:
        found = rank_around(view, view.get_definition("leaderboards", "top"), user, n, harness.now)
    return (
        found["rank"],
        found["score"],
        [e["user_id"] for e in found["above"]],
        [e["user_id"] for e in found["below"]],
    )


def test_around_me_at_the_edges_and_inside_ties(harness: Any) -> None:
    board(harness)
    for i, user in enumerate(["u1", "u2", "u3", "u4", "u5", "u6"]):
        points(harness, user, 10 - i)
    points(harness, "u7", 5)  # ties with u6 (reached later)
    assert around(harness, "u1") == (1, 10, [], ["u2", "u3"])
    assert around(harness, "u3") == (3, 8, ["u1", "u2"], ["u4", "u5"])
    assert around(harness, "u7") == (6, 5, ["u5", "u6"], [])
    assert around(harness, "u6", 1) == (6, 5, ["u5"], ["u7"])
    assert around(harness, "nobody") == (None, 0, [], [])


def test_rank_around_reports_the_period(harness: Any) -> None:
    board(harness, period="month", timezone="Asia/Tokyo")
    harness.now = utc("2026-06-15 00:00")
    points(harness, "u1", 1)
    with harness.view() as view:
        found = rank_around(view, view.get_definition("leaderboards", "top"), "u1", 0, harness.now)
    assert (found["period_start"], found["period_end"]) == (
        "2026-05-31T15:00:00Z",
        "2026-06-30T15:00:00Z",
    )


def test_rankings_page_and_has_more(harness: Any) -> None:
    board(harness)
    for i in range(5):
        points(harness, f"u{i}", i + 1)
    with harness.view() as view:
        definition = view.get_definition("leaderboards", "top")
        first = rankings(view, definition, harness.now, None, 0, 2)
        last = rankings(view, definition, harness.now, None, 4, 2)
    assert [e["user_id"] for e in first.entries] == ["u4", "u3"] and first.has_more
    assert [e["user_id"] for e in last.entries] == ["u0"] and not last.has_more
    assert first.total == 5


_examples = iter(range(10**6))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=12))
def test_ranks_are_consistent_with_scores(harness: Any, scores: list[int]) -> None:
    # One project for every example: each example gets its own board and users.
    n = next(_examples)
    board_id = f"b{n}"
    harness.define(
        "leaderboards", board_id, {"metric": {"type": "event_count", "event_type": f"p{n}"}}
    )
    present = {}
    for i, score in enumerate(scores):
        harness.advance(seconds=1)
        user = f"x{n}-{i:02d}"
        for _ in range(score):
            harness.send(user, f"p{n}")
        if score:
            present[user] = score
    rows = table(harness, board_id)
    assert {u: s for _, u, s in rows} == present
    with harness.view() as view:
        definition = view.get_definition("leaderboards", board_id)
        for index, (rank, user, score) in enumerate(rows):
            assert rank == 1 + sum(1 for s in present.values() if s > score)
            found = rank_around(view, definition, user, 1, harness.now)
            assert (found["rank"], found["score"]) == (rank, score)
            assert [e["user_id"] for e in found["above"]] == [
                u for _, u, _ in rows[max(index - 1, 0) : index]
            ]
            assert [e["user_id"] for e in found["below"]] == [
                u for _, u, _ in rows[index + 1 : index + 2]
            ]
    assert [s for _, _, s in rows] == sorted(present.values(), reverse=True)


@pytest.mark.parametrize(
    ("doc", "loc"),
    [
        ({"metric": {"type": "currency", "currency": "gems"}}, ["body", "metric", "currency"]),
        ({"metric": {"type": "votes"}}, ["body", "metric", "type"]),
        ({"metric": {"type": "event_count"}}, ["body", "metric", "event_type"]),
        ({"metric": {"type": "property_sum", "event_type": "x"}}, ["body", "metric", "property"]),
        ({"metric": {"type": "xp"}, "timezone": "Mars/Base"}, ["body", "timezone"]),
        ({"metric": {"type": "xp"}, "period": "year"}, ["body", "period"]),
        ({"metric": {"type": "xp", "currency": "coins"}}, ["body", "metric", "currency"]),
    ],
)
def test_invalid_leaderboards_name_the_field(harness: Any, doc: Any, loc: list[Any]) -> None:
    with pytest.raises(DefinitionError) as caught:
        harness.define("leaderboards", "b", doc)
    assert loc in [e["loc"] for e in caught.value.errors]


def test_leaderboard_definition_is_stored_canonical(harness: Any) -> None:
    assert harness.define("leaderboards", "b", {"metric": {"type": "xp"}}) == {
        "id": "b",
        "name": "b",
        "description": None,
        "metric": {"type": "xp"},
        "period": "all_time",
        "timezone": "UTC",
    }


def test_manual_steps_reach_the_boards_at_now(harness: Any) -> None:
    harness.currency("coins")
    harness.define(
        "leaderboards", "b", {"metric": {"type": "currency", "currency": "coins"}, "period": "day"}
    )
    harness.send("u1", "signup")
    harness.advance(days=1)
    harness.transact("u1", "coins", 9)
    assert table(harness, "b") == [(1, "u1", 9)]
    assert (
        table(harness, "b", period_start=(harness.now - timedelta(days=1)).date().isoformat()) == []
    )
