"""The durable backend: SQLite in WAL mode, one file for every project.

Durability: a unit of work is ``BEGIN IMMEDIATE`` … ``COMMIT`` in WAL mode, so once
``unit_of_work`` returns, the commit is in the WAL and survives ``kill -9``
(tests/unit/storage/test_storage_sqlite.py kills a writer to prove it). By default
``synchronous=NORMAL``: the WAL is fsynced at checkpoints, so an OS crash or power loss
may lose the last commits (never the file's integrity); ``synchronous="full"`` fsyncs
every commit and survives those too, at an fsync per write.

Concurrency: connections come from a small pool; a thread keeps the one it checked out for
the whole ``with`` block, and nested blocks on that thread reuse it (a nested unit of work
is a SAVEPOINT, so it fails alone, as in the memory backend). Writers in this process queue
on a lock before ``BEGIN IMMEDIATE`` instead of spinning in SQLite's busy handler; other
processes are waited for by ``busy_timeout``. Readers run in deferred transactions and,
thanks to WAL, never block or wait for the writer.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from ..domain import (
    JSON,
    BadgeState,
    Delivery,
    EventRecord,
    IdempotencyRecord,
    LeaderboardEntry,
    LedgerEntry,
    OutboxMessage,
    Project,
    QuestState,
    StreakState,
    User,
    WebhookEndpoint,
)
from ._common import rule_trigger, to_us
from .base import DuplicateEventId, ProjectNotFound, Reader, Storage, StorageError, UnitOfWork
from .sqlite_config import ConfigCache
from .sqlite_ranks import RankCache
from .sqlite_reader import GET_USER, SQLiteReader
from .sqlite_schema import (
    BADGE_COLUMNS,
    CONFIG_TABLES,
    DATA_TABLES,
    DELIVERY_COLUMNS,
    ENDPOINT_COLUMNS,
    EVENT_COLUMNS,
    IDEMPOTENCY_COLUMNS,
    LEDGER_COLUMNS,
    MESSAGE_COLUMNS,
    PROJECT_COLUMNS,
    QUEST_COLUMNS,
    STREAK_COLUMNS,
    SYNCHRONOUS,
    USER_COLUMNS,
    USER_TABLES,
    badge_row,
    connect,
    delivery_row,
    dumps,
    endpoint_row,
    event_row,
    idempotency_row,
    ledger_row,
    message_row,
    prepare,
    project_from,
    project_row,
    quest_row,
    streak_row,
    trace_plan,
    user_row,
)
from .sqlite_written import ABSENT, WrittenRows


def _marks(columns: str) -> str:
    return ", ".join("?" * (columns.count(",") + 1))


def _upsert(table: str, columns: str, key: str) -> str:
    """INSERT that updates in place on ``key`` (keeping the row's seq, hence its order)."""
    keys = {k.strip() for k in key.split(",")}
    updates = ", ".join(
        f"{c} = excluded.{c}" for c in (c.strip() for c in columns.split(",")) if c not in keys
    )
    return (
        f"INSERT INTO {table} (project_id, {columns}) VALUES (?, {_marks(columns)}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


def _replace(table: str, columns: str) -> str:
    return f"INSERT OR REPLACE INTO {table} (project_id, {columns}) VALUES (?, {_marks(columns)})"


_PUT_USER = _upsert("users", USER_COLUMNS, "project_id, id")
_PUT_DEFINITION = _upsert("definitions", "kind, id, doc, trigger_type", "project_id, kind, id")
_PUT_ENDPOINT = _upsert("webhook_endpoints", ENDPOINT_COLUMNS, "project_id, id")
_PUT_DELIVERY = _upsert("deliveries", DELIVERY_COLUMNS, "project_id, message_id, endpoint_id")
_INSERT_EVENT = (
    f"INSERT INTO events (project_id, {EVENT_COLUMNS}) VALUES (?, {_marks(EVENT_COLUMNS)})"
)
_INSERT_PLAN = "INSERT OR IGNORE INTO trace_plans (project_id, key, doc) VALUES (?, ?, ?)"
_INSERT_LEDGER = (
    f"INSERT INTO ledger (project_id, {LEDGER_COLUMNS}) VALUES (?, {_marks(LEDGER_COLUMNS)})"
)
_PUT_BADGE = _replace("badge_states", BADGE_COLUMNS)
_PUT_QUEST = _replace("quest_states", QUEST_COLUMNS)
_PUT_STREAK = _replace("streak_states", STREAK_COLUMNS)
_PUT_ENTRY = _replace(
    "leaderboard_entries", "leaderboard_id, period_key, user_id, score, reached_at"
)
_PUT_IDEMPOTENCY = _replace("idempotency", IDEMPOTENCY_COLUMNS)


# Messages written by one INSERT (7 parameters each, within SQLite's 32,766); a step with
# more, which no rule set produces in practice, writes them in several, in a savepoint.
MESSAGES_PER_INSERT = 1000


@functools.lru_cache(maxsize=64)
def _insert_messages_sql(count: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * count)
    return f"INSERT INTO messages (project_id, {MESSAGE_COLUMNS}) VALUES {values}"


_SET_MESSAGE_SEQ = "UPDATE projects SET message_seq = ? WHERE id = ?"
_GET_MESSAGE_SEQ = "SELECT message_seq FROM projects WHERE id = ?"

# What a unit of work may run while users and message counters wait unsaved
# (sqlite_written.py): statements that read neither the users table nor the counter. Any
# other statement saves them first. Reading a user by id, or the counter, is one of these:
# what waits to be saved is answered from what was written, never asked of SQL.
_IGNORE_UNSAVED = frozenset(
    {
        _INSERT_EVENT, _INSERT_PLAN, _INSERT_LEDGER, _PUT_BADGE, _PUT_QUEST, _PUT_STREAK,
        _PUT_ENTRY, _PUT_DELIVERY, GET_USER, _GET_MESSAGE_SEQ,
        *(_insert_messages_sql(n) for n in range(1, 17)),
    }
)  # fmt: skip


def _save(conn: sqlite3.Connection, written: WrittenRows) -> None:
    """Write what ``written`` holds unsaved: the users, then the message counters."""
    users, counters = written.take_unsaved()
    if users:
        conn.executemany(_PUT_USER, [(p, *user_row(u)) for p, u in users])
    for project_id, seq in counters:
        conn.execute(_SET_MESSAGE_SEQ, (seq, project_id))


class _SQLiteUnitOfWork(SQLiteReader, UnitOfWork):
    def __init__(
        self,
        conn: sqlite3.Connection,
        project_id: str,
        ranks: RankCache,
        after_commit: Callable[[Callable[[], None]], None],
        config: ConfigCache,
        written: WrittenRows,
    ) -> None:
        super().__init__(conn, project_id, ranks, config)
        self._config_cache = config
        self._ranks_mirror = ranks
        self._after_commit = after_commit
        self._written = written

    def _q(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        if sql not in _IGNORE_UNSAVED and self._written.has_unsaved() and self._conn:
            _save(self._conn, self._written)
        return super()._q(sql, params)

    def _x(self, sql: str, *params: Any) -> sqlite3.Cursor:
        return self._q(sql, (self._p, *params))

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        """Several statements as one write: all of them or, if one raises, none."""
        self._q("SAVEPOINT write")
        try:
            yield
        except BaseException:
            self._q("ROLLBACK TO write")
            self._written.forget()
            raise
        finally:
            self._q("RELEASE write")

    def _boards_changed(self, change: Callable[[], None]) -> None:
        """Mirror a leaderboard change once it commits; until then rank from SQL."""
        self._ranks_dirty = True
        self._after_commit(change)

    # -- users ---------------------------------------------------------------------------
    def get_user(self, user_id: str) -> User | None:
        if self._conn is None:
            raise StorageError("this view of the store has ended")
        found = self._written.user(self._p, user_id)
        if found is ABSENT:
            return super().get_user(user_id)
        return found  # type: ignore[return-value]

    def put_user(self, user: User) -> None:
        if self._conn is None:
            raise StorageError("this view of the store has ended")
        self._written.put_user(self._p, user)  # saved once, when SQL next needs it

    def delete_user(self, user_id: str) -> None:
        self._x("DELETE FROM users WHERE project_id = ? AND id = ?", user_id)
        self._written.deleted_user(self._p, user_id)  # as the users table now says
        for table in USER_TABLES:
            self._x(f"DELETE FROM {table} WHERE project_id = ? AND user_id = ?", user_id)
        self._x(
            "DELETE FROM deliveries WHERE project_id = ?1 AND message_id IN "
            "(SELECT id FROM messages WHERE project_id = ?1 AND user_id = ?2)",
            user_id,
        )
        self._x("DELETE FROM messages WHERE project_id = ? AND user_id = ?", user_id)
        project, ranks = self._p, self._ranks_mirror
        self._boards_changed(lambda: ranks.drop_user(project, user_id))

    # -- definitions ---------------------------------------------------------------------
    def _config_changed(self) -> None:
        if self._conn is None:
            raise StorageError("this view of the store has ended")
        self._config_cache.changed(self._conn, self._p)

    def put_definition(self, kind: str, definition_id: str, document: JSON) -> None:
        trigger = rule_trigger(kind, document)
        self._x(_PUT_DEFINITION, kind, definition_id, dumps(document), trigger)
        self._config_changed()

    def delete_definition(self, kind: str, definition_id: str) -> None:
        self._x(
            "DELETE FROM definitions WHERE project_id = ? AND kind = ? AND id = ?",
            kind,
            definition_id,
        )
        self._config_changed()
        if kind == "leaderboards":
            self._x(
                "DELETE FROM leaderboard_entries WHERE project_id = ? AND leaderboard_id = ?",
                definition_id,
            )
            project, ranks = self._p, self._ranks_mirror
            self._boards_changed(lambda: ranks.drop_board(project, definition_id))

    def put_levels(self, document: JSON | None) -> None:
        if document is None:
            self._x("DELETE FROM levels WHERE project_id = ?")
        else:
            self._x(
                "INSERT OR REPLACE INTO levels (project_id, doc) VALUES (?, ?)", dumps(document)
            )
        self._config_changed()

    # -- events and ledger ---------------------------------------------------------------
    def insert_event(self, event: EventRecord) -> None:
        try:
            plan = trace_plan(event.trace)
            if plan is not None and self._written.plan_needed(self._p, plan[0]):
                self._x(_INSERT_PLAN, *plan)
            self._x(_INSERT_EVENT, *event_row(event, None if plan is None else plan[0]))
        except sqlite3.IntegrityError as exc:
            # A failed statement changes nothing and leaves the transaction open.
            if self.get_event_by_event_id(event.event_id) is not None:
                raise DuplicateEventId(event.event_id) from exc
            raise StorageError(f"event {event.id!r} already exists") from exc

    def insert_ledger(self, entry: LedgerEntry) -> None:
        self._x(_INSERT_LEDGER, *ledger_row(entry))

    # -- progress ------------------------------------------------------------------------
    def put_badge_state(self, state: BadgeState) -> None:
        self._x(_PUT_BADGE, *badge_row(state))

    def put_quest_state(self, state: QuestState) -> None:
        self._x(_PUT_QUEST, *quest_row(state))

    def put_streak_state(self, state: StreakState) -> None:
        self._x(_PUT_STREAK, *streak_row(state))

    def put_leaderboard_entry(self, entry: LeaderboardEntry) -> None:
        self._x(
            _PUT_ENTRY,
            entry.leaderboard_id,
            entry.period_key,
            entry.user_id,
            float(entry.score),
            to_us(entry.reached_at),
        )
        project, ranks, kept = self._p, self._ranks_mirror, dataclasses.replace(entry)
        self._boards_changed(lambda: ranks.put(project, kept))

    # -- idempotency ---------------------------------------------------------------------
    def put_idempotency(self, record: IdempotencyRecord) -> None:
        self._x(_PUT_IDEMPOTENCY, *idempotency_row(record))

    def delete_idempotency(self, key: str) -> None:
        self._x("DELETE FROM idempotency WHERE project_id = ? AND key = ?", key)

    def purge_idempotency(self, before: datetime) -> int:
        cursor = self._x(
            "DELETE FROM idempotency WHERE project_id = ? AND created_at < ?", to_us(before)
        )
        return cursor.rowcount

    # -- webhooks ------------------------------------------------------------------------
    def put_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._x(_PUT_ENDPOINT, *endpoint_row(endpoint))
        self._config_changed()

    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        self._x("DELETE FROM deliveries WHERE project_id = ? AND endpoint_id = ?", endpoint_id)
        self._x("DELETE FROM webhook_endpoints WHERE project_id = ? AND id = ?", endpoint_id)
        self._config_changed()

    def insert_message(self, message: OutboxMessage) -> OutboxMessage:
        return self.insert_messages([message])[0]

    def insert_messages(self, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        if len(messages) <= MESSAGES_PER_INSERT:
            return self._insert_messages(messages)
        with self._savepoint():  # more than one statement can carry: all or none
            return [
                stored
                for start in range(0, len(messages), MESSAGES_PER_INSERT)
                for stored in self._insert_messages(messages[start : start + MESSAGES_PER_INSERT])
            ]

    def _insert_messages(self, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        """One statement, so all or none: a duplicate id changes nothing, the counter
        included. The counter moves in SQL when the transaction next needs it (``_save``)."""
        if not messages:
            return []
        last = self._written.message_seq(self._p)
        if last is None:
            (last,) = self._q(_GET_MESSAGE_SEQ, (self._p,)).fetchone()
        params: list[Any] = []
        for seq, m in enumerate(messages, last + 1):
            params += (self._p, *message_row(m), seq)
        try:
            self._q(_insert_messages_sql(len(messages)), params)
        except sqlite3.IntegrityError as exc:
            raise StorageError(f"a message id among {[m.id for m in messages]} exists") from exc
        self._written.moved_message_seq(self._p, last + len(messages))
        return [m.with_seq(seq) for seq, m in enumerate(messages, last + 1)]

    def put_delivery(self, delivery: Delivery) -> None:
        self._x(_PUT_DELIVERY, *delivery_row(delivery))


class SQLiteStorage(Storage):
    """Every project in one SQLite file at ``path``; committed work survives the process
    being killed (and, with ``synchronous="full"``, an OS crash or power loss too)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 30_000,
        pool_size: int = 8,
        synchronous: str = "normal",
    ) -> None:
        self.path = os.fspath(path)
        self._busy_timeout_ms = busy_timeout_ms
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}, not {synchronous!r}")
        self._synchronous = synchronous
        self._pool_size = pool_size
        self._idle: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._savepoints = itertools.count(1)
        self._closed = False
        self._ranks = RankCache(self._load_board)
        self._config = ConfigCache()
        self._written = WrittenRows()
        conn = self._open()
        try:
            prepare(conn)
        except BaseException:
            conn.close()
            raise
        self._idle.append(conn)

    # -- connections ---------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        return connect(self.path, self._busy_timeout_ms, self._synchronous)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection: the one it already holds, else one from the pool."""
        held: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._pool_lock:
            if self._closed:
                raise StorageError("the store is closed")
            conn = self._idle.pop() if self._idle else None
        conn = conn or self._open()
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None
            if conn.in_transaction:  # only if ending the transaction itself failed
                conn.rollback()
            with self._pool_lock:
                keep = not self._closed and len(self._idle) < self._pool_size
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    def _load_board(self, key: tuple[str, str, str]) -> list[tuple[str, float, int]]:
        """A board period as last committed, on a connection of its own (so never from
        the snapshot of whichever transaction asked)."""
        conn = self._open()
        try:
            rows = conn.execute(
                "SELECT user_id, score, reached_at FROM leaderboard_entries "
                "WHERE project_id = ? AND leaderboard_id = ? AND period_key = ?",
                key,
            ).fetchall()
        finally:
            conn.close()
        return [(user_id, float(score), int(reached)) for user_id, score, reached in rows]

    def _after_commit(self, change: Callable[[], None]) -> None:
        """Run ``change`` when this thread's outermost transaction commits (not at all if
        it rolls back)."""
        self._local.after_commit[-1].append(change)

    def _forget(self) -> None:
        """What this thread knew in its transaction: versions, rows it wrote."""
        self._config.forget()
        self._written.forget()

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """A transaction, or a savepoint inside this thread's open one.

        A read inside an open transaction just joins it (it sees that transaction's writes).
        Whatever ends the block, the transaction is ended: committed on success, rolled back
        when the block raised (a read is committed either way: it wrote nothing).
        """
        with self._connection() as conn:
            if not write and conn.in_transaction:
                _save(conn, self._written)  # it reads what its transaction wrote
                yield conn
                return
            with self._write_lock if write else nullcontext():
                if conn.in_transaction:
                    name = f"uow{next(self._savepoints)}"
                    begin, commit = f"SAVEPOINT {name}", f"RELEASE {name}"
                    rollback = [f"ROLLBACK TO {name}", f"RELEASE {name}"]
                else:
                    begin, commit = ("BEGIN IMMEDIATE" if write else "BEGIN"), "COMMIT"
                    rollback = ["ROLLBACK"]
                pending: list[list[Callable[[], None]]] = self._local.__dict__.setdefault(
                    "after_commit", []
                )
                pending.append([])
                if conn.in_transaction:
                    _save(conn, self._written)  # a rollback to it keeps what came before
                else:
                    self._forget()
                conn.execute(begin)
                try:
                    yield conn
                except BaseException:
                    pending.pop()
                    self._forget()  # a rolled-back write may have moved a version
                    for statement in rollback if write else [commit]:
                        conn.execute(statement)
                    raise
                try:
                    _save(conn, self._written)
                    conn.execute(commit)
                finally:
                    changes = pending.pop()
                    if not pending:
                        self._forget()
                if pending:  # a savepoint: its changes wait for the enclosing commit
                    pending[-1].extend(changes)
                else:  # committed, and still under the write lock: in commit order
                    for change in changes:
                        change()

    def _require(self, conn: sqlite3.Connection, project_id: str) -> None:
        row = conn.execute(
            "SELECT config_version FROM projects WHERE id = ?", (project_id,)
        ).fetchone()
        if row is None:
            raise ProjectNotFound(project_id)
        self._config.seen(project_id, row[0])

    # -- projects ------------------------------------------------------------------------
    def create_project(self, project: Project) -> None:
        with self._transaction(write=True) as conn:
            try:
                conn.execute(
                    f"INSERT INTO projects ({PROJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    project_row(project),
                )
            except sqlite3.IntegrityError as exc:
                raise StorageError(f"project {project.id!r} or its api key exists") from exc

    def get_project(self, project_id: str) -> Project | None:
        with self._transaction(write=False) as conn:
            row = conn.execute(
                f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id = ?", (project_id,)
            ).fetchone()
        return project_from(row) if row else None

    def get_project_by_key(self, api_key: str) -> Project | None:
        with self._transaction(write=False) as conn:
            row = conn.execute(
                f"SELECT {PROJECT_COLUMNS} FROM projects WHERE api_key = ?", (api_key,)
            ).fetchone()
        return project_from(row) if row else None

    def list_projects(self) -> list[Project]:
        with self._transaction(write=False) as conn:
            rows = conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects ORDER BY id").fetchall()
        return [project_from(r) for r in rows]

    def save_project(self, project: Project) -> None:
        with self._transaction(write=True) as conn:
            try:
                cursor = conn.execute(
                    "UPDATE projects SET api_key = ?, created_at = ?, clock_offset_seconds = ?, "
                    "clock_frozen_at = ? WHERE id = ?",
                    (*project_row(project)[1:], project.id),
                )
            except sqlite3.IntegrityError as exc:
                raise StorageError("api key already in use") from exc
            if cursor.rowcount == 0:
                raise ProjectNotFound(project.id)

    def reset_project(self, project_id: str, keep_config: bool = False) -> None:
        if getattr(self._local, "conn", None) is not None:
            raise StorageError("reset_project inside a unit of work")
        with self._transaction(write=True) as conn:
            self._require(conn, project_id)
            for table in DATA_TABLES + (() if keep_config else CONFIG_TABLES):
                conn.execute(f"DELETE FROM {table} WHERE project_id = ?", (project_id,))
            if not keep_config:
                self._config.changed(conn, project_id)
            self._after_commit(lambda: self._ranks.drop_project(project_id))

    # -- units of work -------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self, project_id: str) -> Iterator[UnitOfWork]:
        with self._transaction(write=True) as conn:
            self._require(conn, project_id)
            uow = _SQLiteUnitOfWork(
                conn, project_id, self._ranks, self._after_commit, self._config, self._written
            )
            try:
                yield uow
            finally:
                uow._end()

    @contextmanager
    def read(self, project_id: str) -> Iterator[Reader]:
        with self._transaction(write=False) as conn:
            self._require(conn, project_id)
            reader = SQLiteReader(conn, project_id, self._ranks, self._config)
            try:
                yield reader
            finally:
                reader._end()

    def close(self) -> None:
        """Close the idle connections now and the busy ones as they come back."""
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
