"""The in-memory backend (the server's default): every project in dicts and sorted indexes.

One store-wide re-entrant lock is held for a whole unit of work and for a ``read()``, which
gives the interface's "one writer at a time" and consistent reads with no further locking.
A unit of work writes in place and logs the inverse of each write (see memory_state); if
the ``with`` block raises, the log is undone in reverse. A nested unit of work (same thread)
shares the outer log from a mark, so it behaves like a SQL savepoint: its failure undoes
only its own writes, and the outer failure undoes everything.

Every read returns a fresh copy and every write stores one, so callers never share state
with the store. Objects handed out by ``read()``/``unit_of_work()`` are valid only inside
their ``with`` block.
"""

from __future__ import annotations

import functools
import itertools
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sortedcontainers import SortedDict  # type: ignore[import-untyped]

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
from ..ids import compact, expand
from ._common import rule_trigger, to_us
from .base import DuplicateEventId, ProjectNotFound, Reader, Storage, StorageError, UnitOfWork
from .memory_reader import MemoryReader
from .memory_state import (
    RULE_VERSIONS,
    Board,
    DefinitionRow,
    EventRow,
    ExpiringRow,
    MessageRun,
    OrderedRow,
    PendingEvent,
    ProjectState,
    UndoLog,
    bucket,
    by_occurred,
    copied,
    freeze,
    ledger_row,
    log_add,
    log_append,
    log_del,
    log_extend,
    log_insort,
    log_remove,
    log_set,
    log_setattr,
    pack,
    pack_plain,
    seal,
    undo,
    unpack,
    user_row,
)

P = ParamSpec("P")
R = TypeVar("R")


def _atomic(
    write: Callable[Concatenate[_MemoryUnitOfWork, P], R],
) -> Callable[Concatenate[_MemoryUnitOfWork, P], R]:
    """A write happens whole or not at all, like one SQL statement: if it raises half-way
    (DuplicateEventId, a record that will not pickle), what it already did is undone and
    the unit of work can go on."""

    @functools.wraps(write)
    def apply(self: _MemoryUnitOfWork, /, *args: P.args, **kwargs: P.kwargs) -> R:
        log = self._w()
        mark = len(log)
        try:
            return write(self, *args, **kwargs)
        except BaseException:
            undo(log, mark)
            raise

    return apply


def _without(rows: list[Any], user_id: str) -> list[Any]:
    """A seq-ordered list of rows (events, message runs) without one user's."""
    return [row for row in rows if row.user_id != user_id]


class _MemoryUnitOfWork(MemoryReader, UnitOfWork):
    def __init__(self, state: ProjectState, log: UndoLog, pending: list[EventRow]) -> None:
        super().__init__(state)
        self._log: UndoLog | None = log
        # Event rows inserted in the outermost unit of work, sealed when it commits.
        self._pending = pending
        # The last event inserted: (row, its result), so that the message repeating that
        # result (event.processed) is kept as a reference to the event's record.
        self._last_event: tuple[EventRow, JSON] | None = None
        self._last_run: MessageRun | None = None  # the run the next message may join

    def _w(self) -> UndoLog:
        """The undo log, or an error once the ``with`` block has ended."""
        if self._log is None:
            raise StorageError("this unit of work has ended")
        return self._log

    # -- users ---------------------------------------------------------------------------
    @_atomic
    def put_user(self, user: User) -> None:
        log, p = self._w(), self._p
        row = p.users.get(user.id)
        seq = row.seq if row else p.next_seq()
        if row is None:
            log_set(log, p.user_order, seq, user.id)
        log_set(log, p.users, user.id, user_row(seq, user))

    @_atomic
    def delete_user(self, user_id: str) -> None:
        log, p = self._w(), self._p
        row = p.users.get(user_id)
        if row is not None:
            log_del(log, p.users, user_id)
            log_del(log, p.user_order, row.seq)
        types: set[str] = set()
        theirs = p.ev_by_user.get(user_id, [])
        for event in theirs:
            log_del(log, p.events, event.id)
            log_del(log, p.events_by_event_id, event.event_id)
            types.add(event.type)
        if theirs:  # the seq-ordered lists are rebuilt without them: one pass each
            log_setattr(log, p, "ev_all", _without(p.ev_all, user_id))
            for event_type in types:
                log_set(log, p.ev_by_type, event_type, _without(p.ev_by_type[event_type], user_id))
        log_del(log, p.ev_by_user, user_id)
        for event_type in types:
            log_del(log, p.ev_by_user_type, (user_id, event_type))
            log_del(log, p.ev_time, (user_id, event_type))
        for table in (p.ledger, p.ledger_sums, p.badges, p.quests):
            log_del(log, table, user_id)
        for streak in p.streaks.get(user_id, {}).values():
            if streak.due is not None:
                log_remove(log, p.streak_expiry, streak.due)
        log_del(log, p.streaks, user_id)
        for board_key in p.user_boards.get(user_id, ()):
            board = p.boards[board_key]
            log_remove(log, board.order, board.by_user[user_id])
            log_del(log, board.by_user, user_id)
        log_del(log, p.user_boards, user_id)
        runs = p.msg_by_user.get(user_id, [])
        if runs:
            log_setattr(log, p, "msg_all", _without(p.msg_all, user_id))
        for run in runs:
            for message_key in run.items[::3]:
                log_del(log, p.messages, message_key)
                for key in list(p.dlv_by_message.get(expand(message_key, "msg"), {})):
                    self._drop_delivery(log, key)
        log_del(log, p.msg_by_user, user_id)

    # -- definitions ---------------------------------------------------------------------
    @_atomic
    def put_definition(self, kind: str, definition_id: str, document: JSON) -> None:
        log, p = self._w(), self._p
        row = p.defs.get((kind, definition_id))
        trigger = rule_trigger(kind, document)
        if kind == "rules":
            log_setattr(log, p, "rules_version", next(RULE_VERSIONS))
        if row is None:
            seq = p.next_seq()
            log_set(log, bucket(log, p.def_order, kind, SortedDict), seq, definition_id)
        else:
            seq = row.seq
            if row.trigger is not None and row.trigger != trigger:
                log_del(log, p.rules_by_trigger[row.trigger], seq)
        if trigger is not None and (row is None or row.trigger != trigger):
            log_set(log, bucket(log, p.rules_by_trigger, trigger, SortedDict), seq, definition_id)
        log_set(log, p.defs, (kind, definition_id), DefinitionRow(seq, trigger, copied(document)))

    @_atomic
    def delete_definition(self, kind: str, definition_id: str) -> None:
        log, p = self._w(), self._p
        row = p.defs.get((kind, definition_id))
        if row is not None:
            if kind == "rules":
                log_setattr(log, p, "rules_version", next(RULE_VERSIONS))
            log_del(log, p.defs, (kind, definition_id))
            log_del(log, p.def_order[kind], row.seq)
            if row.trigger is not None:
                log_del(log, p.rules_by_trigger[row.trigger], row.seq)
        if kind == "leaderboards":
            for period in p.board_periods.get(definition_id, ()):
                for user_id in p.boards[(definition_id, period)].by_user:
                    log_remove(log, p.user_boards[user_id], (definition_id, period))
                log_del(log, p.boards, (definition_id, period))
            log_del(log, p.board_periods, definition_id)

    @_atomic
    def put_levels(self, document: JSON | None) -> None:
        log_setattr(self._w(), self._p, "levels", None if document is None else copied(document))

    # -- events and ledger ---------------------------------------------------------------
    @_atomic
    def insert_event(self, event: EventRecord) -> None:
        log, p = self._w(), self._p
        if event.event_id in p.events_by_event_id:
            raise DuplicateEventId(event.event_id)
        if event.id in p.events:
            raise StorageError(f"event {event.id!r} already exists")
        # Interned: the user id and type are shared by many rows and index keys.
        user_id, event_type = sys.intern(event.user_id), sys.intern(event.type)
        # The time as microseconds: a datetime's zone pickles slowly, an int at once. The
        # trace's plan is shared between events (and immutable): kept by reference.
        rest = (
            to_us(event.received_at),
            event.status,
            event.result,
            event.rules_triggered,
            event.actions_executed,
            event.trace.outcomes,
        )
        row = EventRow(
            p.next_seq(),
            event.id,
            event.event_id,
            user_id,
            event_type,
            to_us(event.occurred_at),
            pack_plain(event.properties),
            # The result, trace and executed actions are read back only for a replay or a
            # GET of the event: compressed (with the step's messages) when the unit of
            # work ends, they take a fraction of the memory.
            PendingEvent(pack_plain(rest)),
            event.trace.plan,
        )
        log_set(log, p.events, row.id, row)
        log_set(log, p.events_by_event_id, row.event_id, row)
        log_append(log, p.ev_all, row)  # seqs only grow: appending keeps the order
        log_append(log, bucket(log, p.ev_by_type, event_type, list), row)
        log_append(log, bucket(log, p.ev_by_user, user_id, list), row)
        pair = (user_id, event_type)
        log_append(log, bucket(log, p.ev_by_user_type, pair, list), row)
        log_insort(log, bucket(log, p.ev_time, pair, list), row, by_occurred)
        self._last_event = (row, event.result)
        self._pending.append(row)

    @_atomic
    def insert_ledger(self, entry: LedgerEntry) -> None:
        log, p = self._w(), self._p
        row = ledger_row(p.next_seq(), entry)
        log_append(log, bucket(log, p.ledger, entry.user_id, list), row)
        sums = bucket(log, p.ledger_sums, entry.user_id, dict)
        log_set(log, sums, entry.currency, sums.get(entry.currency, 0) + entry.amount)

    # -- progress ------------------------------------------------------------------------
    @_atomic
    def put_badge_state(self, state: BadgeState) -> None:
        log = self._w()
        log_set(log, bucket(log, self._p.badges, state.user_id, dict), state.badge_id, pack(state))

    @_atomic
    def put_quest_state(self, state: QuestState) -> None:
        log = self._w()
        log_set(log, bucket(log, self._p.quests, state.user_id, dict), state.quest_id, pack(state))

    @_atomic
    def put_streak_state(self, state: StreakState) -> None:
        log, p = self._w(), self._p
        states = bucket(log, p.streaks, state.user_id, dict)
        old = states.get(state.streak_id)
        if old is not None and old.due is not None:
            log_remove(log, p.streak_expiry, old.due)
        due = None
        if state.status == "active" and state.expires_at is not None:
            due = (to_us(state.expires_at), state.user_id, state.streak_id)
            log_add(log, p.streak_expiry, due)
        log_set(log, states, state.streak_id, ExpiringRow(pack(state), due))

    @_atomic
    def put_leaderboard_entry(self, entry: LeaderboardEntry) -> None:
        log, p = self._w(), self._p
        board_key = (entry.leaderboard_id, entry.period_key)
        board = bucket(log, p.boards, board_key, Board)
        old = board.by_user.get(entry.user_id)
        if old is not None:
            log_remove(log, board.order, old)
        key = (-float(entry.score), to_us(entry.reached_at), entry.user_id)
        log_add(log, board.order, key)
        log_set(log, board.by_user, entry.user_id, key)
        log_add(log, bucket(log, p.user_boards, entry.user_id, set), board_key)
        log_add(log, bucket(log, p.board_periods, entry.leaderboard_id, set), entry.period_key)

    # -- idempotency ---------------------------------------------------------------------
    @_atomic
    def put_idempotency(self, record: IdempotencyRecord) -> None:
        log, p = self._w(), self._p
        self._drop_idempotency(log, record.key)
        created = to_us(record.created_at)
        log_add(log, p.idempotency_age, (created, record.key))
        log_set(log, p.idempotency, record.key, (created, pack(record)))

    @_atomic
    def delete_idempotency(self, key: str) -> None:
        self._drop_idempotency(self._w(), key)

    @_atomic
    def purge_idempotency(self, before: datetime) -> int:
        log, p = self._w(), self._p
        end = p.idempotency_age.bisect_left((to_us(before),))
        victims = list(p.idempotency_age.islice(0, end))
        for _, key in victims:
            self._drop_idempotency(log, key)
        return len(victims)

    def _drop_idempotency(self, log: UndoLog, key: str) -> None:
        row = self._p.idempotency.get(key)
        if row is not None:
            log_remove(log, self._p.idempotency_age, (row[0], key))
            log_del(log, self._p.idempotency, key)

    # -- webhooks ------------------------------------------------------------------------
    @_atomic
    def put_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        log, p = self._w(), self._p
        row = p.endpoints.get(endpoint.id)
        seq = row.seq if row else p.next_seq()
        if row is None:
            log_set(log, p.endpoint_order, seq, endpoint.id)
        log_set(log, p.endpoints, endpoint.id, OrderedRow(seq, pack(endpoint)))

    @_atomic
    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        log, p = self._w(), self._p
        row = p.endpoints.get(endpoint_id)
        if row is not None:
            log_del(log, p.endpoints, endpoint_id)
            log_del(log, p.endpoint_order, row.seq)
        for key in list(p.dlv_by_endpoint.get(endpoint_id, {})):
            self._drop_delivery(log, key)

    @_atomic
    def insert_message(self, message: OutboxMessage) -> OutboxMessage:
        return self._insert_messages((message,))[0]

    @_atomic
    def insert_messages(self, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        return self._insert_messages(messages)

    def _insert_messages(self, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        log, p = self._w(), self._p
        keys = [compact(m.id, "msg") for m in messages]
        taken: set[int | str] = set()
        for m, key in zip(messages, keys, strict=True):
            if key in p.messages or key in taken:
                raise StorageError(f"message {m.id!r} already exists")
            taken.add(key)
        first = p.message_seq + 1
        log_setattr(log, p, "message_seq", p.message_seq + len(messages))
        stored: list[OutboxMessage] = []
        run = self._last_run
        if run is not None and p.messages.get(run.items[0]) is not run:
            run = None  # its user was deleted since (here or in a nested unit): start anew
        for seq, key, m in zip(itertools.count(first), keys, messages):
            event, data = self._event_data(m, log)
            joins = (
                run is not None
                and m.user_id is not None
                and run.user_id == m.user_id
                and run.created_at == m.created_at
                and run.seq + len(run) == seq
                and (event is None or run.event is event)
            )
            if not joins:
                run = MessageRun(seq, m.user_id, m.created_at, event)
                log_append(log, p.msg_all, run)  # seqs only grow
                if run.user_id is not None:
                    log_append(log, bucket(log, p.msg_by_user, run.user_id, list), run)
            assert run is not None
            log_extend(log, run.items, (key, m.type, data))
            log_set(log, p.messages, key, run)
            # The caller's data, now stored frozen: changing it changes nothing stored.
            stored.append(m.with_seq(seq))
        self._last_run = run
        return stored

    def _event_data(self, m: OutboxMessage, log: UndoLog) -> tuple[EventRow | None, Any]:
        """Where ``m``'s data is kept: ``(event row, None)`` when it repeats the last event's
        stored result, ``(event row, index)`` when it rides in that event's pending record
        (a message about the event's user), else ``(None, frozen data)``."""
        if self._last_event is None or m.user_id is None:
            return None, freeze(m.data)
        row = self._last_event[0]
        if self._p.events.get(row.id) is not row:  # deleted since (here or in a nested unit)
            self._last_event = None
            return None, freeze(m.data)
        if self._repeats_result(m):
            return row, None
        pending = row.blob
        if row.user_id == m.user_id and isinstance(pending, PendingEvent):
            index = len(pending.messages)
            # Packed, not frozen: it is compressed with the record when the unit ends.
            log_append(log, pending.messages, pack_plain(m.data))
            return row, index
        return None, freeze(m.data)

    def _repeats_result(self, m: OutboxMessage) -> bool:
        """Whether ``m.data`` is exactly ``{"user_id": m.user_id, **result}`` of the last
        event, keys in that order: the same keys holding the very objects that were packed
        with the event a moment ago, in this unit of work (a step hands storage finished
        values and never changes them afterwards, so sharing is proof enough)."""
        assert self._last_event is not None
        result = self._last_event[1]
        data = m.data
        if len(data) != len(result) + 1:
            return False
        pairs = iter(data.items())
        key, user_id = next(pairs)
        if key != "user_id" or type(user_id) is not str or user_id != m.user_id:
            return False
        return all(
            k == key and v is value
            for (k, v), (key, value) in zip(pairs, result.items(), strict=True)
        )

    @_atomic
    def put_delivery(self, delivery: Delivery) -> None:
        log, p = self._w(), self._p
        key = (delivery.message_id, delivery.endpoint_id)
        old = p.deliveries.get(key)
        if old is not None and old.due is not None:
            log_remove(log, p.dlv_due, old.due)
        due = None
        if delivery.status == "pending" and delivery.next_attempt_at is not None:
            due = (to_us(delivery.next_attempt_at), *key)
            log_add(log, p.dlv_due, due)
        if old is None:
            log_set(log, bucket(log, p.dlv_by_endpoint, delivery.endpoint_id, dict), key, None)
            log_set(log, bucket(log, p.dlv_by_message, delivery.message_id, dict), key, None)
        seq = old.seq if old else p.next_seq()
        log_set(log, p.deliveries, key, ExpiringRow(pack(delivery), due, seq))

    def _drop_delivery(self, log: UndoLog, key: tuple[str, str]) -> None:
        p = self._p
        row = p.deliveries[key]
        if row.due is not None:
            log_remove(log, p.dlv_due, row.due)
        log_del(log, p.deliveries, key)
        log_del(log, p.dlv_by_endpoint[key[1]], key)
        log_del(log, p.dlv_by_message[key[0]], key)


class MemoryStorage(Storage):
    """Every project in process memory; fast, and gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._projects: dict[str, bytes] = {}
        self._by_key: dict[str, str] = {}
        self._states: dict[str, ProjectState] = {}
        # The undo log of the open unit of work; only the lock's holder touches it.
        self._log: UndoLog | None = None
        self._pending: list[EventRow] = []  # its event rows, sealed when it commits

    def _state(self, project_id: str) -> ProjectState:
        state = self._states.get(project_id)
        if state is None:
            raise ProjectNotFound(project_id)
        return state

    # -- projects ------------------------------------------------------------------------
    def create_project(self, project: Project) -> None:
        with self._lock:
            if project.id in self._projects:
                raise StorageError(f"project {project.id!r} already exists")
            if project.api_key in self._by_key:
                raise StorageError("api key already in use")
            self._projects[project.id] = pack(project)
            self._by_key[project.api_key] = project.id
            self._states[project.id] = ProjectState()

    def get_project(self, project_id: str) -> Project | None:
        with self._lock:
            blob = self._projects.get(project_id)
            return unpack(blob) if blob else None

    def get_project_by_key(self, api_key: str) -> Project | None:
        with self._lock:
            project_id = self._by_key.get(api_key)
            return None if project_id is None else unpack(self._projects[project_id])

    def list_projects(self) -> list[Project]:
        with self._lock:
            projects = [unpack(blob) for blob in self._projects.values()]
        return sorted(projects, key=lambda project: project.id)

    def save_project(self, project: Project) -> None:
        with self._lock:
            blob = self._projects.get(project.id)
            if blob is None:
                raise ProjectNotFound(project.id)
            holder = self._by_key.get(project.api_key)
            if holder is not None and holder != project.id:
                raise StorageError("api key already in use")
            del self._by_key[unpack(blob).api_key]
            self._by_key[project.api_key] = project.id
            self._projects[project.id] = pack(project)

    def reset_project(self, project_id: str, keep_config: bool = False) -> None:
        with self._lock:
            if self._log is not None:
                raise StorageError("reset_project inside a unit of work")
            self._states[project_id] = self._state(project_id).emptied(keep_config)

    # -- units of work -------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self, project_id: str) -> Iterator[UnitOfWork]:
        with self._lock:
            state = self._state(project_id)
            outer = self._log is None
            log: UndoLog = [] if self._log is None else self._log
            if outer:
                self._pending = []
            self._log = log
            mark = len(log)
            uow = _MemoryUnitOfWork(state, log, self._pending)
            try:
                yield uow
                if outer:
                    for row in self._pending:
                        seal(row, state.compression)
            except BaseException:
                undo(log, mark)
                raise
            finally:
                uow._log = None
                if outer:
                    self._log = None
                    self._pending = []

    @contextmanager
    def read(self, project_id: str) -> Iterator[Reader]:
        with self._lock:
            yield MemoryReader(self._state(project_id))

    def close(self) -> None:
        """Nothing to release; the data stays readable until the object is dropped."""
