"""Everything a Reader can observe about a project, as one comparable value.

Used to assert "nothing changed" (rollback) and "both backends agree" (the equivalence
property). The Reader API has no "list every key" for some tables, so the caller names the
universe of user ids, rule ids, boards and idempotency keys its test can have touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from questline_mock.domain import DEFINITION_KINDS, EventRecord, LedgerEntry
from questline_mock.storage.base import EventFilter, Page, Reader, iter_all

FAR_FUTURE = datetime(9000, 1, 1, tzinfo=timezone.utc)
FAR_PAST = datetime(1900, 1, 1, tzinfo=timezone.utc)


def _user_events(reader: Reader, user_id: str) -> Callable[[str | None], Page[EventRecord]]:
    return lambda cursor: reader.list_events(EventFilter(user_id=user_id), 4, cursor)


def _user_ledger(reader: Reader, user_id: str) -> Callable[[str | None], Page[LedgerEntry]]:
    return lambda cursor: reader.list_ledger(user_id, 4, cursor)


def snapshot(
    reader: Reader,
    users: Iterable[str] = ("u1", "u2", "u3"),
    boards: Iterable[tuple[str, str]] = (
        ("lb1", "all_time"),
        ("lb1", "2026-01-05"),
        ("lb2", "all_time"),
    ),
    keys: Iterable[str] = ("k1", "k2", "k3"),
    event_types: Iterable[str] = ("login", "purchase", "lesson_completed"),
) -> dict[str, Any]:
    users, boards, event_types = list(users), list(boards), list(event_types)
    events = list(iter_all(lambda c: reader.list_events(EventFilter(), 7, c)))
    endpoints = reader.list_webhook_endpoints().items
    return {
        "users": list(iter_all(lambda c: reader.list_users(3, c))),
        "definitions": {kind: reader.list_definitions(kind).items for kind in DEFINITION_KINDS},
        "rules_by_type": {t: reader.rules_for_event_type(t) for t in event_types},
        "levels": reader.get_levels(),
        "events": events,
        "events_by_id": [reader.get_event(e.id) for e in events],
        "events_by_event_id": [reader.get_event_by_event_id(e.event_id) for e in events],
        "aggregates": {
            (u, t): reader.aggregate_events(u, t, FAR_PAST, FAR_FUTURE, "amount")
            for u in users
            for t in event_types
        },
        "per_user": {
            u: {
                "events": [e.id for e in iter_all(_user_events(reader, u))],
                "ledger": list(iter_all(_user_ledger(reader, u))),
                "sums": {cur: reader.ledger_sum(u, cur) for cur in ("coins", "gems")},
                "badges": reader.list_badge_states(u),
                "quests": reader.list_quest_states(u),
                "streaks": reader.list_streak_states(u),
                "ranks": {b: reader.rank_of(b[0], b[1], u) for b in boards},
                "messages": [m.id for m in reader.list_messages(10_000, user_id=u).items],
            }
            for u in users
        },
        "expiring": reader.streaks_expiring_by(FAR_FUTURE, 10_000),
        "boards": {
            b: (reader.rankings(b[0], b[1], 0, 10_000), reader.leaderboard_size(b[0], b[1]))
            for b in boards
        },
        "idempotency": {k: reader.get_idempotency(k) for k in keys},
        "endpoints": endpoints,
        "events_by_type": {
            t: [e.id for e in reader.list_events(EventFilter(type=t), 10_000).items]
            for t in event_types
        },
        "messages": list(iter_all(lambda c: reader.list_messages(5, c))),
        "messages_by_type": {
            t: [m.id for m in reader.list_messages(10_000, types=[t]).items] for t in event_types
        },
        "deliveries_by_endpoint": {
            e.id: reader.list_deliveries(endpoint_id=e.id) for e in endpoints
        },
        "deliveries": reader.list_deliveries(),
        "due": reader.due_deliveries(FAR_FUTURE, 10_000),
    }
