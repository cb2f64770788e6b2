"""Leaderboards through the SDK: rankings across pages and a user's rank with neighbours."""

from __future__ import annotations

import pytest
from questline import NotFoundError, Questline

SCORES = {"ana": 30, "ben": 50, "cy": 30, "dee": 10, "eve": 70}


@pytest.fixture
def ranked(client: Questline) -> Questline:
    """An all-time XP board with five users on it (ana and cy tie)."""
    client.leaderboards.upsert("xp", name="XP", metric={"type": "xp"})
    client.rules.upsert(
        "points",
        trigger={"event_type": "points"},
        actions=[{"type": "grant_xp", "amount": {"from": "properties.n"}}],
    )
    for user, score in SCORES.items():
        client.events.send(user_id=user, type="points", properties={"n": score})
    return client


def test_rankings_are_best_first_and_walk_every_page(ranked: Questline) -> None:
    page = ranked.leaderboards.rankings("xp", limit=2)
    assert len(page.data) == 2 and page.has_next_page()
    assert page.listing.period_start is None  # an all-time board

    entries = [(e.rank, e.user_id, e.score) for e in page]
    # Equal scores share a rank; who reached it first comes first.
    assert entries == [
        (1, "eve", 70),
        (2, "ben", 50),
        (3, "ana", 30),
        (3, "cy", 30),
        (5, "dee", 10),
    ]


def test_rank_around_gives_neighbours(ranked: Questline) -> None:
    rank = ranked.leaderboards.rank("xp", "ana", around=1)
    assert (rank.user_id, rank.rank, rank.score) == ("ana", 3, 30)
    assert [e.user_id for e in rank.above] == ["ben"]
    assert [e.user_id for e in rank.below] == ["cy"]

    top = ranked.leaderboards.rank("xp", "eve", around=2)
    assert (top.rank, top.above, [e.user_id for e in top.below]) == (1, [], ["ben", "ana"])


def test_a_user_without_a_score_has_no_rank(ranked: Questline) -> None:
    ranked.users.upsert("newcomer")
    rank = ranked.leaderboards.rank("xp", "newcomer")
    assert (rank.rank, rank.score) == (None, 0)


def test_rankings_of_an_unknown_board_are_not_found(client: Questline) -> None:
    with pytest.raises(NotFoundError):
        client.leaderboards.rankings("nope")
