"""Leaderboards: shared ranks for ties, order by reached_at then user id, offset pages."""

from __future__ import annotations

import pytest
from questline_mock.storage.base import Storage

from tests.unit.storage.storage_records import PROJECT, score


def fill(store: Storage, *entries: object) -> None:
    with store.unit_of_work(PROJECT) as uow:
        for entry in entries:
            uow.put_leaderboard_entry(entry)  # type: ignore[arg-type]


def test_equal_scores_share_a_rank_and_the_next_rank_skips(store: Storage) -> None:
    fill(
        store, score("a", 100), score("b", 90, reached=5), score("c", 90, reached=1), score("d", 50)
    )
    with store.read(PROJECT) as reader:
        ranked = reader.rankings("lb1", "all_time", 0, 10)
        assert [(r.rank, r.entry.user_id) for r in ranked] == [
            (1, "a"),
            (2, "c"),
            (2, "b"),
            (4, "d"),
        ]
        assert ranked[1].entry == score("c", 90, reached=1)
        rank_b = reader.rank_of("lb1", "all_time", "b")
        assert rank_b is not None and rank_b.rank == 2 and rank_b.entry == score("b", 90, reached=5)
        rank_d = reader.rank_of("lb1", "all_time", "d")
        assert rank_d is not None and rank_d.rank == 4
        assert reader.leaderboard_size("lb1", "all_time") == 4


def test_ties_in_score_and_time_are_ordered_by_user_id(store: Storage) -> None:
    fill(
        store, score("zed", 10, reached=3), score("amy", 10, reached=3), score("kim", 10, reached=2)
    )
    with store.read(PROJECT) as reader:
        ranked = reader.rankings("lb1", "all_time", 0, 10)
    assert [(r.rank, r.entry.user_id) for r in ranked] == [(1, "kim"), (1, "amy"), (1, "zed")]


def test_a_page_starting_inside_a_tie_keeps_the_shared_rank(store: Storage) -> None:
    fill(store, *[score(f"u{n}", s, reached=n) for n, s in enumerate([9, 7, 7, 7, 5, 5, 1])])
    with store.read(PROJECT) as reader:
        whole = [(r.rank, r.entry.user_id) for r in reader.rankings("lb1", "all_time", 0, 100)]
        pages = [
            (r.rank, r.entry.user_id)
            for offset in range(0, 7, 2)
            for r in reader.rankings("lb1", "all_time", offset, 2)
        ]
        assert reader.rankings("lb1", "all_time", 7, 5) == []
        assert reader.rankings("lb1", "all_time", 0, 0) == []
        with pytest.raises(ValueError):
            reader.rankings("lb1", "all_time", -1, 5)
    assert whole == [(1, "u0"), (2, "u1"), (2, "u2"), (2, "u3"), (5, "u4"), (5, "u5"), (7, "u6")]
    assert pages == whole


def test_a_new_score_moves_the_user(store: Storage) -> None:
    fill(store, score("a", 10), score("b", 20))
    fill(store, score("a", 30, reached=9))
    with store.read(PROJECT) as reader:
        assert [r.entry.user_id for r in reader.rankings("lb1", "all_time", 0, 5)] == ["a", "b"]
        assert reader.get_leaderboard_entry("lb1", "all_time", "a") == score("a", 30, reached=9)
        assert reader.leaderboard_size("lb1", "all_time") == 2


def test_boards_and_periods_are_separate(store: Storage) -> None:
    fill(
        store,
        score("a", 1, period="2026-01-05"),
        score("a", 2, period="2026-01-12"),
        score("b", 3, board="lb2"),
        score("a", -4.5),
    )
    with store.read(PROJECT) as reader:
        assert reader.leaderboard_size("lb1", "2026-01-05") == 1
        entry = reader.get_leaderboard_entry("lb1", "2026-01-12", "a")
        assert entry is not None and entry.score == 2
        assert reader.get_leaderboard_entry("lb1", "all_time", "a") == score("a", -4.5)
        assert reader.rank_of("lb2", "all_time", "a") is None
        assert reader.rank_of("nope", "all_time", "a") is None
        assert reader.rankings("nope", "all_time", 0, 5) == []
        assert reader.leaderboard_size("nope", "all_time") == 0
        assert reader.get_leaderboard_entry("nope", "all_time", "a") is None


def test_ranks_on_a_large_board(store: Storage) -> None:
    fill(store, *[score(f"u{n:04}", n // 3, reached=n) for n in range(600)])
    with store.read(PROJECT) as reader:
        top = reader.rank_of("lb1", "all_time", "u0599")  # score 199, alone with u0597/8
        assert top is not None and top.rank == 1
        low = reader.rank_of("lb1", "all_time", "u0001")  # score 0: three of them, last
        assert low is not None and low.rank == 598
        page = reader.rankings("lb1", "all_time", 299, 3)  # the last of a tie, then the next
        assert [r.rank for r in page] == [298, 301, 301]
