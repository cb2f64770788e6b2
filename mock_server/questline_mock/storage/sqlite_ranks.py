"""Order statistics for the SQLite backend's leaderboards, kept in the process.

SQLite can count the entries above a score only by walking them (``COUNT(*)`` over an
index range is linear in the count), so a rank lookup on a large board would cost in
proportion to the board. Instead each board period is mirrored, the first time it is
ranked, in a sorted list keyed ``(-score, reached_at, user_id)``: a rank is then one
binary search, as in the memory backend.

The file stays the truth. The mirror is loaded from the latest committed state and kept
current by applying each committed change after its ``COMMIT``, in commit order (the store
applies them while it still holds its write lock). Every change is idempotent (put the
user's entry, drop a user, drop a board), so a change that lands before or after a
concurrent load leaves the same mirror. Only this process writes the file (the server
does not share a SQLite file between processes), which is what keeps the mirror exact.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from ..domain import LeaderboardEntry
from ._common import from_us, to_us

BoardKey = tuple[str, str, str]  # (project_id, leaderboard_id, period_key)
Row = tuple[str, float, int]  # (user_id, score, reached_at in microseconds)
Loader = Callable[[BoardKey], list[Row]]
_Order = tuple[float, int, str]  # (-score, reached_us, user_id)


class _Board:
    def __init__(self, rows: list[Row]) -> None:
        self.by_user: dict[str, _Order] = {
            user: (-score, reached, user) for user, score, reached in rows
        }
        self.order = SortedList(self.by_user.values())

    def put(self, user_id: str, score: float, reached_us: int) -> None:
        self.drop(user_id)
        key = (-score, reached_us, user_id)
        self.by_user[user_id] = key
        self.order.add(key)

    def drop(self, user_id: str) -> None:
        old = self.by_user.pop(user_id, None)
        if old is not None:
            self.order.remove(old)

    def rank_of_score(self, score: float) -> int:
        """1 + how many entries score strictly more (equal scores share a rank)."""
        return 1 + int(self.order.bisect_left((-score,)))


class RankCache:
    """The mirrors of every board period ranked so far, shared by the store's threads."""

    def __init__(self, load: Loader) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._boards: dict[BoardKey, _Board] = {}

    # -- reads ---------------------------------------------------------------------------
    def rank_of(self, key: BoardKey, user_id: str) -> tuple[int, LeaderboardEntry] | None:
        with self._lock:
            board = self._board(key)
            found = board.by_user.get(user_id)
            if found is None:
                return None
            return board.rank_of_score(-found[0]), _entry(key, found)

    def rankings(
        self, key: BoardKey, offset: int, limit: int
    ) -> list[tuple[int, LeaderboardEntry]]:
        with self._lock:
            board = self._board(key)
            page = board.order[offset : offset + max(limit, 0)]
            return [(board.rank_of_score(-item[0]), _entry(key, item)) for item in page]

    def size(self, key: BoardKey) -> int:
        with self._lock:
            return len(self._board(key).order)

    def _board(self, key: BoardKey) -> _Board:
        board = self._boards.get(key)
        if board is None:
            board = self._boards[key] = _Board(self._load(key))
        return board

    # -- committed changes (idempotent; boards not mirrored yet are loaded when needed) -----
    def put(self, project_id: str, entry: LeaderboardEntry) -> None:
        with self._lock:
            board = self._boards.get((project_id, entry.leaderboard_id, entry.period_key))
            if board is not None:
                board.put(entry.user_id, float(entry.score), to_us(entry.reached_at))

    def drop_user(self, project_id: str, user_id: str) -> None:
        with self._lock:
            for key, board in self._boards.items():
                if key[0] == project_id:
                    board.drop(user_id)

    def drop_board(self, project_id: str, leaderboard_id: str) -> None:
        with self._lock:
            for key in [k for k in self._boards if k[:2] == (project_id, leaderboard_id)]:
                del self._boards[key]

    def drop_project(self, project_id: str) -> None:
        with self._lock:
            for key in [k for k in self._boards if k[0] == project_id]:
                del self._boards[key]


def _entry(key: BoardKey, item: _Order) -> LeaderboardEntry:
    reached: datetime = from_us(item[1])
    return LeaderboardEntry(key[1], key[2], item[2], -item[0], reached)
