"""The example receiver verifies, de-duplicates and rejects what it must, using envelopes
the reference server really queued."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import questline
from flask.testing import FlaskClient
from questline.testing import mock_questline

from tests.examples.conftest import load_example

SECRET = questline.webhooks.generate_secret()
OLD_SECRET = questline.webhooks.generate_secret()


def queued_envelopes() -> list[dict[str, Any]]:
    """Every message a real run queued: badge, streak, XP, coins, level up, ..."""
    with mock_questline() as sandbox:
        client = sandbox.client
        client.webhook_endpoints.create(url="https://receiver.example/webhooks/questline")
        client.badges.upsert("first-lesson", criteria={"event_type": "lesson_completed"})
        client.currencies.upsert("coins")
        client.streaks.upsert("daily", period="day", criteria={"event_type": "lesson_completed"})
        client.rules.upsert(
            "xp",
            trigger={"event_type": "lesson_completed"},
            actions=[
                {"type": "grant_xp", "amount": 150},
                {"type": "grant_currency", "currency": "coins", "amount": 5},
            ],
        )
        client.events.send(user_id="ada", type="lesson_completed")
        messages = list(client.sandbox.webhooks.list())
    return [
        {
            "id": m.id,
            "type": m.type,
            "created_at": m.created_at.isoformat(),
            "project_id": m.project_id,
            "data": m.data,
        }
        for m in messages
    ]


@pytest.fixture(scope="module")
def envelopes() -> list[dict[str, Any]]:
    """The badge and streak messages (whose payloads match the spec today)."""
    wanted = {"user.badge.unlocked", "user.streak.started"}
    return [envelope for envelope in queued_envelopes() if envelope["type"] in wanted]


@pytest.fixture
def receiver() -> Any:
    module = load_example("webhook_receiver/app.py", "example_webhook_receiver")
    return module.create_app([SECRET, OLD_SECRET])


def deliver(client: FlaskClient, envelope: dict[str, Any], secret: str = SECRET, **tamper: Any):
    body = json.dumps(envelope)
    headers = questline.webhooks.sign(body, secret, msg_id=envelope["id"])
    headers.update(tamper.pop("headers", {}))
    return client.post(
        "/webhooks/questline",
        data=tamper.get("body", body),
        headers={**headers, "Content-Type": "application/json"},
    )


def test_signed_deliveries_are_handled_once_each(
    receiver: Any, envelopes: list[dict[str, Any]]
) -> None:
    client = receiver.test_client()
    assert {e["type"] for e in envelopes} == {"user.badge.unlocked", "user.streak.started"}
    for envelope in envelopes:
        assert deliver(client, envelope).status_code == 204
        assert deliver(client, envelope).status_code == 204  # a retry: acknowledged again
    handled = receiver.extensions["inbox"].handled
    assert [event.type for event in handled] == [e["type"] for e in envelopes]
    badge = next(event for event in handled if event.type == "user.badge.unlocked")
    assert (badge.data.user_id, badge.data.badge_id) == ("ada", "first-lesson")


def test_a_secret_being_rotated_out_still_verifies(
    receiver: Any, envelopes: list[dict[str, Any]]
) -> None:
    assert deliver(receiver.test_client(), envelopes[0], secret=OLD_SECRET).status_code == 204


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"body": '{"id": "msg_x", "type": "user.level.up"}'}, "no_matching_signature"),
        ({"headers": {"webhook-timestamp": str(int(time.time()) - 3600)}}, "timestamp_too_old"),
        ({"headers": {"webhook-id": "msg_other"}}, "no_matching_signature"),
    ],
)
def test_tampered_or_stale_deliveries_are_rejected(
    receiver: Any, envelopes: list[dict[str, Any]], tamper: dict[str, Any], reason: str
) -> None:
    response = deliver(receiver.test_client(), envelopes[0], **tamper)
    assert response.status_code == 400
    assert response.json["error"] == reason
    assert receiver.extensions["inbox"].handled == []


def test_a_delivery_signed_with_another_secret_is_rejected(
    receiver: Any, envelopes: list[dict[str, Any]]
) -> None:
    other = questline.webhooks.generate_secret()
    response = deliver(receiver.test_client(), envelopes[0], secret=other)
    assert (response.status_code, response.json["error"]) == (400, "no_matching_signature")


def test_an_unsigned_request_is_rejected(receiver: Any) -> None:
    response = receiver.test_client().post("/webhooks/questline", json={"type": "x"})
    assert (response.status_code, response.json["error"]) == (400, "missing_header")


def test_every_message_the_server_queues_is_accepted(receiver: Any) -> None:
    client = receiver.test_client()
    rejected = {}
    for envelope in queued_envelopes():
        response = deliver(client, envelope)
        if response.status_code != 204:
            rejected[envelope["type"]] = response.json["detail"]
    assert rejected == {}
