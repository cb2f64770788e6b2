"""The outbox: domain events become messages (and deliveries) in the step's own transaction.

Written inside the same unit of work as the event that caused them, so a message exists
exactly when its cause was committed: never lost on a crash, never sent for a rolled-back
step. The delivery worker and the stream read from here.
"""

from __future__ import annotations

from datetime import datetime

from ..domain import JSON, Delivery, DomainEvent, OutboxMessage
from ..engine.context import IdFactory
from ..engine.render import format_time
from ..storage.base import UnitOfWork


def endpoint_wants(event_types: list[str], message_type: str) -> bool:
    return "*" in event_types or message_type in event_types


def enqueue(
    uow: UnitOfWork, events: list[DomainEvent], now: datetime, ids: IdFactory
) -> list[OutboxMessage]:
    if not events:
        return []
    endpoints = [e for e in uow.list_webhook_endpoints().items if e.enabled]
    stored = []
    for event in events:
        message = uow.insert_message(
            OutboxMessage(
                id=ids.new("msg", now),
                type=event.type,
                created_at=now,
                data=event.data,
                user_id=event.user_id,
            )
        )
        stored.append(message)
        for endpoint in endpoints:
            if endpoint_wants(endpoint.event_types, event.type):
                uow.put_delivery(Delivery(message.id, endpoint.id, "pending", next_attempt_at=now))
    return stored


def envelope(message: OutboxMessage, project_id: str) -> JSON:
    """The webhook and stream envelope: ``{id, type, created_at, project_id, data}``."""
    return {
        "id": message.id,
        "type": message.type,
        "created_at": format_time(message.created_at),
        "project_id": project_id,
        "data": message.data,
    }
