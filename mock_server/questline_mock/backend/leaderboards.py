"""Leaderboard read views."""

from __future__ import annotations

from ..domain import JSON
from ..engine import NotFound
from ..engine import leaderboards as boards
from ..storage.base import Reader
from .core import ProjectScope


def _board(view: Reader, leaderboard_id: str) -> JSON:
    board = view.get_definition("leaderboards", leaderboard_id)
    if board is None:
        raise NotFound(f"leaderboard {leaderboard_id!r} not found")
    return board


def rankings(
    scope: ProjectScope, leaderboard_id: str, period_start: str | None, offset: int, limit: int
) -> boards.RankingPage:
    now = scope.now()
    with scope.read() as view:
        return boards.rankings(view, _board(view, leaderboard_id), now, period_start, offset, limit)


def rank(
    scope: ProjectScope, leaderboard_id: str, user_id: str, around: int, period_start: str | None
) -> JSON:
    now = scope.now()
    with scope.read() as view:
        board = _board(view, leaderboard_id)
        if view.get_user(user_id) is None:
            raise NotFound(f"user {user_id!r} not found")
        return boards.rank_around(view, board, user_id, around, now, period_start)
