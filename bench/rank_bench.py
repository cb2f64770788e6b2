"""Rank lookups and the streak sweep: do they stay cheap as a project grows?

The issue's targets: a rank lookup (``rankings/{user_id}?around=2``) at 20,000 users costs
at most ~3x the lookup at 200 (an order-statistics structure or an index, not a sort per
request), and a clock advance that ends 10,000 streaks is reported. Figures are ratios
against a baseline measured in the same run, so the machine's speed cancels out.

Run: ``.venv/bin/python bench/rank_bench.py`` (``--quick`` for a smoke run). Each storage
backend present is measured: MemoryStorage always, SQLite when ``storage/sqlite.py`` exists.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _servers import build as server_build
from questline_mock.domain import LeaderboardEntry, Project, StreakState
from questline_mock.engine.leaderboards import rank_around
from questline_mock.engine.streaks import sweep_streaks
from questline_mock.storage.base import Storage

PROJECT = "prj_bench"
T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)
BOARD = {
    "id": "top",
    "name": "top",
    "metric": {"type": "xp"},
    "period": "all_time",
    "timezone": "UTC",
}
SIZES = (200, 2_000, 20_000)


def backends() -> Iterator[tuple[str, Callable[[], Storage]]]:
    from questline_mock.storage.memory import MemoryStorage

    yield "memory", MemoryStorage
    try:
        sqlite = importlib.import_module("questline_mock.storage.sqlite")
    except ImportError:
        return
    factory = next(
        getattr(sqlite, name)
        for name in ("SqliteStorage", "SQLiteStorage")
        if hasattr(sqlite, name)
    )
    directory = Path(tempfile.mkdtemp(prefix="rank_bench_"))
    counter = iter(range(10**6))
    yield "sqlite", lambda: factory(str(directory / f"bench{next(counter)}.db"))


@contextmanager
def project(make: Callable[[], Storage]) -> Iterator[Storage]:
    storage = make()
    storage.create_project(Project(id=PROJECT, api_key=f"sk_test_{id(storage)}", created_at=T0))
    try:
        yield storage
    finally:
        storage.close()


def fill_board(storage: Storage, users: int, rng: random.Random) -> None:
    with storage.unit_of_work(PROJECT) as uow:
        uow.put_definition("leaderboards", "top", dict(BOARD))
        for i in range(users):
            # Scores with ties (about 1 in 10 shares a score), as real boards have.
            score = rng.randrange(users * 10)
            uow.put_leaderboard_entry(
                LeaderboardEntry("top", "all_time", f"u{i:06d}", score, T0 + timedelta(seconds=i))
            )


def time_lookups(storage: Storage, users: int, lookups: int, rng: random.Random) -> float:
    """Median seconds per ``rank_around(around=2)`` over ``lookups`` random users."""
    samples = []
    with storage.read(PROJECT) as view:
        for _ in range(lookups):
            user = f"u{rng.randrange(users):06d}"
            start = time.perf_counter()
            found = rank_around(view, BOARD, user, 2, T0)
            samples.append(time.perf_counter() - start)
            assert found["rank"] is not None
    return statistics.median(samples)


def time_sweep(make: Callable[[], Storage], streaks: int) -> tuple[float, float, int]:
    """Seconds to decide the sweep, seconds to apply it, and how many streaks it ended.

    Twice as many streaks exist as expire, so the index (not a scan) is what is measured.
    """
    with project(make) as storage:
        with storage.unit_of_work(PROJECT) as uow:
            for i in range(streaks * 2):
                expired = i % 2 == 0
                uow.put_streak_state(
                    StreakState(
                        user_id=f"u{i:06d}",
                        streak_id="daily",
                        status="active",
                        count=3,
                        longest=3,
                        freezes_left=0,
                        last_period="2026-05-30",
                        expires_at=T0 + (timedelta(hours=-1) if expired else timedelta(days=1)),
                    )
                )
        start = time.perf_counter()
        with storage.read(PROJECT) as view:
            result = sweep_streaks(view, T0, limit=streaks * 2)
        decided = time.perf_counter() - start
        start = time.perf_counter()
        with storage.unit_of_work(PROJECT) as uow:
            result.changes.apply(uow)
        applied = time.perf_counter() - start
        return decided, applied, len(result.ended)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer lookups, smaller sweep")
    args = parser.parse_args()
    print(f"server build: {server_build()}\n")
    lookups = 200 if args.quick else 2_000
    sweep_size = 1_000 if args.quick else 10_000

    print(f"rank_around(around=2): median of {lookups} lookups per size")
    print(f"{'backend':<8} {'users':>7} {'µs/lookup':>10} {'vs 200':>7}")
    for name, make in backends():
        baseline = None
        for users in SIZES:
            rng = random.Random(users)
            with project(make) as storage:
                fill_board(storage, users, rng)
                seconds = time_lookups(storage, users, lookups, rng)
            baseline = baseline or seconds
            print(f"{name:<8} {users:>7} {seconds * 1e6:>10.1f} {seconds / baseline:>6.2f}x")
        print()

    print(f"sweep of {sweep_size:,} expired streaks (of {2 * sweep_size:,} active)")
    print(f"{'backend':<8} {'ended':>7} {'decide ms':>10} {'apply ms':>9} {'µs/streak':>10}")
    for name, make in backends():
        decided, applied, ended = time_sweep(make, sweep_size)
        per = (decided + applied) / max(ended, 1) * 1e6
        print(f"{name:<8} {ended:>7} {decided * 1e3:>10.1f} {applied * 1e3:>9.1f} {per:>10.1f}")


if __name__ == "__main__":
    main()
