"""Webhook endpoints, their deliveries, manual retries, and the sandbox's list of messages.

The HTTP layer (``http/webhook_endpoints.py``, ``http/sandbox.py``) parses and serialises;
everything decided about an endpoint lives here. Errors are the small tree below, which
the blueprint turns into problems::

    WebhookError
     ├── UnknownEndpoint     404  no endpoint with this id in the project
     ├── UnknownMessage      404  no message with this id in the project
     ├── EndpointDisabled    409  a retry to an endpoint that is switched off
     └── BadCursor           422  a listing cursor this module did not make
"""

from __future__ import annotations

from datetime import timedelta

from questline._signing import generate_secret

from ..domain import JSON, Delivery, OutboxMessage, WebhookEndpoint
from ..engine.render import format_time
from ..storage.base import Page, Reader, iter_all
from ..webhooks.attempts import attempt_rows, message_status, requeue, row_time
from ..webhooks.outbox import disable_endpoint, envelope, queue_to_endpoint
from .core import ProjectScope

# Standard Webhooks secrets are 24 to 64 random bytes; the issue asks for 32.
SECRET_BYTES = 32
ROTATION_OVERLAP = timedelta(hours=24)
TEST_MESSAGE = "This is a test message from Questline."


class WebhookError(Exception):
    """Base of this module's errors."""


class UnknownEndpoint(WebhookError):
    def __init__(self, endpoint_id: str) -> None:
        super().__init__(f"webhook endpoint {endpoint_id!r}")


class UnknownMessage(WebhookError):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"webhook message {message_id!r}")


class EndpointDisabled(WebhookError):
    def __init__(self, endpoint_id: str) -> None:
        super().__init__(
            f"webhook endpoint {endpoint_id!r} is disabled; enable it (PATCH enabled=true) "
            "before re-sending messages to it"
        )


class BadCursor(WebhookError):
    def __init__(self) -> None:
        super().__init__("is not a cursor of this listing")


# -- endpoints ------------------------------------------------------------------------------
def canonical_event_types(event_types: list[str]) -> list[str]:
    """``["*"]`` if it subscribes to everything, else the types once each, in given order."""
    if "*" in event_types:
        return ["*"]
    return list(dict.fromkeys(event_types))


def endpoint_json(endpoint: WebhookEndpoint, secret: str | None = None) -> JSON:
    """The wire form; ``secret`` only when create or rotate_secret just made it."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "description": endpoint.description,
        "secret": secret,
        "created_at": format_time(endpoint.created_at),
        "updated_at": format_time(endpoint.updated_at),
    }


def create(scope: ProjectScope, body: JSON) -> JSON:
    now = scope.now()
    secret = generate_secret(SECRET_BYTES)
    endpoint = WebhookEndpoint(
        id=scope.backend.ids.new("whe", now),
        url=body["url"],
        event_types=canonical_event_types(body.get("event_types") or ["*"]),
        enabled=body.get("enabled", True),
        description=body.get("description"),
        secrets=[(secret, None)],
        created_at=now,
        updated_at=now,
    )
    with scope.uow() as uow:
        uow.put_webhook_endpoint(endpoint)
    return endpoint_json(endpoint, secret)


def get(scope: ProjectScope, endpoint_id: str) -> JSON:
    with scope.read() as view:
        return endpoint_json(_endpoint(view, endpoint_id))


def list_page(scope: ProjectScope, limit: int, cursor: str | None) -> Page[JSON]:
    with scope.read() as view:
        page = view.list_webhook_endpoints(limit, cursor)
    return Page([endpoint_json(e) for e in page.items], page.next_cursor)


def update(scope: ProjectScope, endpoint_id: str, changes: JSON) -> JSON:
    """Apply the given fields. Disabling fails what the endpoint is still owed; enabling
    clears ``disabled_reason`` and lets new messages reach it."""
    now = scope.now()
    with scope.uow() as uow:
        endpoint = _endpoint(uow, endpoint_id)
        if "url" in changes:
            endpoint.url = changes["url"]
        if "event_types" in changes:
            endpoint.event_types = canonical_event_types(changes["event_types"])
        if "description" in changes:
            endpoint.description = changes["description"]
        endpoint.updated_at = now
        if changes.get("enabled") is False and endpoint.enabled:
            disable_endpoint(uow, endpoint, "disabled by request", now)
        else:
            if changes.get("enabled") is True:
                endpoint.enabled, endpoint.disabled_reason = True, None
            uow.put_webhook_endpoint(endpoint)
    return endpoint_json(endpoint)


def delete(scope: ProjectScope, endpoint_id: str) -> None:
    with scope.uow() as uow:
        _endpoint(uow, endpoint_id)
        uow.delete_webhook_endpoint(endpoint_id)


def rotate_secret(scope: ProjectScope, endpoint_id: str) -> JSON:
    """A new secret signs from now on; each older one still live signs beside it until
    24 h (project clock) after the rotation that retired it."""
    now = scope.now()
    secret = generate_secret(SECRET_BYTES)
    with scope.uow() as uow:
        endpoint = _endpoint(uow, endpoint_id)
        live = [(s, exp) for s, exp in endpoint.secrets if exp is None or exp > now]
        retired = [(s, exp or now + ROTATION_OVERLAP) for s, exp in live]
        endpoint.secrets = [(secret, None), *retired]
        endpoint.updated_at = now
        uow.put_webhook_endpoint(endpoint)
    return endpoint_json(endpoint, secret)


def send_test(scope: ProjectScope, endpoint_id: str) -> JSON:
    """Queue a ``webhook.test`` to this endpoint only (whatever its ``event_types``)."""
    now = scope.now()
    with scope.uow() as uow:
        endpoint = _endpoint(uow, endpoint_id)
        if not endpoint.enabled:  # it would be failed at once, never sent
            raise EndpointDisabled(endpoint_id)
        data = {"endpoint_id": endpoint.id, "message": TEST_MESSAGE}
        message, delivery = queue_to_endpoint(
            uow, endpoint, "webhook.test", data, now, scope.backend.ids
        )
        scope.queued_messages = True
    return message_json(message, scope.project.id, [delivery])


def retry(scope: ProjectScope, endpoint_id: str, message_id: str) -> JSON:
    """Queue the message to the endpoint again, due at once, with a fresh retry schedule
    (also for a message the endpoint never had: replaying history to a new receiver)."""
    now = scope.now()
    with scope.uow() as uow:
        endpoint = _endpoint(uow, endpoint_id)
        message = uow.get_message(message_id)
        if message is None:
            raise UnknownMessage(message_id)
        if not endpoint.enabled:
            raise EndpointDisabled(endpoint_id)
        delivery = uow.get_delivery(message_id, endpoint_id) or Delivery(
            message_id, endpoint_id, "pending", now
        )
        requeue(delivery, now)
        uow.put_delivery(delivery)
        scope.queued_messages = True
    return message_json(message, scope.project.id, [delivery])


def _endpoint(view: Reader, endpoint_id: str) -> WebhookEndpoint:
    endpoint = view.get_webhook_endpoint(endpoint_id)
    if endpoint is None:
        raise UnknownEndpoint(endpoint_id)
    return endpoint


# -- messages and attempts -------------------------------------------------------------------
def message_json(message: OutboxMessage, project_id: str, deliveries: list[Delivery]) -> JSON:
    """A ``WebhookMessage``: the envelope plus its delivery state over ``deliveries``."""
    return {
        **envelope(message, project_id),
        "status": message_status(deliveries),
        "attempts": sum(len(d.attempts) for d in deliveries),
    }


def _row_key(row: JSON, seq: int) -> tuple[int, int, str, int]:
    moment = row_time(row)
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    return (micros, seq, row["endpoint_id"], row["attempt"])


def _encode_key(key: tuple[int, int, str, int]) -> str:
    return "|".join(str(part) for part in key)


def _decode_key(cursor: str) -> tuple[int, int, str, int]:
    parts = cursor.split("|")
    try:
        return (int(parts[0]), int(parts[1]), parts[2], int(parts[3]))
    except (IndexError, ValueError):
        raise BadCursor() from None


def deliveries_page(
    scope: ProjectScope, endpoint_id: str, limit: int, cursor: str | None
) -> Page[JSON]:
    """The endpoint's attempts newest first, a scheduled (pending) attempt counting as
    happening when it is due. Keyed by (time, message, attempt): stable under inserts."""
    with scope.read() as view:
        _endpoint(view, endpoint_id)
        keyed = []
        for delivery in view.list_deliveries(endpoint_id=endpoint_id):
            message = view.get_message(delivery.message_id)
            if message is None:
                continue
            for row in attempt_rows(delivery, message.type):
                keyed.append((_row_key(row, message.seq), row))
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    if cursor is not None:
        bound = _decode_key(cursor)
        keyed = [pair for pair in keyed if pair[0] < bound]
    page = keyed[:limit]
    more = len(keyed) > limit
    return Page([row for _, row in page], _encode_key(page[-1][0]) if more else None)


def sandbox_messages_page(scope: ProjectScope, limit: int, cursor: str | None) -> Page[JSON]:
    """Every message the project queued, newest first, each with all its attempts across
    endpoints (oldest first). A sandbox view: it walks the outbox, which tests keep small."""
    bound: int | None = None
    if cursor is not None:
        if not cursor.isdigit():
            raise BadCursor()
        bound = int(cursor)
    with scope.read() as view:
        messages = [
            m
            for m in iter_all(lambda c: view.list_messages(500, c))
            if bound is None or m.seq < bound
        ]
        more = len(messages) > limit
        chosen = list(reversed(messages[-limit:]))
        items = []
        for message in chosen:
            deliveries = view.list_deliveries(message_id=message.id)
            rows = [row for d in deliveries for row in attempt_rows(d, message.type)]
            rows.sort(key=lambda row: _row_key(row, message.seq))
            items.append(
                {**message_json(message, scope.project.id, deliveries), "deliveries": rows}
            )
    return Page(items, str(chosen[-1].seq) if more and chosen else None)
