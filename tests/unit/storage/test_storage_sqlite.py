"""What only the SQLite backend promises: the file's settings, its schema versioning,
durability across reopen and ``kill -9``, and queries that run on indexes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from questline_mock.domain import Project
from questline_mock.storage import sqlite as sqlite_module
from questline_mock.storage import sqlite_schema
from questline_mock.storage.base import EventFilter, StorageError
from questline_mock.storage.sqlite import SQLiteStorage

from tests.unit.storage.storage_dump import snapshot
from tests.unit.storage.storage_records import (
    PROJECT,
    T0,
    at,
    delivery,
    endpoint,
    event,
    ledger,
    message,
    rule,
    score,
    streak,
    user,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "questline.db"


def open_store(path: Path) -> SQLiteStorage:
    store = SQLiteStorage(path)
    if store.get_project(PROJECT) is None:
        store.create_project(Project(PROJECT, "sk_test_a", T0))
    return store


def migrations(path: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall()


def test_the_file_is_in_wal_mode_with_durable_connection_settings(path: Path) -> None:
    store = open_store(path)
    with store._connection() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    store.close()


def test_synchronous_full_is_a_choice_and_nothing_else_is(path: Path) -> None:
    store = SQLiteStorage(path, synchronous="full")
    with store._connection() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteStorage(path, synchronous="off")


def test_everything_is_there_after_close_and_reopen(path: Path) -> None:
    store = open_store(path)
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("u1", traits={"a": 1}))
        uow.put_definition("rules", "r1", rule("r1", "login"))
        uow.insert_event(event(1, properties={"amount": 3}))
        uow.insert_ledger(ledger(1))
        uow.put_streak_state(streak())
        uow.put_leaderboard_entry(score("u1", 5))
        uow.put_webhook_endpoint(endpoint("whe_1"))
        uow.insert_message(message(1))
        uow.put_delivery(delivery())
    with store.read(PROJECT) as reader:
        before = snapshot(reader)
    applied = migrations(path)
    store.close()

    again = open_store(path)
    with again.read(PROJECT) as reader:
        assert snapshot(reader) == before
    with again.unit_of_work(PROJECT) as uow:  # the message stream carries on
        assert uow.insert_message(message(2)).seq == 2
    again.close()
    assert migrations(path) == applied  # opened twice, migrated once
    assert [version for version, _, _ in applied] == [m.version for m in sqlite_schema.MIGRATIONS]


def test_a_new_migration_is_applied_once_to_an_existing_file(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(path).close()
    extra = sqlite_schema.Migration(
        len(sqlite_schema.MIGRATIONS) + 1,
        "test index",
        ["CREATE INDEX test_only ON users (project_id, email)"],  # fails if run twice
    )
    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", [*sqlite_schema.MIGRATIONS, extra])
    open_store(path).close()
    open_store(path).close()
    assert [v for v, _, _ in migrations(path)][-1] == extra.version
    assert len(migrations(path)) == len(sqlite_schema.MIGRATIONS)


def test_a_file_from_a_newer_server_is_refused(path: Path) -> None:
    open_store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    with pytest.raises(StorageError, match="999"):
        SQLiteStorage(path)


def test_a_closed_store_refuses_work(path: Path) -> None:
    store = open_store(path)
    store.close()
    with pytest.raises(StorageError), store.unit_of_work(PROJECT):
        pass


def test_threads_share_the_pool_and_each_sees_committed_work(path: Path) -> None:
    store = open_store(path)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                with store.unit_of_work(PROJECT) as uow:
                    uow.insert_event(event(f"{n}_{i}", user_id=f"t{n}"))
                with store.read(PROJECT) as reader:
                    assert reader.get_event(f"evt_{n}_{i}") is not None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.read(PROJECT) as reader:
        assert len(reader.list_events(EventFilter(), 100).items) == 100
        assert reader.list_events(EventFilter(), 100).next_cursor is not None
    assert len(store._idle) <= 8
    store.close()


def test_every_query_runs_on_an_index(path: Path) -> None:
    """No reader query does a full table scan: each plan step SEARCHes or walks an index."""
    store = open_store(path)
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user())
        uow.insert_event(event(1))
    statements: list[str] = []
    with store.read(PROJECT) as reader:
        conn = reader._conn  # type: ignore[attr-defined]
        reader._ranks = None  # type: ignore[attr-defined]  # rank by SQL, as a dirty unit does
        conn.set_trace_callback(statements.append)
        try:
            reader.get_user("u1")
            reader.list_users(5, "1")
            reader.list_definitions("rules", 5)
            reader.rules_for_event_type("login")
            reader.get_event("evt_1")
            reader.get_event_by_event_id("e1")
            reader.list_events(EventFilter(), 5, "10")
            reader.list_events(EventFilter(user_id="u1"), 5)
            reader.list_events(EventFilter(type="login"), 5)
            reader.list_events(EventFilter(user_id="u1", type="login", since=at(0)), 5)
            reader.aggregate_events("u1", "login", at(0), at(9))
            reader.aggregate_events("u1", "login", at(0), at(9), "amount")
            reader.list_ledger("u1", 5)
            reader.ledger_sum("u1", "coins")
            reader.list_badge_states("u1")
            reader.get_streak_state("u1", "s1")
            reader.streaks_expiring_by(at(9), 5)
            reader.rank_of("lb1", "all_time", "u1")
            reader.rankings("lb1", "all_time", 0, 5)
            reader.leaderboard_size("lb1", "all_time")
            reader.get_idempotency("k1")
            reader.list_webhook_endpoints(5)
            reader.list_messages(5, user_id="u1")
            reader.list_messages(5)
            reader.list_deliveries(endpoint_id="whe_1")
            reader.due_deliveries(at(9), 5)
        finally:
            conn.set_trace_callback(None)
        plans = {}
        for sql in statements:
            if sql.startswith(("SELECT", "select")):
                steps = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
                plans[sql] = steps
    store.close()
    full_scans = {
        sql: steps
        for sql, steps in plans.items()
        for step in steps
        if step.startswith("SCAN") and "INDEX" not in step
    }
    assert len(plans) >= 25
    assert full_scans == {}
    by_user = [
        steps for sql, steps in plans.items() if "FROM messages" in sql and "user_id = " in sql
    ]
    assert by_user and all("messages_by_user" in " ".join(steps) for steps in by_user)


CHILD = textwrap.dedent(
    """
    import sys, threading
    from datetime import datetime, timezone
    from questline_mock.domain import EventRecord, User
    from questline_mock.storage.sqlite import SQLiteStorage

    store = SQLiteStorage(sys.argv[1])
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    out = threading.Lock()

    def writer(t):
        n = 0
        while True:
            n += 1
            key = f"{t}-{n}"
            with store.unit_of_work("proj_a") as uow:
                uow.put_user(User(key, now, now))
                uow.insert_event(EventRecord(
                    "evt_" + key, key, key, "login", {"n": n}, now, now, "processed"))
            with out:  # acknowledged only after the commit returned
                sys.stdout.write(key + "\\n")
                sys.stdout.flush()

    for t in range(3):
        threading.Thread(target=writer, args=(t,), daemon=True).start()
    threading.Event().wait()
    """
)


def test_every_acknowledged_unit_of_work_survives_kill_9(path: Path) -> None:
    open_store(path).close()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    acknowledged: list[str] = []
    try:
        assert child.stdout is not None
        while len(acknowledged) < 150:
            line = child.stdout.readline()
            assert line, f"the writer died early (exit {child.poll()})"
            acknowledged.append(line.strip())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    store = SQLiteStorage(path)
    with store._connection() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with store.read(PROJECT) as reader:
        missing = [key for key in acknowledged if reader.get_user(key) is None]
        assert missing == []
        for key in acknowledged:
            assert reader.get_event_by_event_id(key) is not None
        # Whatever else made it in arrived whole: a user and its event, or neither.
        users = {u.id for u in reader.list_users(100_000).items}
        events = {e.user_id for e in reader.list_events(EventFilter(), 100_000).items}
        assert users == events
    store.close()


def older_file(path: Path, monkeypatch: pytest.MonkeyPatch, migrations: int, *inserts: str) -> None:
    """A file made by a server that knew only the first ``migrations`` migrations, with
    rows put in by ``inserts`` (SQL whose one parameter, if any, is the project id)."""
    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", sqlite_schema.MIGRATIONS[:migrations])
    old = open_store(path)
    with old._connection() as conn:
        for insert in inserts:
            conn.execute(insert, (PROJECT,) if "?" in insert else ())
    old.close()
    monkeypatch.undo()


def test_a_database_from_an_older_schema_is_migrated_in_place(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from questline_mock.domain import QuestState

    # A file made by a server that knew only the first migration, with a quest state in it.
    older_file(
        path,
        monkeypatch,
        1,
        "INSERT INTO quest_states (project_id, user_id, quest_id, steps, completed_at)"
        " VALUES (?, 'u1', 'q1', '{\"s1\": 1}', NULL)",
    )

    store = open_store(path)
    assert [version for version, *_ in migrations(path)] == [
        m.version for m in sqlite_schema.MIGRATIONS
    ]
    with store.read(PROJECT) as view:
        kept = view.get_quest_state("u1", "q1")
    assert kept is not None and kept.steps == {"s1": 1} and kept.started_at is None
    with store.unit_of_work(PROJECT) as uow:
        uow.put_quest_state(QuestState("u1", "q2", {"s1": 1}, None, T0 + timedelta(hours=1)))
    with store.read(PROJECT) as view:
        found = view.get_quest_state("u1", "q2")
    assert found is not None and found.started_at == T0 + timedelta(hours=1)


def test_rule_usage_moves_into_the_user_rows_when_migrated(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from questline_mock.domain import RuleUsage
    from questline_mock.storage._common import to_us

    # A file from before migration 4, when rule usage had a table of its own.
    user_row = (
        "INSERT INTO users (project_id, id, created_at, updated_at, timezone, traits, xp,"
        " level, balances, event_counts) VALUES (?, '{}', 0, 0, 'UTC', '{{}}', 0, 1, '{{}}',"
        " '{{}}')"
    )
    usage_row = f"INSERT INTO rule_usage VALUES (?, 'u1', '{{}}', {{}}, {to_us(T0)})"
    older_file(
        path,
        monkeypatch,
        3,
        user_row.format("u1"),
        user_row.format("u2"),
        usage_row.format("r1", 3),
        usage_row.format("r2", 1),
        # Another project with a user of the same id: its usage stays its own.
        "INSERT INTO projects (id, api_key, created_at, clock_offset_seconds)"
        " VALUES ('proj_other', 'sk_other', 0, 0)",
        user_row.replace("?", "'proj_other'").format("u1"),
        usage_row.replace("?", "'proj_other'").format("r1", 7),
    )

    store = open_store(path)
    with store.read(PROJECT) as view:
        u1, u2 = view.get_user("u1"), view.get_user("u2")
    with store.read("proj_other") as view:
        other = view.get_user("u1")
    assert u1 is not None and u2 is not None and other is not None
    assert u1.rule_usage == {"r1": RuleUsage(3, T0), "r2": RuleUsage(1, T0)}
    assert u2.rule_usage == {}
    assert other.rule_usage == {"r1": RuleUsage(7, T0)}
    with store._connection() as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert "rule_usage" not in tables
    store.close()


def test_a_trace_stored_expanded_by_an_earlier_server_still_reads(path: Path) -> None:
    from questline_mock.domain import Trace

    expanded = [{"rule_id": "r1", "matched": True, "skipped_reason": None, "conditions": None}]
    store = open_store(path)
    with store.unit_of_work(PROJECT) as uow:
        uow.insert_event(event(1))
    with store._connection() as conn:
        conn.execute("UPDATE events SET trace = ? WHERE id = 'evt_1'", (json.dumps(expanded),))
    with store.read(PROJECT) as reader:
        found = reader.get_event("evt_1")
    assert found is not None and found.trace == Trace.of(expanded)
    store.close()


def test_mirrored_ranks_agree_with_sql_through_commits_rollbacks_and_deletes(path: Path) -> None:
    """The in-process order statistics (sqlite_ranks.py) answer exactly as the file does."""
    import random

    from questline_mock.domain import LeaderboardEntry

    rng = random.Random(11)
    store = open_store(path)

    def both() -> tuple[object, object]:
        with store.read(PROJECT) as mirrored:
            fast = (
                [mirrored.rank_of("lb1", "all_time", f"u{n}") for n in range(30)],
                mirrored.rankings("lb1", "all_time", 0, 50),
                mirrored.leaderboard_size("lb1", "all_time"),
            )
        with store.read(PROJECT) as plain:
            plain._ranks = None  # type: ignore[attr-defined]
            slow = (
                [plain.rank_of("lb1", "all_time", f"u{n}") for n in range(30)],
                plain.rankings("lb1", "all_time", 0, 50),
                plain.leaderboard_size("lb1", "all_time"),
            )
        return fast, slow

    for step in range(120):
        fast, slow = both()
        assert fast == slow, step
        try:
            with store.unit_of_work(PROJECT) as uow:
                for _ in range(rng.randint(1, 4)):
                    user_id = f"u{rng.randrange(30)}"
                    if rng.random() < 0.1:
                        uow.put_user(user(user_id))
                        uow.delete_user(user_id)
                    else:
                        score = rng.choice([5, 10, 10, 20, rng.randrange(100)])
                        uow.put_leaderboard_entry(
                            LeaderboardEntry(
                                "lb1", "all_time", user_id, score, at(rng.randrange(50))
                            )
                        )
                # Inside the unit, ranks read its own writes (from SQL).
                assert uow.leaderboard_size("lb1", "all_time") >= 0
                if rng.random() < 0.2:
                    raise RuntimeError("roll back")
        except RuntimeError:
            pass
        if step % 40 == 39:
            store.reset_project(PROJECT)
    store.close()


def test_more_messages_than_one_insert_carries_are_still_all_or_none(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "MESSAGES_PER_INSERT", 2)
    store = open_store(path)
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("u1"))
        with pytest.raises(StorageError):
            uow.insert_messages([message(1), message(2), message(3), message(1)])
        stored = uow.insert_messages([message(4), message(5), message(6)])
    with store.read(PROJECT) as reader:
        assert [m.id for m in reader.list_messages(10).items] == ["msg_4", "msg_5", "msg_6"]
    assert [m.seq for m in stored] == [1, 2, 3]
    store.close()


def test_cached_configuration_follows_every_write_rollback_and_other_writer(path: Path) -> None:
    """Definitions are parsed once per configuration version (sqlite_config.py); every
    way the configuration can change is seen by the next read."""
    store, other = open_store(path), open_store(path)  # two servers on one file
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("rules", "r1", rule("r1", "login"))
        assert [r["id"] for r in uow.rules_for_event_type("login")] == ["r1"]
        uow.put_definition("rules", "r2", rule("r2", "login"))  # its own write, seen at once
        assert [r["id"] for r in uow.rules_for_event_type("login")] == ["r1", "r2"]
    with store.read(PROJECT) as reader:
        cached = reader.rules_for_event_type("login")
    with store.read(PROJECT) as reader:
        assert reader.rules_for_event_type("login") is cached  # parsed once
    with other.unit_of_work(PROJECT) as uow:
        uow.delete_definition("rules", "r1")
        uow.put_levels({"levels": [{"level": 1, "min_xp": 0}]})
    with store.read(PROJECT) as reader:
        assert [r["id"] for r in reader.rules_for_event_type("login")] == ["r2"]
        assert reader.get_levels() == {"levels": [{"level": 1, "min_xp": 0}]}

    with store.unit_of_work(PROJECT) as outer:
        assert [d["id"] for d in outer.list_definitions("rules").items] == ["r2"]
        with pytest.raises(RuntimeError), store.unit_of_work(PROJECT) as inner:
            inner.put_definition("rules", "r3", rule("r3", "login"))
            assert len(inner.list_definitions("rules").items) == 2
            raise RuntimeError("rolled back to the savepoint")
        assert [d["id"] for d in outer.list_definitions("rules").items] == ["r2"]
        with store.unit_of_work(PROJECT) as inner:
            inner.put_definition("badges", "b1", {"id": "b1"})
        assert outer.get_definition("badges", "b1") == {"id": "b1"}  # released into outer
        assert [d["id"] for d in outer.list_definitions("badges").items] == ["b1"]

    with store.read(PROJECT) as reader:
        assert reader.list_webhook_endpoints().items == []
    with other.unit_of_work(PROJECT) as uow:
        uow.put_webhook_endpoint(endpoint("whe_1"))
    with store.read(PROJECT) as reader:
        listed = reader.list_webhook_endpoints().items
        assert [e.id for e in listed] == ["whe_1"]
        listed[0].enabled = False  # each reader's records are its own
        assert reader.list_webhook_endpoints().items[0].enabled is True
    with store.unit_of_work(PROJECT) as uow:
        uow.delete_webhook_endpoint("whe_1")
        assert uow.list_webhook_endpoints().items == []

    store.reset_project(PROJECT)
    with store.read(PROJECT) as reader:
        assert list(reader.rules_for_event_type("login")) == []
        assert reader.list_definitions("badges").items == []
        assert reader.get_levels() is None
    store.close()
    other.close()


def test_a_finished_unit_of_work_refuses_reads_too(path: Path) -> None:
    store = open_store(path)
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("u1"))
        assert uow.get_user("u1") is not None  # from what the unit wrote
    with pytest.raises(StorageError):
        uow.get_user("u1")
    store.close()


def test_reading_events_compiles_no_condition_until_a_trace_is_expanded(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from questline_mock.domain import MISSING, Trace
    from questline_mock.engine.conditions import compile_condition

    condition = {"fact": "properties.n", "operator": "gte", "value": 3}
    trace = Trace(
        (("r1", compile_condition(condition)),), (("conditions_not_met", (MISSING, False)),)
    )
    store = open_store(path)
    with store.unit_of_work(PROJECT) as uow:
        uow.insert_event(event(1, trace=trace))
    monkeypatch.setattr(Trace, "compile", None)  # as for a program without the engine
    with store.read(PROJECT) as reader:
        listed = reader.list_events(EventFilter(), 10).items
        found = reader.get_event("evt_1")
    assert [e.id for e in listed] == ["evt_1"] and found is not None
    with pytest.raises(RuntimeError, match="engine"):
        found.trace.to_json()
    monkeypatch.undo()
    assert found.trace.to_json() == trace.to_json()
    store.close()


def _plan_trace(threshold: int, seen: int) -> object:
    from questline_mock.domain import Trace
    from questline_mock.engine.conditions import compile_condition

    condition = {"fact": "properties.n", "operator": "gte", "value": threshold}
    matched = seen >= threshold  # per leaf: the value it saw, then its answer
    return Trace((("r1", compile_condition(condition)),), ((None, (seen, matched)),))


def test_events_judged_by_the_same_rules_store_their_plan_once(path: Path) -> None:
    shared, other = _plan_trace(3, 5), _plan_trace(9, 5)
    traces = {"evt_1": shared, "evt_2": shared, "evt_3": other, "evt_4": shared}
    store = open_store(path)
    with store.unit_of_work(PROJECT) as uow:
        for n in (1, 2, 3):
            uow.insert_event(event(n, trace=traces[f"evt_{n}"]))
    with store.unit_of_work(PROJECT) as uow:  # a later transaction names the stored plan
        uow.insert_event(event(4, trace=shared))
    with store._connection() as conn:
        assert conn.execute("SELECT COUNT(*) FROM trace_plans").fetchone()[0] == 2
        stored = [t for (t,) in conn.execute("SELECT trace FROM events")]
    assert all('"plan"' not in t and "properties.n" not in t for t in stored)
    with store.read(PROJECT) as reader:
        for id, trace in traces.items():
            found = reader.get_event(id)
            assert found is not None and found.trace.to_json() == trace.to_json()  # type: ignore[attr-defined]

    store.reset_project(PROJECT, keep_config=True)  # the plans go with the events
    with store._connection() as conn:
        assert conn.execute("SELECT COUNT(*) FROM trace_plans").fetchone()[0] == 0
    with store.unit_of_work(PROJECT) as uow:
        uow.insert_event(event(5, trace=shared))
    with store.read(PROJECT) as reader:
        found = reader.get_event("evt_5")
    assert found is not None and found.trace.to_json() == shared.to_json()  # type: ignore[attr-defined]
    store.close()


def test_a_plan_written_in_a_rolled_back_savepoint_is_written_again(path: Path) -> None:
    trace = _plan_trace(3, 5)
    store = open_store(path)
    with store.unit_of_work(PROJECT) as outer:
        with pytest.raises(RuntimeError), store.unit_of_work(PROJECT) as inner:
            inner.insert_event(event(1, trace=trace))
            raise RuntimeError("the nested unit fails")
        outer.insert_event(event(2, trace=trace))
    with store.read(PROJECT) as reader:
        assert reader.get_event("evt_1") is None
        found = reader.get_event("evt_2")
    assert found is not None and found.trace.to_json() == trace.to_json()  # type: ignore[attr-defined]
    store.close()


def test_a_trace_with_its_plan_inline_from_an_earlier_server_still_reads(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Migration 4's form: the plan inside the trace, a MISSING value noted by its place.
    trace = {
        "plan": [["r1", {"fact": "properties.n", "operator": "gte", "value": 3}], ["r2", None]],
        "outcomes": [["conditions_not_met", [None, False]], ["disabled", None]],
        "missing": [[0, 0]],
    }
    older_file(
        path,
        monkeypatch,
        4,
        "INSERT INTO events (project_id, id, event_id, user_id, type, occurred_at,"
        " received_at, status, properties, result, rules_triggered, actions_executed, trace)"
        " VALUES (?, 'evt_1', 'e1', 'u1', 'signup', 0, 0, 'processed', '{}', '{}', '[]',"
        f" '[]', '{json.dumps(trace)}')",
    )
    store = open_store(path)
    with store.read(PROJECT) as reader:
        found = reader.get_event("evt_1")
    assert found is not None
    assert found.trace.to_json() == [
        {
            "rule_id": "r1",
            "matched": False,
            "skipped_reason": "conditions_not_met",
            "conditions": {
                "kind": "fact",
                "fact": "properties.n",
                "operator": "gte",
                "expected": 3,
                "actual": None,
                "result": False,
                "missing": True,
            },
        },
        {"rule_id": "r2", "matched": False, "skipped_reason": "disabled", "conditions": None},
    ]
    store.close()


def _statements(store: SQLiteStorage) -> list[str]:
    """Every statement the store runs on this thread's connection from now on (a
    connection of the test's own, held as if a unit of work had checked it out)."""
    ran: list[str] = []
    conn = store._open()
    conn.set_trace_callback(ran.append)
    store._local.conn = conn
    return ran


def test_a_user_written_by_many_events_of_a_unit_is_saved_once(path: Path) -> None:
    store = open_store(path)
    ran = _statements(store)
    with store.unit_of_work(PROJECT) as uow:
        for n in range(1, 6):
            found = uow.get_user("u1")
            uow.put_user(user("u1", xp=(found.xp if found else 0) + n))
            uow.insert_event(event(n))
            uow.insert_messages([message(2 * n), message(2 * n + 1)])
    saves = [s for s in ran if s.startswith("INSERT INTO users")]
    counters = [s for s in ran if s.startswith("UPDATE projects SET message_seq")]
    assert (len(saves), len(counters)) == (1, 1)
    store._local.conn.close()
    store._local.conn = None
    with store.read(PROJECT) as reader:
        found = reader.get_user("u1")
        assert found is not None and found.xp == 15
        assert [m.seq for m in reader.list_messages(20).items] == list(range(1, 11))
    store.close()


def test_what_waits_unsaved_is_saved_before_sql_reads_it(path: Path) -> None:
    """Users and the message counter are saved when the unit ends (sqlite_written.py),
    but every read inside it that goes to SQL sees them first, as does a savepoint."""
    store = open_store(path)
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("b"))
        uow.put_user(user("a", xp=5))
        assert [u.id for u in uow.list_users(10).items] == ["b", "a"]  # in creation order
        uow.insert_messages([message(1), message(2)])
        uow.put_user(user("a", xp=6))
        with store.read(PROJECT) as inside:  # a read joining the transaction
            assert inside.newest_message_seq() == 2
            found = inside.get_user("a")
            assert found is not None and found.xp == 6
        uow.put_user(user("a", xp=7))
        uow.delete_user("b")
        uow.insert_messages([message(3)])
        with pytest.raises(RuntimeError), store.unit_of_work(PROJECT) as inner:
            inner.put_user(user("c"))
            inner.insert_messages([message(4)])
            raise RuntimeError("the nested unit fails: c and msg_4 go, a and msg_3 stay")
        uow.insert_messages([message(5)])  # the counter the savepoint kept: seq 4
    with store.read(PROJECT) as reader:
        assert [(u.id, u.xp) for u in reader.list_users(10).items] == [("a", 7)]
        stored = reader.list_messages(10).items
    assert [(m.id, m.seq) for m in stored] == [
        ("msg_1", 1),
        ("msg_2", 2),
        ("msg_3", 3),
        ("msg_5", 4),
    ]
    store.close()


def test_a_failed_unit_saves_nothing_it_held(path: Path) -> None:
    store = open_store(path)
    with pytest.raises(RuntimeError), store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("u1"))
        uow.insert_messages([message(1)])
        raise RuntimeError("rolled back")
    with store.unit_of_work(PROJECT) as uow:
        assert uow.get_user("u1") is None
        stored = uow.insert_messages([message(2)])
    assert [m.seq for m in stored] == [1]
    store.close()
