"""``GET /v1/sandbox/webhooks``: every message queued or sent, newest first, with attempts."""

from __future__ import annotations

from tests.server.webhooks.api import Api
from tests.server.webhooks.receiver import Receiver

PATH = "/v1/sandbox/webhooks"


def test_messages_are_listed_without_a_receiver_newest_first(api: Api) -> None:
    api.send_event("u1", "login")
    api.send_event("u2", "login")
    listed = api.sandbox_messages()
    assert [(m["type"], m["data"]["user_id"]) for m in listed] == [
        ("event.processed", "u2"),
        ("user.created", "u2"),
        ("event.processed", "u1"),
        ("user.created", "u1"),
    ]
    # No endpoint wanted them: nothing is owed, nothing was attempted.
    assert {(m["status"], m["attempts"], len(m["deliveries"])) for m in listed} == {
        ("delivered", 0, 0)
    }


def test_each_message_carries_its_attempts_across_endpoints_oldest_first(
    api: Api, receiver: Receiver
) -> None:
    first = api.create_endpoint(receiver.url + "/1")
    second = api.create_endpoint(receiver.url + "/2", event_types=["user.created"])
    api.send_event("u1", "login")
    api.advance(1)
    created = next(m for m in api.sandbox_messages() if m["type"] == "user.created")
    assert {d["endpoint_id"] for d in created["deliveries"]} == {first["id"], second["id"]}
    assert (created["status"], created["attempts"]) == ("delivered", 2)

    receiver.fail_next(1, status=500)
    message = api(
        "webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{first['id']}/test", expect=202
    )
    api.advance(1)
    api.advance(6)
    [tested] = [m for m in api.sandbox_messages() if m["id"] == message["id"]]
    rows = [(d["attempt"], d["status"], d["status_code"]) for d in tested["deliveries"]]
    assert rows == [(1, "failed", 500), (2, "succeeded", 200)]
    assert (tested["status"], tested["attempts"]) == ("delivered", 2)


def test_the_list_pages_without_loss_or_repeats(api: Api) -> None:
    for n in range(4):
        api.send_event(f"u{n}", "login")  # 8 messages
    seen, cursor = [], None
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = api("sandboxWebhooksList", "GET", PATH + query)
        seen += [m["id"] for m in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 8


def test_a_foreign_cursor_is_a_422(api: Api) -> None:
    endpoints_cursor = "d2ViaG9va19lbmRwb2ludHM6MQ"  # "webhook_endpoints:1"
    problem = api("sandboxWebhooksList", "GET", f"{PATH}?cursor={endpoints_cursor}", expect=422)
    assert problem["errors"][0]["loc"] == ["query", "cursor"]
