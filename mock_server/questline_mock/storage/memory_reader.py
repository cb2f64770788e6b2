"""Read access to one in-memory project: every query an index lookup or a bisection.

The caller (memory.MemoryStorage) holds the store lock around the reader's use. Each
record returned is unpickled afresh, so it is the caller's own copy; definitions alone are
kept unpickled and shared, read-only (see ``Reader``).
"""

from __future__ import annotations

import bisect
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ..domain import (
    JSON,
    BadgeState,
    Delivery,
    EventRecord,
    IdempotencyRecord,
    LeaderboardEntry,
    LedgerEntry,
    OutboxMessage,
    QuestState,
    StreakState,
    Trace,
    User,
    WebhookEndpoint,
)
from ..ids import compact
from ._common import (
    MISSING,
    check_limit,
    decode_cursor,
    encode_cursor,
    exact_sum,
    from_us,
    lookup,
    numeric_value,
    property_path,
    to_us,
)
from .base import EventFilter, Page, RankedEntry, Reader
from .memory_state import (
    EventRow,
    MessageRun,
    ProjectState,
    by_occurred,
    by_seq,
    event_rest,
    ledger_entry,
    unpack,
    user_record,
)

R = TypeVar("R")
T = TypeVar("T")


def _paginate(rows: Iterable[tuple[int, R]], limit: int, convert: Callable[[R], T]) -> Page[T]:
    """A page from ``(seq, row)`` pairs in listing order; reads one row past the limit."""
    taken = list(itertools.islice(rows, check_limit(limit) + 1))
    more = len(taken) > limit
    taken = taken[:limit]
    return Page([convert(row) for _, row in taken], encode_cursor(taken[-1][0]) if more else None)


def _newest_first(rows: list[Any], before: int | None) -> Iterator[tuple[int, Any]]:
    """Rows of a seq-ordered list from newest, those with ``seq < before``."""
    end = len(rows) if before is None else bisect.bisect_left(rows, before, key=by_seq)
    for index in range(end - 1, -1, -1):
        yield rows[index].seq, rows[index]


def _oldest_first(rows: list[Any], after: int | None) -> Iterator[tuple[int, Any]]:
    start = 0 if after is None else bisect.bisect_right(rows, after, key=by_seq)
    for index in range(start, len(rows)):
        yield rows[index].seq, rows[index]


def _event(row: EventRow) -> EventRecord:
    received_at, status, result, rules, actions, trace = event_rest(row)
    return EventRecord(
        id=row.id,
        event_id=row.event_id,
        user_id=row.user_id,
        type=row.type,
        properties=unpack(row.props),
        occurred_at=from_us(row.occurred_us),
        received_at=from_us(received_at),
        status=status,
        result=result,
        rules_triggered=rules,
        actions_executed=actions,
        trace=Trace(row.plan, trace),
    )


def _messages_after(runs: Any, after: int | None) -> Iterator[tuple[int, tuple[Any, int]]]:
    """``(seq, (run, index))`` of every message in seq-ordered ``runs`` with ``seq > after``."""
    start = 0
    if after is not None:  # the run holding after + 1, or the first one past it
        start = max(0, bisect.bisect_right(runs, after + 1, key=by_seq) - 1)
    for run in itertools.islice(runs, start, None):
        first = 0 if after is None else max(0, after + 1 - run.seq)
        for i in range(first, len(run)):
            yield run.seq + i, (run, i)


def _message(found: tuple[MessageRun, int]) -> OutboxMessage:
    return found[0].message(found[1])


def _board_entry(lb: str, period: str, key: tuple[float, int, str]) -> LeaderboardEntry:
    return LeaderboardEntry(lb, period, key[2], -key[0], from_us(key[1]))


def _due_before(index: Any, moment: datetime, limit: int) -> list[Any]:
    """Keys ``(us, …)`` of a sorted index with ``us <= moment``, soonest first."""
    end = index.bisect_left((to_us(moment) + 1,))
    return list(index.islice(0, min(end, max(limit, 0))))


class MemoryReader(Reader):
    def __init__(self, state: ProjectState) -> None:
        self._p = state

    # -- users ---------------------------------------------------------------------------
    def get_user(self, user_id: str) -> User | None:
        row = self._p.users.get(user_id)
        return user_record(row) if row else None

    def list_users(self, limit: int, cursor: str | None = None) -> Page[User]:
        after = decode_cursor(cursor)
        seqs = self._p.user_order.irange(minimum=after, inclusive=(after is None, True))
        return _paginate(
            ((seq, self._p.user_order[seq]) for seq in seqs),
            limit,
            lambda uid: user_record(self._p.users[uid]),
        )

    # -- definitions ---------------------------------------------------------------------
    def get_definition(self, kind: str, definition_id: str) -> JSON | None:
        row = self._p.defs.get((kind, definition_id))
        return row.document if row else None

    def list_definitions(
        self, kind: str, limit: int | None = None, cursor: str | None = None
    ) -> Page[JSON]:
        order = self._p.def_order.get(kind)
        if not order and cursor is None:  # a kind never defined (asked on every event)
            return Page([], None)
        after = decode_cursor(cursor)
        rows: Iterable[tuple[int, str]] = ()
        if order:
            seqs = order.irange(after, inclusive=(after is None, True))
            rows = ((seq, order[seq]) for seq in seqs)
        convert: Callable[[str], JSON] = lambda did: self._p.defs[(kind, did)].document  # noqa: E731
        if limit is None:
            return Page([convert(did) for _, did in rows], None)
        return _paginate(rows, limit, convert)

    def rules_for_event_type(self, event_type: str) -> Sequence[JSON]:
        p = self._p
        version, sets = p.rule_sets
        if version != p.rules_version:
            version, sets = p.rule_sets = (p.rules_version, {})
        found = sets.get(event_type)
        if found is None:
            order = p.rules_by_trigger.get(event_type) or {}
            found = sets[event_type] = tuple(
                p.defs[("rules", rid)].document for rid in order.values()
            )
        return found

    def get_levels(self) -> JSON | None:
        levels: JSON | None = self._p.levels
        return levels

    # -- events --------------------------------------------------------------------------
    def get_event(self, id: str) -> EventRecord | None:
        row = self._p.events.get(id)
        return _event(row) if row else None

    def get_event_by_event_id(self, event_id: str) -> EventRecord | None:
        row = self._p.events_by_event_id.get(event_id)
        return _event(row) if row else None

    def list_events(
        self, filter: EventFilter, limit: int, cursor: str | None = None
    ) -> Page[EventRecord]:
        before = decode_cursor(cursor)
        p = self._p
        rows: Iterator[tuple[int, EventRow]]
        if filter.user_id is not None and filter.type is not None:
            rows = _newest_first(p.ev_by_user_type.get((filter.user_id, filter.type), []), before)
        elif filter.user_id is not None:
            rows = _newest_first(p.ev_by_user.get(filter.user_id, []), before)
        else:
            index = p.ev_all if filter.type is None else p.ev_by_type.get(filter.type, [])
            rows = _newest_first(index, before)
        if filter.since is not None or filter.until is not None:
            # The order is insertion order, which no time index gives, so the time bounds
            # filter the walk (as SQLite does); it stops at the page's last match.
            low = -sys.maxsize if filter.since is None else to_us(filter.since)
            high = sys.maxsize if filter.until is None else to_us(filter.until)
            rows = (pair for pair in rows if low <= pair[1].occurred_us < high)
        return _paginate(rows, limit, _event)

    def aggregate_events(
        self,
        user_id: str,
        event_type: str,
        since: datetime,
        until: datetime,
        property: str | None = None,
    ) -> tuple[int, float]:
        rows = self._p.ev_time.get((user_id, event_type), [])
        start = bisect.bisect_left(rows, to_us(since), key=by_occurred)
        end = bisect.bisect_right(rows, to_us(until), key=by_occurred)
        if end <= start:
            return 0, 0.0
        if property is None:
            return end - start, 0.0
        path = property_path(property)
        values = (lookup(unpack(rows[i].props), path) for i in range(start, end))
        return end - start, exact_sum(numeric_value(v) for v in values if v is not MISSING)

    # -- ledger --------------------------------------------------------------------------
    def list_ledger(self, user_id: str, limit: int, cursor: str | None = None) -> Page[LedgerEntry]:
        rows = _newest_first(self._p.ledger.get(user_id, []), decode_cursor(cursor))
        return _paginate(rows, limit, lambda row: ledger_entry(user_id, row))

    def ledger_sum(self, user_id: str, currency: str) -> int:
        return self._p.ledger_sums.get(user_id, {}).get(currency, 0)

    # -- progress ------------------------------------------------------------------------
    def get_badge_state(self, user_id: str, badge_id: str) -> BadgeState | None:
        blob = self._p.badges.get(user_id, {}).get(badge_id)
        return unpack(blob) if blob else None

    def list_badge_states(self, user_id: str) -> list[BadgeState]:
        states = self._p.badges.get(user_id, {})
        return [unpack(states[key]) for key in sorted(states)]

    def get_quest_state(self, user_id: str, quest_id: str) -> QuestState | None:
        blob = self._p.quests.get(user_id, {}).get(quest_id)
        return unpack(blob) if blob else None

    def list_quest_states(self, user_id: str) -> list[QuestState]:
        states = self._p.quests.get(user_id, {})
        return [unpack(states[key]) for key in sorted(states)]

    def get_streak_state(self, user_id: str, streak_id: str) -> StreakState | None:
        row = self._p.streaks.get(user_id, {}).get(streak_id)
        return unpack(row.blob) if row else None

    def list_streak_states(self, user_id: str) -> list[StreakState]:
        states = self._p.streaks.get(user_id, {})
        return [unpack(states[key].blob) for key in sorted(states)]

    def streaks_expiring_by(self, moment: datetime, limit: int) -> list[StreakState]:
        keys = _due_before(self._p.streak_expiry, moment, limit)
        return [unpack(self._p.streaks[user][streak].blob) for _, user, streak in keys]

    # -- leaderboards --------------------------------------------------------------------
    def get_leaderboard_entry(
        self, leaderboard_id: str, period_key: str, user_id: str
    ) -> LeaderboardEntry | None:
        board = self._p.boards.get((leaderboard_id, period_key))
        key = board.by_user.get(user_id) if board else None
        return _board_entry(leaderboard_id, period_key, key) if key else None

    def rank_of(self, leaderboard_id: str, period_key: str, user_id: str) -> RankedEntry | None:
        board = self._p.boards.get((leaderboard_id, period_key))
        key = board.by_user.get(user_id) if board else None
        if board is None or key is None:
            return None
        return RankedEntry(board.rank_of_key(key), _board_entry(leaderboard_id, period_key, key))

    def rankings(
        self, leaderboard_id: str, period_key: str, offset: int, limit: int
    ) -> list[RankedEntry]:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        board = self._p.boards.get((leaderboard_id, period_key))
        if board is None or limit <= 0:
            return []
        ranked: list[RankedEntry] = []
        previous: tuple[float, int, str] | None = None
        for position, key in enumerate(board.order.islice(offset, offset + limit), offset):
            if previous is None:
                rank = board.rank_of_key(key)
            elif key[0] != previous[0]:
                rank = position + 1  # everyone before it scored strictly more
            ranked.append(RankedEntry(rank, _board_entry(leaderboard_id, period_key, key)))
            previous = key
        return ranked

    def leaderboard_size(self, leaderboard_id: str, period_key: str) -> int:
        board = self._p.boards.get((leaderboard_id, period_key))
        return len(board.order) if board else 0

    # -- idempotency ---------------------------------------------------------------------
    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        row = self._p.idempotency.get(key)
        return unpack(row[1]) if row else None

    # -- webhooks ------------------------------------------------------------------------
    def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        row = self._p.endpoints.get(endpoint_id)
        return unpack(row.blob) if row else None

    def list_webhook_endpoints(
        self, limit: int | None = None, cursor: str | None = None
    ) -> Page[WebhookEndpoint]:
        after = decode_cursor(cursor)
        order = self._p.endpoint_order
        if not order:  # the outbox asks on every event; most projects have none
            return Page([], None)
        rows = ((seq, order[seq]) for seq in order.irange(after, inclusive=(after is None, True)))
        convert: Callable[[str], WebhookEndpoint] = lambda eid: unpack(self._p.endpoints[eid].blob)  # noqa: E731
        if limit is None:
            return Page([convert(eid) for _, eid in rows], None)
        return _paginate(rows, limit, convert)

    def get_message(self, message_id: str) -> OutboxMessage | None:
        key = compact(message_id, "msg")
        run = self._p.messages.get(key)
        return None if run is None else run.message(run.index_of(key))

    def newest_message_seq(self) -> int:
        runs = self._p.msg_all
        return runs[-1].seq + len(runs[-1]) - 1 if runs else 0

    def list_messages(
        self,
        limit: int,
        cursor: str | None = None,
        user_id: str | None = None,
        types: Sequence[str] | None = None,
        after_seq: int | None = None,
    ) -> Page[OutboxMessage]:
        bounds = [b for b in (decode_cursor(cursor), after_seq) if b is not None]
        after = max(bounds) if bounds else None
        runs = self._p.msg_all if user_id is None else self._p.msg_by_user.get(user_id, [])
        rows = _messages_after(runs, after)
        if types is not None:
            wanted = set(types)
            rows = (pair for pair in rows if pair[1][0].type_of(pair[1][1]) in wanted)
        return _paginate(rows, limit, _message)

    def get_delivery(self, message_id: str, endpoint_id: str) -> Delivery | None:
        row = self._p.deliveries.get((message_id, endpoint_id))
        return unpack(row.blob) if row else None

    def list_deliveries(
        self, endpoint_id: str | None = None, message_id: str | None = None
    ) -> list[Delivery]:
        p = self._p
        keys: Iterable[tuple[str, str]]
        if endpoint_id is not None:
            keys = p.dlv_by_endpoint.get(endpoint_id, {})
            if message_id is not None:
                keys = [k for k in keys if k[0] == message_id]
        elif message_id is not None:
            keys = p.dlv_by_message.get(message_id, {})
        else:
            keys = p.deliveries
        rows = sorted((p.deliveries[k] for k in keys), key=by_seq)
        return [unpack(row.blob) for row in rows]

    def due_deliveries(self, moment: datetime, limit: int) -> list[Delivery]:
        keys = _due_before(self._p.dlv_due, moment, limit)
        return [unpack(self._p.deliveries[(msg, ep)].blob) for _, msg, ep in keys]
