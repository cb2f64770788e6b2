"""Read access to one project in SQLite: one indexed query per method.

A reader wraps the connection its ``read()``/``unit_of_work()`` checked out, for as long as
the ``with`` block lasts; after that it refuses to run (it would otherwise run outside any
transaction, on a connection another thread may be using).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Hashable, Sequence
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
    User,
    WebhookEndpoint,
)
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
from .base import EventFilter, Page, RankedEntry, Reader, StorageError
from .sqlite_config import ConfigCache
from .sqlite_ranks import RankCache
from .sqlite_schema import (
    BADGE_COLUMNS,
    DELIVERY_COLUMNS,
    ENDPOINT_COLUMNS,
    EVENT_SELECT,
    IDEMPOTENCY_COLUMNS,
    LEDGER_COLUMNS,
    MESSAGE_COLUMNS,
    QUEST_COLUMNS,
    STREAK_COLUMNS,
    USER_COLUMNS,
    badge_from,
    delivery_from,
    endpoint_from,
    event_from,
    idempotency_from,
    ledger_from,
    loads,
    message_from,
    quest_from,
    streak_from,
    user_from,
)

T = TypeVar("T")

# ``properties -> '$."a"."b"'`` (SQLite 3.38+) returns the value's JSON text exactly as stored,
# so big integers and floats reach numeric_value() unrounded, as in the memory backend.
_ARROW = sqlite3.sqlite_version_info >= (3, 38, 0)
# Object keys that can go inside a quoted JSON path label as they are.
_LABEL = re.compile(r'[^"\\\x00-\x1f]+')
_NO_LIMIT = -1  # SQLite: LIMIT -1 is no limit


def _page(rows: list[Any], limit: int, convert: Callable[[Any], T]) -> Page[T]:
    """A page from rows ``(seq, *columns)`` fetched with ``LIMIT limit + 1``."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([convert(r[1:]) for r in rows], encode_cursor(rows[-1][0]) if more else None)


def _json_path(segments: list[str]) -> str | None:
    if not _ARROW or not all(_LABEL.fullmatch(s) for s in segments):
        return None
    return "$" + "".join(f'."{s}"' for s in segments)


GET_USER = f"SELECT {USER_COLUMNS} FROM users WHERE project_id = ? AND id = ?"


class SQLiteReader(Reader):
    def __init__(
        self,
        conn: sqlite3.Connection,
        project_id: str,
        ranks: RankCache | None = None,
        config: ConfigCache | None = None,
    ) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._p = project_id
        self._config = config
        # Order statistics mirrored in the process (sqlite_ranks.py). A unit of work that
        # has changed a board reads ranks from SQL instead, so it sees its own writes.
        self._ranks = ranks
        self._ranks_dirty = False

    def _mirror(self) -> RankCache | None:
        return None if self._ranks_dirty else self._ranks

    def _q(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        if self._conn is None:
            raise StorageError("this view of the store has ended")
        return self._conn.execute(sql, params)

    def _end(self) -> None:
        self._conn = None

    # -- users ---------------------------------------------------------------------------
    def get_user(self, user_id: str) -> User | None:
        row = self._q(GET_USER, (self._p, user_id)).fetchone()
        return user_from(row) if row else None

    def list_users(self, limit: int, cursor: str | None = None) -> Page[User]:
        after = decode_cursor(cursor) or 0
        rows = self._q(
            f"SELECT seq, {USER_COLUMNS} FROM users WHERE project_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (self._p, after, check_limit(limit) + 1),
        ).fetchall()
        return _page(rows, limit, user_from)

    # -- definitions ---------------------------------------------------------------------
    def _configured(self, what: Hashable, load: Callable[[], T]) -> T:
        """``load()``, or what it gave at this configuration version (sqlite_config.py)."""
        if self._config is None:
            return load()
        conn = self._conn
        if conn is None:
            raise StorageError("this view of the store has ended")
        return self._config.get(self._p, self._config.version(conn, self._p), what, load)

    def get_definition(self, kind: str, definition_id: str) -> JSON | None:
        return self._configured(
            ("definition", kind, definition_id), lambda: self._definition(kind, definition_id)
        )

    def _definition(self, kind: str, definition_id: str) -> JSON | None:
        row = self._q(
            "SELECT doc FROM definitions WHERE project_id = ? AND kind = ? AND id = ?",
            (self._p, kind, definition_id),
        ).fetchone()
        return loads(row[0]) if row else None

    def list_definitions(
        self, kind: str, limit: int | None = None, cursor: str | None = None
    ) -> Page[JSON]:
        if limit is None and cursor is None:  # a processor's "all of them", on every event
            every = self._configured(("definitions", kind), lambda: self._all_definitions(kind))
            return Page(list(every), None)
        after = decode_cursor(cursor) or 0
        fetch = _NO_LIMIT if limit is None else check_limit(limit) + 1
        rows = self._q(
            "SELECT seq, doc FROM definitions WHERE project_id = ? AND kind = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (self._p, kind, after, fetch),
        ).fetchall()
        return _page(rows, len(rows) if limit is None else limit, lambda r: loads(r[0]))

    def _all_definitions(self, kind: str) -> tuple[JSON, ...]:
        rows = self._q(
            "SELECT doc FROM definitions WHERE project_id = ? AND kind = ? ORDER BY seq",
            (self._p, kind),
        )
        return tuple(loads(doc) for (doc,) in rows)

    def rules_for_event_type(self, event_type: str) -> Sequence[JSON]:
        return self._configured(("rules", event_type), lambda: self._rules_for(event_type))

    def _rules_for(self, event_type: str) -> tuple[JSON, ...]:
        rows = self._q(
            "SELECT doc FROM definitions WHERE project_id = ? AND trigger_type = ? ORDER BY seq",
            (self._p, event_type),
        )
        return tuple(loads(doc) for (doc,) in rows)

    def get_levels(self) -> JSON | None:
        return self._configured(("levels",), self._levels)

    def _levels(self) -> JSON | None:
        row = self._q("SELECT doc FROM levels WHERE project_id = ?", (self._p,)).fetchone()
        return loads(row[0]) if row else None

    # -- events --------------------------------------------------------------------------
    def get_event(self, id: str) -> EventRecord | None:
        row = self._q(
            f"SELECT {EVENT_SELECT} FROM events WHERE project_id = ? AND id = ?", (self._p, id)
        ).fetchone()
        return event_from(row) if row else None

    def get_event_by_event_id(self, event_id: str) -> EventRecord | None:
        row = self._q(
            f"SELECT {EVENT_SELECT} FROM events WHERE project_id = ? AND event_id = ?",
            (self._p, event_id),
        ).fetchone()
        return event_from(row) if row else None

    def list_events(
        self, filter: EventFilter, limit: int, cursor: str | None = None
    ) -> Page[EventRecord]:
        where = ["project_id = ?"]
        args: list[Any] = [self._p]
        for clause, value in (
            ("user_id = ?", filter.user_id),
            ("type = ?", filter.type),
            ("occurred_at >= ?", None if filter.since is None else to_us(filter.since)),
            ("occurred_at < ?", None if filter.until is None else to_us(filter.until)),
            ("seq < ?", decode_cursor(cursor)),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        rows = self._q(
            f"SELECT seq, {EVENT_SELECT} FROM events WHERE {' AND '.join(where)} "
            "ORDER BY seq DESC LIMIT ?",
            (*args, check_limit(limit) + 1),
        ).fetchall()
        return _page(rows, limit, event_from)

    def aggregate_events(
        self,
        user_id: str,
        event_type: str,
        since: datetime,
        until: datetime,
        property: str | None = None,
    ) -> tuple[int, float]:
        window = (
            "FROM events WHERE project_id = ? AND user_id = ? AND type = ? "
            "AND occurred_at BETWEEN ? AND ?"
        )
        args = (self._p, user_id, event_type, to_us(since), to_us(until))
        if property is None:
            return int(self._q(f"SELECT COUNT(*) {window}", args).fetchone()[0]), 0.0
        segments = property_path(property)
        path = _json_path(segments)
        if path is not None:
            texts = self._q(f"SELECT properties -> ? {window}", (path, *args)).fetchall()
            values = [MISSING if text is None else loads(text) for (text,) in texts]
        else:  # an old SQLite, or a key a JSON path cannot quote: walk in Python
            docs = self._q(f"SELECT properties {window}", args).fetchall()
            values = [lookup(loads(doc), segments) for (doc,) in docs]
        total = exact_sum(numeric_value(v) for v in values if v is not MISSING)
        return len(values), total

    # -- ledger --------------------------------------------------------------------------
    def list_ledger(self, user_id: str, limit: int, cursor: str | None = None) -> Page[LedgerEntry]:
        before = decode_cursor(cursor)
        rows = self._q(
            f"SELECT seq, {LEDGER_COLUMNS} FROM ledger WHERE project_id = ? AND user_id = ? "
            "AND seq < ? ORDER BY seq DESC LIMIT ?",
            (self._p, user_id, 2**63 - 1 if before is None else before, check_limit(limit) + 1),
        ).fetchall()
        return _page(rows, limit, ledger_from)

    def ledger_sum(self, user_id: str, currency: str) -> int:
        row = self._q(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger "
            "WHERE project_id = ? AND user_id = ? AND currency = ?",
            (self._p, user_id, currency),
        ).fetchone()
        return int(row[0])

    # -- progress ------------------------------------------------------------------------
    def _state(self, table: str, columns: str, key: str, user_id: str, id: str) -> Any:
        return self._q(
            f"SELECT {columns} FROM {table} WHERE project_id = ? AND user_id = ? AND {key} = ?",
            (self._p, user_id, id),
        ).fetchone()

    def _states(self, table: str, columns: str, key: str, user_id: str) -> list[Any]:
        return self._q(
            f"SELECT {columns} FROM {table} WHERE project_id = ? AND user_id = ? ORDER BY {key}",
            (self._p, user_id),
        ).fetchall()

    def get_badge_state(self, user_id: str, badge_id: str) -> BadgeState | None:
        row = self._state("badge_states", BADGE_COLUMNS, "badge_id", user_id, badge_id)
        return badge_from(row) if row else None

    def list_badge_states(self, user_id: str) -> list[BadgeState]:
        return [
            badge_from(r) for r in self._states("badge_states", BADGE_COLUMNS, "badge_id", user_id)
        ]

    def get_quest_state(self, user_id: str, quest_id: str) -> QuestState | None:
        row = self._state("quest_states", QUEST_COLUMNS, "quest_id", user_id, quest_id)
        return quest_from(row) if row else None

    def list_quest_states(self, user_id: str) -> list[QuestState]:
        return [
            quest_from(r) for r in self._states("quest_states", QUEST_COLUMNS, "quest_id", user_id)
        ]

    def get_streak_state(self, user_id: str, streak_id: str) -> StreakState | None:
        row = self._state("streak_states", STREAK_COLUMNS, "streak_id", user_id, streak_id)
        return streak_from(row) if row else None

    def list_streak_states(self, user_id: str) -> list[StreakState]:
        rows = self._states("streak_states", STREAK_COLUMNS, "streak_id", user_id)
        return [streak_from(r) for r in rows]

    def streaks_expiring_by(self, moment: datetime, limit: int) -> list[StreakState]:
        rows = self._q(
            f"SELECT {STREAK_COLUMNS} FROM streak_states WHERE project_id = ? "
            "AND status = 'active' AND expires_at <= ? "
            "ORDER BY expires_at, user_id, streak_id LIMIT ?",
            (self._p, to_us(moment), max(limit, 0)),
        )
        return [streak_from(r) for r in rows]

    # -- leaderboards --------------------------------------------------------------------
    _BOARD = (
        "FROM leaderboard_entries WHERE project_id = ? AND leaderboard_id = ? AND period_key = ?"
    )

    def get_leaderboard_entry(
        self, leaderboard_id: str, period_key: str, user_id: str
    ) -> LeaderboardEntry | None:
        row = self._q(
            f"SELECT score, reached_at {self._BOARD} AND user_id = ?",
            (self._p, leaderboard_id, period_key, user_id),
        ).fetchone()
        if row is None:
            return None
        return LeaderboardEntry(leaderboard_id, period_key, user_id, row[0], from_us(row[1]))

    def _higher(self, leaderboard_id: str, period_key: str, score: float) -> int:
        """How many entries score strictly more: a range count on leaderboard_order."""
        row = self._q(
            f"SELECT COUNT(*) {self._BOARD} AND score > ?",
            (self._p, leaderboard_id, period_key, score),
        ).fetchone()
        return int(row[0])

    def rank_of(self, leaderboard_id: str, period_key: str, user_id: str) -> RankedEntry | None:
        mirror = self._mirror()
        if mirror is not None:
            found = mirror.rank_of((self._p, leaderboard_id, period_key), user_id)
            return RankedEntry(*found) if found else None
        entry = self.get_leaderboard_entry(leaderboard_id, period_key, user_id)
        if entry is None:
            return None
        return RankedEntry(1 + self._higher(leaderboard_id, period_key, entry.score), entry)

    def rankings(
        self, leaderboard_id: str, period_key: str, offset: int, limit: int
    ) -> list[RankedEntry]:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        mirror = self._mirror()
        if mirror is not None:
            key = (self._p, leaderboard_id, period_key)
            return [RankedEntry(*found) for found in mirror.rankings(key, offset, limit)]
        rows = self._q(
            f"SELECT user_id, score, reached_at {self._BOARD} "
            "ORDER BY score DESC, reached_at, user_id LIMIT ? OFFSET ?",
            (self._p, leaderboard_id, period_key, max(limit, 0), offset),
        ).fetchall()
        ranked: list[RankedEntry] = []
        for position, (user_id, score, reached) in enumerate(rows, offset):
            if not ranked:
                rank = 1 + self._higher(leaderboard_id, period_key, score)
            elif score != ranked[-1].entry.score:
                rank = position + 1  # everyone before it scored strictly more
            entry = LeaderboardEntry(leaderboard_id, period_key, user_id, score, from_us(reached))
            ranked.append(RankedEntry(rank, entry))
        return ranked

    def leaderboard_size(self, leaderboard_id: str, period_key: str) -> int:
        mirror = self._mirror()
        if mirror is not None:
            return mirror.size((self._p, leaderboard_id, period_key))
        row = self._q(f"SELECT COUNT(*) {self._BOARD}", (self._p, leaderboard_id, period_key))
        return int(row.fetchone()[0])

    # -- idempotency ---------------------------------------------------------------------
    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        row = self._q(
            f"SELECT {IDEMPOTENCY_COLUMNS} FROM idempotency WHERE project_id = ? AND key = ?",
            (self._p, key),
        ).fetchone()
        return idempotency_from(row) if row else None

    # -- webhooks ------------------------------------------------------------------------
    def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        row = self._q(
            f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE project_id = ? AND id = ?",
            (self._p, endpoint_id),
        ).fetchone()
        return endpoint_from(row) if row else None

    def list_webhook_endpoints(
        self, limit: int | None = None, cursor: str | None = None
    ) -> Page[WebhookEndpoint]:
        if limit is None and cursor is None:  # the outbox's question, on every event
            configured = self._configured(("endpoints",), self._endpoint_rows)
            return Page([endpoint_from(row) for row in configured], None)
        after = decode_cursor(cursor) or 0
        fetch = _NO_LIMIT if limit is None else check_limit(limit) + 1
        rows = self._q(
            f"SELECT seq, {ENDPOINT_COLUMNS} FROM webhook_endpoints "
            "WHERE project_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (self._p, after, fetch),
        ).fetchall()
        return _page(rows, len(rows) if limit is None else limit, endpoint_from)

    def _endpoint_rows(self) -> tuple[Sequence[Any], ...]:
        """Kept as rows: every reader gets endpoint records of its own."""
        return tuple(
            self._q(
                f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE project_id = ? "
                "ORDER BY seq",
                (self._p,),
            ).fetchall()
        )

    def get_message(self, message_id: str) -> OutboxMessage | None:
        row = self._q(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE project_id = ? AND id = ?",
            (self._p, message_id),
        ).fetchone()
        return message_from(row) if row else None

    def newest_message_seq(self) -> int:
        row = self._q("SELECT MAX(seq) FROM messages WHERE project_id = ?", (self._p,)).fetchone()
        return int(row[0] or 0)

    def list_messages(
        self,
        limit: int,
        cursor: str | None = None,
        user_id: str | None = None,
        types: Sequence[str] | None = None,
        after_seq: int | None = None,
    ) -> Page[OutboxMessage]:
        check_limit(limit)
        bounds = [b for b in (decode_cursor(cursor), after_seq) if b is not None]
        where, args = ["project_id = ?", "seq > ?"], [self._p, max(bounds, default=0)]
        table = "messages"
        if user_id is not None:
            # Without statistics the planner prefers walking the primary key in seq order
            # and filtering, which reads every message of the project; a user's own index
            # reads only theirs.
            table = "messages INDEXED BY messages_by_user"
            where.append("user_id = ?")
            args.append(user_id)
        if types is not None:
            if not types:
                return Page([], None)
            where.append(f"type IN ({', '.join('?' * len(types))})")
            args.extend(types)
        rows = self._q(
            f"SELECT seq, {MESSAGE_COLUMNS} FROM {table} WHERE {' AND '.join(where)} "
            "ORDER BY seq LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        return _page(rows, limit, message_from)

    def get_delivery(self, message_id: str, endpoint_id: str) -> Delivery | None:
        row = self._q(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries "
            "WHERE project_id = ? AND message_id = ? AND endpoint_id = ?",
            (self._p, message_id, endpoint_id),
        ).fetchone()
        return delivery_from(row) if row else None

    def list_deliveries(
        self, endpoint_id: str | None = None, message_id: str | None = None
    ) -> list[Delivery]:
        where, args = ["project_id = ?"], [self._p]
        for clause, value in (("endpoint_id = ?", endpoint_id), ("message_id = ?", message_id)):
            if value is not None:
                where.append(clause)
                args.append(value)
        rows = self._q(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE {' AND '.join(where)} ORDER BY seq",
            args,
        )
        return [delivery_from(r) for r in rows]

    def due_deliveries(self, moment: datetime, limit: int) -> list[Delivery]:
        rows = self._q(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE project_id = ? "
            "AND status = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, message_id, endpoint_id LIMIT ?",
            (self._p, to_us(moment), max(limit, 0)),
        )
        return [delivery_from(r) for r in rows]
