"""The outbox: domain events become messages (and deliveries) in the step's own transaction.

Written inside the same unit of work as the event that caused them, so a message exists
exactly when its cause was committed: never lost on a crash, never sent for a rolled-back
step. The delivery worker and the stream read from here.
"""

from __future__ import annotations

from datetime import datetime

from ..domain import JSON, Delivery, DomainEvent, OutboxMessage, WebhookEndpoint
from ..engine.context import IdFactory
from ..engine.render import format_time
from ..storage.base import UnitOfWork
from .attempts import fail_pending


def endpoint_wants(event_types: list[str], message_type: str) -> bool:
    return "*" in event_types or message_type in event_types


def enqueue(
    uow: UnitOfWork, events: list[DomainEvent], now: datetime, ids: IdFactory
) -> list[OutboxMessage]:
    if not events:
        return []
    names = ids.many("msg", now, len(events))
    stored = uow.insert_messages(
        [
            OutboxMessage(name, e.type, now, e.data, e.user_id)
            for name, e in zip(names, events, strict=True)
        ]
    )
    endpoints = [e for e in uow.list_webhook_endpoints().items if e.enabled]
    for message in stored:
        for endpoint in endpoints:
            if endpoint_wants(endpoint.event_types, message.type):
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


def queue_to_endpoint(
    uow: UnitOfWork,
    endpoint: WebhookEndpoint,
    type: str,
    data: JSON,
    now: datetime,
    ids: IdFactory,
) -> tuple[OutboxMessage, Delivery]:
    """A message owed to one endpoint only, whatever it subscribes to (``webhook.test``)."""
    message = uow.insert_message(OutboxMessage(ids.new("msg", now), type, now, data))
    delivery = Delivery(message.id, endpoint.id, "pending", next_attempt_at=now)
    uow.put_delivery(delivery)
    return message, delivery


def disable_endpoint(
    uow: UnitOfWork, endpoint: WebhookEndpoint, reason: str | None, now: datetime
) -> None:
    """Stop sending to ``endpoint``: what it was still owed is marked failed (a manual
    retry re-queues it), and only messages queued after it is re-enabled reach it."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    uow.put_webhook_endpoint(endpoint)
    for delivery in uow.list_deliveries(endpoint_id=endpoint.id):
        if delivery.status == "pending":
            fail_pending(delivery)
            uow.put_delivery(delivery)
