"""Webhook endpoints through the SDK, and a real delivery verified by ``questline.webhooks``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import questline
from questline import NotFoundError, Questline
from questline.types import UserCreatedWebhookEvent, WebhookDelivery, WebhookTestWebhookEvent


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]


class Receiver:
    """A webhook receiver on a loopback port that records each delivery and answers 200."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                with receiver._arrived:
                    receiver.deliveries.append(Delivery(body, dict(self.headers.items())))
                    receiver._arrived.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.deliveries) >= count, timeout)
        assert len(self.deliveries) >= count, f"{len(self.deliveries)} of {count} deliveries"
        return self.deliveries

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def deliver_now(client: Questline) -> None:
    """Run due deliveries: in-process nothing else does; live, the worker may beat us to it."""
    client.sandbox.clock.advance(seconds=1)


def recorded_attempts(client: Questline, endpoint_id: str) -> list[WebhookDelivery]:
    """The endpoint's attempts once none is pending. A live server's worker records an
    outcome just after the receiver answered, so re-read (a bounded number of times)."""
    for _ in range(200):
        attempts = list(client.webhook_endpoints.deliveries.list(endpoint_id))
        if attempts and all(a.status != "pending" for a in attempts):
            return attempts
    raise AssertionError(f"attempts still pending: {attempts}")


def test_endpoint_lifecycle(client: Questline) -> None:
    created = client.webhook_endpoints.create(
        "https://example.com/hooks", event_types=["user.created"], description="CRM"
    )
    assert created.secret is not None and created.secret.startswith("whsec_")
    assert (str(created.url), created.event_types, created.enabled) == (
        "https://example.com/hooks",
        ["user.created"],
        True,
    )

    fetched = client.webhook_endpoints.retrieve(created.id)
    assert fetched.secret is None  # shown once, at creation
    updated = client.webhook_endpoints.update(created.id, enabled=False, description=None)
    assert (updated.enabled, updated.description, updated.url) == (False, None, created.url)
    assert [e.id for e in client.webhook_endpoints.list()] == [created.id]

    rotated = client.webhook_endpoints.rotate_secret(created.id)
    assert rotated.secret is not None and rotated.secret != created.secret

    assert client.webhook_endpoints.delete(created.id) is None
    with pytest.raises(NotFoundError):
        client.webhook_endpoints.retrieve(created.id)


def test_a_delivery_verifies_with_the_endpoint_secret(
    client: Questline, receiver: Receiver
) -> None:
    endpoint = client.webhook_endpoints.create(url=receiver.url, event_types=["user.created"])
    assert endpoint.secret is not None
    client.events.send(user_id="u1", type="login")
    deliver_now(client)

    [delivery] = receiver.wait_for(1)
    event = questline.webhooks.verify(delivery.body, delivery.headers, endpoint.secret)
    assert isinstance(event, UserCreatedWebhookEvent)
    assert event.data.user.id == "u1"

    [attempt] = recorded_attempts(client, endpoint.id)
    assert (attempt.message_id, attempt.status, attempt.status_code) == (
        delivery.headers["webhook-id"],
        "succeeded",
        200,
    )
    with pytest.raises(questline.WebhookVerificationError) as caught:
        questline.webhooks.verify(delivery.body, delivery.headers, "whsec_" + "A" * 32)
    assert caught.value.reason == "no_matching_signature"


def test_a_test_message_and_a_retry_reach_the_receiver(
    client: Questline, receiver: Receiver
) -> None:
    endpoint = client.webhook_endpoints.create(url=receiver.url, event_types=["user.created"])
    assert endpoint.secret is not None
    message = client.webhook_endpoints.test(endpoint.id)
    assert message.type == "webhook.test"
    deliver_now(client)
    receiver.wait_for(1)
    recorded_attempts(client, endpoint.id)  # a retry is for a message no longer in flight

    again = client.webhook_endpoints.deliveries.retry(endpoint.id, message.id)
    assert again.id == message.id
    deliver_now(client)
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.id
    event = questline.webhooks.verify(second.body, second.headers, endpoint.secret)
    assert isinstance(event, WebhookTestWebhookEvent)
