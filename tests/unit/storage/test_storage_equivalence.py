"""Property: any sequence of operations leaves both backends in the same observable state.

Operations are drawn from small id pools so that they collide (upserts, duplicates,
deletes of what exists), grouped into units of work of which some fail at the end (so the
memory backend's undo log is checked against SQLite's rollback), with resets in between.
Every return value is compared as well as a full snapshot after each step.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from questline_mock.domain import Project
from questline_mock.storage.base import DuplicateEventId, Storage, UnitOfWork
from questline_mock.storage.memory import MemoryStorage
from questline_mock.storage.sqlite import SQLiteStorage

from tests.unit.storage.storage_dump import snapshot
from tests.unit.storage.storage_records import (
    T0,
    at,
    badge,
    delivery,
    endpoint,
    event,
    idempotency,
    ledger,
    message,
    quest,
    rule,
    score,
    streak,
    usage,
    user,
)

USERS = st.sampled_from(["u1", "u2", "u3"])
TYPES = st.sampled_from(["login", "purchase", "lesson_completed"])
TIMES = st.integers(0, 20)
AMOUNTS = st.one_of(
    st.integers(-50, 50),
    st.floats(-1e3, 1e3, allow_nan=False),
    st.sampled_from(["7", "2.5", " 3 ", "x", "", True, None, 1e308]),
)
BOARDS = st.sampled_from([("lb1", "all_time"), ("lb1", "2026-01-05"), ("lb2", "all_time")])
KEYS = st.sampled_from(["k1", "k2", "k3"])
ENDPOINTS = st.sampled_from(["whe_1", "whe_2"])

OPERATIONS = st.one_of(
    st.tuples(st.just("put_user"), USERS, st.integers(0, 9)),
    st.tuples(st.just("delete_user"), USERS),
    st.tuples(st.just("put_rule"), st.sampled_from(["r1", "r2"]), TYPES),
    st.tuples(st.just("put_definition"), st.sampled_from(["badges", "leaderboards"]), st.sampled_from(["lb1", "b1"])),
    st.tuples(st.just("delete_definition"), st.sampled_from(["rules", "leaderboards", "badges"]), st.sampled_from(["r1", "lb1", "b1"])),
    st.tuples(st.just("put_levels"), st.one_of(st.none(), st.integers(0, 5))),
    st.tuples(st.just("insert_event"), st.integers(0, 6), USERS, TYPES, TIMES, st.one_of(st.none(), AMOUNTS)),
    st.tuples(st.just("insert_ledger"), USERS, st.sampled_from(["coins", "gems"]), st.integers(-20, 20)),
    st.tuples(st.just("put_badge_state"), USERS, st.sampled_from(["b1", "b2"]), st.integers(0, 5)),
    st.tuples(st.just("put_quest_state"), USERS, st.integers(0, 5)),
    st.tuples(st.just("put_streak_state"), USERS, st.sampled_from(["s1", "s2"]), st.sampled_from(["active", "ended"]), st.one_of(st.none(), TIMES)),
    st.tuples(st.just("put_rule_usage"), USERS, st.sampled_from(["r1", "r2"]), st.integers(0, 5)),
    st.tuples(st.just("put_leaderboard_entry"), BOARDS, USERS, st.sampled_from([0, 1, 1.5, 2, -1]), TIMES),
    st.tuples(st.just("put_idempotency"), KEYS, TIMES),
    st.tuples(st.just("delete_idempotency"), KEYS),
    st.tuples(st.just("purge_idempotency"), TIMES),
    st.tuples(st.just("put_webhook_endpoint"), ENDPOINTS, st.integers(0, 3)),
    st.tuples(st.just("delete_webhook_endpoint"), ENDPOINTS),
    st.tuples(st.just("insert_message"), st.one_of(st.none(), USERS), TYPES),
    st.tuples(st.just("insert_messages"), st.one_of(st.none(), USERS), st.integers(0, 3)),
    st.tuples(st.just("put_delivery"), st.integers(1, 4), ENDPOINTS, st.sampled_from(["pending", "delivered"]), st.one_of(st.none(), TIMES)),
)  # fmt: skip

FAILS = st.sampled_from([False, False, True])  # one unit in three rolls back
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("unit"), st.lists(OPERATIONS, min_size=1, max_size=30), FAILS),
        st.tuples(st.just("unit"), st.lists(OPERATIONS, min_size=1, max_size=30), FAILS),
        st.tuples(st.just("unit"), st.lists(OPERATIONS, min_size=1, max_size=30), FAILS),
        st.tuples(st.just("reset"), st.booleans()),
    ),
    min_size=1,
    max_size=8,
)


class Abort(Exception):
    """Raised at the end of a unit of work that should roll back."""


def apply(uow: UnitOfWork, op: tuple[Any, ...], serial: int) -> Any:
    """Run one operation; returns what the caller can observe of it."""
    name, *args = op
    if name == "put_user":
        return uow.put_user(user(args[0], xp=args[1]))
    if name == "delete_user":
        return uow.delete_user(args[0])
    if name == "put_rule":
        return uow.put_definition("rules", args[0], rule(args[0], args[1]))
    if name == "put_definition":
        return uow.put_definition(args[0], args[1], {"id": args[1], "serial": serial})
    if name == "delete_definition":
        return uow.delete_definition(args[0], args[1])
    if name == "put_levels":
        return uow.put_levels(None if args[0] is None else {"levels": [{"min_xp": args[0]}]})
    if name == "insert_event":
        event_no, user_id, type_, occurred, amount = args
        properties = {} if amount is None else {"amount": amount}
        record = event(serial, user_id, type_, occurred, properties, event_id=f"e{event_no}")
        try:
            uow.insert_event(record)
        except DuplicateEventId as exc:
            return ("duplicate", exc.event_id)
        return None
    if name == "insert_ledger":
        return uow.insert_ledger(ledger(serial, args[0], args[1], args[2]))
    if name == "put_badge_state":
        return uow.put_badge_state(badge(args[1], args[0], progress=args[2]))
    if name == "put_quest_state":
        return uow.put_quest_state(quest("q1", args[0], steps={"s": args[1]}))
    if name == "put_streak_state":
        return uow.put_streak_state(streak(args[1], args[0], args[3], args[2]))
    if name == "put_rule_usage":
        return uow.put_user(user(args[0], rule_usage={args[1]: usage(args[2], args[2])}))
    if name == "put_leaderboard_entry":
        (board, period), user_id, value, reached = args
        return uow.put_leaderboard_entry(score(user_id, value, reached, board, period))
    if name == "put_idempotency":
        return uow.put_idempotency(idempotency(args[0], args[1], status_code=serial))
    if name == "delete_idempotency":
        return uow.delete_idempotency(args[0])
    if name == "purge_idempotency":
        return uow.purge_idempotency(at(args[0]))
    if name == "put_webhook_endpoint":
        return uow.put_webhook_endpoint(endpoint(args[0], description=str(args[1])))
    if name == "delete_webhook_endpoint":
        return uow.delete_webhook_endpoint(args[0])
    if name == "insert_message":
        return uow.insert_message(message(serial, args[0], args[1]))
    if name == "insert_messages":
        return uow.insert_messages([message(f"{serial}_{n}", args[0]) for n in range(args[1])])
    if name == "put_delivery":
        msg, ep, status, due = args
        return uow.put_delivery(delivery(f"msg_{msg}", ep, status, due))
    raise AssertionError(name)


def run(store: Storage, project: str, steps: list[Any]) -> Iterator[Any]:
    """Yield every observation: each operation's result, then a snapshot after each step."""
    serial = itertools.count()
    for step in steps:
        if step[0] == "reset":
            store.reset_project(project, keep_config=step[1])
        else:
            _, ops, fail = step
            results = []
            try:
                with store.unit_of_work(project) as uow:
                    for op in ops:
                        results.append(apply(uow, op, next(serial)))
                    if fail:
                        raise Abort
            except Abort:
                pass
            yield results
        with store.read(project) as reader:
            yield snapshot(reader)


@pytest.fixture(scope="module")
def stores() -> Iterator[tuple[Storage, Storage]]:
    with tempfile.TemporaryDirectory() as directory:
        memory, sqlite = MemoryStorage(), SQLiteStorage(Path(directory) / "eq.db")
        yield memory, sqlite
        memory.close()
        sqlite.close()


_projects = itertools.count()


@settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_both_backends_observe_the_same_state(
    stores: tuple[Storage, Storage], steps: list[Any]
) -> None:
    project = f"proj_eq{next(_projects)}"  # a fresh project per example, in both stores
    for store in stores:
        store.create_project(Project(project, f"sk_test_{project}", T0))
    memory, sqlite = stores
    for step, (seen_in_memory, seen_in_sqlite) in enumerate(
        zip(run(memory, project, steps), run(sqlite, project, steps), strict=True)
    ):
        assert seen_in_memory == seen_in_sqlite, f"diverged at observation {step}"
