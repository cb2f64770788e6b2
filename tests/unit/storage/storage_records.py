"""Record factories for the storage suite: small, valid records with overridable fields."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from questline_mock.domain import (
    BadgeState,
    Delivery,
    EventRecord,
    IdempotencyRecord,
    LeaderboardEntry,
    LedgerEntry,
    OutboxMessage,
    QuestState,
    RuleUsage,
    StreakState,
    User,
    WebhookEndpoint,
)

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PROJECT = "proj_a"


def at(seconds: float) -> datetime:
    """``T0`` plus some seconds: tests speak in offsets, not dates."""
    return T0 + timedelta(seconds=seconds)


def user(user_id: str = "u1", **fields: Any) -> User:
    base: dict[str, Any] = {"created_at": T0, "updated_at": T0}
    return User(id=user_id, **{**base, **fields})


def event(
    n: int | str,
    user_id: str = "u1",
    type: str = "lesson_completed",
    occurred: float = 0,
    properties: dict[str, Any] | None = None,
    **fields: Any,
) -> EventRecord:
    base: dict[str, Any] = {
        "id": f"evt_{n}",
        "event_id": f"e{n}",
        "user_id": user_id,
        "type": type,
        "properties": properties if properties is not None else {},
        "occurred_at": at(occurred),
        "received_at": at(occurred),
        "status": "processed",
    }
    return EventRecord(**{**base, **fields})


def ledger(
    n: int | str, user_id: str = "u1", currency: str = "coins", amount: int = 10, **fields: Any
) -> LedgerEntry:
    base: dict[str, Any] = {
        "id": f"txn_{n}",
        "user_id": user_id,
        "currency": currency,
        "amount": amount,
        "balance": amount,
        "reason": None,
        "metadata": {},
        "source": "manual",
        "event_id": None,
        "created_at": T0,
    }
    return LedgerEntry(**{**base, **fields})


def badge(badge_id: str = "b1", user_id: str = "u1", **fields: Any) -> BadgeState:
    return BadgeState(user_id=user_id, badge_id=badge_id, **fields)


def quest(quest_id: str = "q1", user_id: str = "u1", **fields: Any) -> QuestState:
    return QuestState(user_id=user_id, quest_id=quest_id, **fields)


def streak(
    streak_id: str = "s1",
    user_id: str = "u1",
    expires: float | None = 100,
    status: str = "active",
    **fields: Any,
) -> StreakState:
    base: dict[str, Any] = {
        "count": 1,
        "longest": 1,
        "freezes_left": 0,
        "last_period": "2026-01-01",
        "expires_at": None if expires is None else at(expires),
    }
    return StreakState(user_id=user_id, streak_id=streak_id, status=status, **{**base, **fields})


def usage(count: int = 1, last_fired: float = 0) -> RuleUsage:
    return RuleUsage(fired=count, last_fired_at=at(last_fired))


def score(
    user_id: str, value: float, reached: float = 0, board: str = "lb1", period: str = "all_time"
) -> LeaderboardEntry:
    return LeaderboardEntry(board, period, user_id, value, at(reached))


def idempotency(key: str = "k1", created: float = 0, **fields: Any) -> IdempotencyRecord:
    return IdempotencyRecord(key=key, request_hash="h", created_at=at(created), **fields)


def endpoint(endpoint_id: str = "whe_1", **fields: Any) -> WebhookEndpoint:
    base: dict[str, Any] = {
        "url": "https://example.test/hook",
        "event_types": ["*"],
        "enabled": True,
        "description": None,
        "secrets": [("whsec_a", None)],
        "created_at": T0,
        "updated_at": T0,
    }
    return WebhookEndpoint(id=endpoint_id, **{**base, **fields})


def message(
    n: int | str, user_id: str | None = "u1", type: str = "user.xp.earned"
) -> OutboxMessage:
    return OutboxMessage(id=f"msg_{n}", type=type, created_at=T0, data={"n": n}, user_id=user_id)


def delivery(
    message_id: str = "msg_1",
    endpoint_id: str = "whe_1",
    status: str = "pending",
    due: float | None = 0,
    **fields: Any,
) -> Delivery:
    return Delivery(
        message_id=message_id,
        endpoint_id=endpoint_id,
        status=status,
        next_attempt_at=None if due is None else at(due),
        **fields,
    )


def rule(rule_id: str, event_type: str, **fields: Any) -> dict[str, Any]:
    return {"id": rule_id, "name": rule_id, "trigger": {"event_type": event_type}, **fields}
