"""Deliveries reach a real receiver, signed, and are retried with the same id until a 2xx.

Retries are driven by advancing the sandbox clock (the sweep runs due deliveries at once);
no test sleeps waiting for time. The default schedule here is 5 s, 300 s, 1800 s, and each
retry may wait up to 10% longer (jitter), so advancing by schedule * 1.1 always reaches it.
"""

from __future__ import annotations

import json

from tests.server.webhooks.api import Api
from tests.server.webhooks.conftest import Wall
from tests.server.webhooks.receiver import Receiver
from tests.server.webhooks.sig import verify_both


def test_an_event_is_delivered_signed_so_standard_webhooks_and_the_sdk_verify_it(
    api: Api, receiver: Receiver
) -> None:
    endpoint = api.create_endpoint(receiver.url)
    api.send_event("u1", "login")
    swept = api.advance(1)
    got = receiver.wait_for(lambda seen: len(seen) >= 2)
    assert swept["webhooks_attempted"] == len(got) == 2
    types = sorted(verify_both(request, endpoint["secret"])["type"] for request in got)  # type: ignore[type-var]
    assert types == ["event.processed", "user.created"]
    assert all(r.headers["content-type"] == "application/json" for r in got)


def test_failed_attempts_are_retried_with_the_same_webhook_id_and_fresh_signatures(
    api: Api, receiver: Receiver, wall: Wall
) -> None:
    endpoint = api.create_endpoint(receiver.url, event_types=["webhook.test"])
    receiver.fail_next(2, status=503)
    message = api(
        "webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{endpoint['id']}/test", expect=202
    )
    assert api.advance(1)["webhooks_attempted"] == 1
    # The wall clock moves the (unfrozen) sandbox clock too: 2 + 1 = 3 s after attempt 1.
    wall.tick(2)
    assert api.advance(1)["webhooks_attempted"] == 0  # the retry is not due yet
    assert api.advance(3)["webhooks_attempted"] == 1  # 6 s >= 5 s * 1.1
    wall.tick(5)
    assert api.advance(326)["webhooks_attempted"] == 1
    got = receiver.wait_for(lambda seen: len(seen) == 3)
    assert {r.webhook_id for r in got} == {message["id"]}
    assert len({r.headers["webhook-timestamp"] for r in got}) == 3
    assert len({r.headers["webhook-signature"] for r in got}) == 3
    assert [r.body for r in got] == [got[0].body] * 3
    for request in got:
        verify_both(request, endpoint["secret"])
    assert api.advance(86400)["webhooks_attempted"] == 0  # delivered: nothing more to do
    rows = api.deliveries(endpoint["id"])
    assert [(r["attempt"], r["status"], r["status_code"]) for r in rows] == [
        (3, "succeeded", 200),
        (2, "failed", 503),
        (1, "failed", 503),
    ]
    assert rows[0]["next_retry_at"] is None and rows[1]["next_retry_at"] is not None
    assert rows[2]["response_excerpt"] == "not now"
    assert all(r["duration_ms"] >= 0 and r["attempted_at"] for r in rows)


def test_a_scheduled_retry_is_listed_as_a_pending_attempt(api: Api, receiver: Receiver) -> None:
    endpoint = api.create_endpoint(receiver.url)
    receiver.fail_next(1, status=500)
    api("webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{endpoint['id']}/test", expect=202)
    api.advance(1)
    pending, failed = api.deliveries(endpoint["id"])
    assert (pending["attempt"], pending["status"], pending["attempted_at"]) == (2, "pending", None)
    assert pending["next_retry_at"] == failed["next_retry_at"]
    assert (failed["status"], failed["status_code"]) == ("failed", 500)


def test_retry_after_from_the_receiver_is_honoured(api: Api, receiver: Receiver) -> None:
    endpoint = api.create_endpoint(receiver.url)
    receiver.fail_next(1, status=429, **{"Retry-After": "120"})
    api("webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{endpoint['id']}/test", expect=202)
    assert api.advance(1)["webhooks_attempted"] == 1
    assert api.advance(60)["webhooks_attempted"] == 0  # the schedule says 5 s; it asked 120
    assert api.advance(61)["webhooks_attempted"] == 1
    assert len(receiver.wait_for(lambda seen: len(seen) == 2)) == 2


def test_410_gone_disables_the_endpoint_and_fails_what_it_was_owed(
    api: Api, receiver: Receiver
) -> None:
    endpoint = api.create_endpoint(receiver.url)
    receiver.fail_next(1, status=410)
    api("webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{endpoint['id']}/test", expect=202)
    assert api.advance(1)["webhooks_attempted"] == 1
    api.send_event("u1", "login")  # queued before anyone noticed... no: it is disabled now
    path = f"/v1/webhook_endpoints/{endpoint['id']}"
    after = api("webhookEndpointsRetrieve", "GET", path)
    assert after["enabled"] is False
    assert [m["status"] for m in api.sandbox_messages()] == ["delivered", "delivered", "failed"]
    assert api.advance(3600)["webhooks_attempted"] == 0  # disabled: nothing is queued to it
    api("webhookEndpointsUpdate", "PATCH", path, json={"enabled": True})
    api.send_event("u1", "login")
    assert api.advance(1)["webhooks_attempted"] == 1  # new messages flow again
    assert len(receiver.wait_for(lambda seen: len(seen) == 2)) == 2


def test_an_exhausted_delivery_is_failed_and_a_manual_retry_delivers_it(
    api: Api, receiver: Receiver
) -> None:
    endpoint = api.create_endpoint(receiver.url)
    receiver.fail_next(4, status=500)  # the first attempt and all three retries
    message = api(
        "webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{endpoint['id']}/test", expect=202
    )
    attempted = sum(api.advance(s)["webhooks_attempted"] for s in (1, 6, 331, 1981))
    assert attempted == 4
    assert api.advance(86400)["webhooks_attempted"] == 0
    [listed] = api.sandbox_messages()
    assert (listed["id"], listed["status"], listed["attempts"]) == (message["id"], "failed", 4)
    assert [d["next_retry_at"] for d in listed["deliveries"]][-1] is None

    path = f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{message['id']}/retry"
    requeued = api("webhookEndpointsDeliveriesRetry", "POST", path, expect=202)
    assert (requeued["id"], requeued["status"], requeued["attempts"]) == (
        message["id"],
        "pending",
        4,
    )
    assert api.advance(1)["webhooks_attempted"] == 1
    got = receiver.wait_for(lambda seen: len(seen) == 5)
    assert {r.webhook_id for r in got} == {message["id"]}
    [listed] = api.sandbox_messages()
    assert (listed["status"], listed["attempts"]) == ("delivered", 5)


def test_a_manual_retry_that_fails_gets_a_fresh_schedule(api: Api, receiver: Receiver) -> None:
    endpoint = api.create_endpoint(receiver.url)
    receiver.fail_next(5, status=500)
    message = api(
        "webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{endpoint['id']}/test", expect=202
    )
    for seconds in (1, 6, 331, 1981):
        api.advance(seconds)
    path = f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{message['id']}/retry"
    api("webhookEndpointsDeliveriesRetry", "POST", path, expect=202)
    assert api.advance(1)["webhooks_attempted"] == 1  # fails (the fifth 500)
    assert api.advance(6)["webhooks_attempted"] == 1  # retried after 5 s again, and delivered
    assert api.sandbox_messages()[0]["status"] == "delivered"


def test_connection_errors_are_recorded_and_retried(api: Api, receiver: Receiver) -> None:
    url = receiver.url
    receiver.close()  # nothing listens there now
    endpoint = api.create_endpoint(url)
    api("webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{endpoint['id']}/test", expect=202)
    assert api.advance(1)["webhooks_attempted"] == 1
    pending, failed = api.deliveries(endpoint["id"])
    assert failed["status_code"] is None and failed["error"]
    assert failed["response_excerpt"] is None
    assert pending["status"] == "pending"


def test_each_endpoint_gets_only_the_types_it_subscribes_to(api: Api, receiver: Receiver) -> None:
    everything = api.create_endpoint(receiver.url + "/all")
    created = api.create_endpoint(receiver.url + "/created", event_types=["user.created"])
    api.send_event("u1", "login")
    api.send_event("u1", "login")
    assert api.advance(1)["webhooks_attempted"] == 4  # 3 to "*", 1 to user.created
    got = receiver.wait_for(lambda seen: len(seen) == 4)
    to_created = [json.loads(r.body)["type"] for r in got if r.path.endswith("/created")]
    assert to_created == ["user.created"]
    assert len(api.deliveries(everything["id"])) == 3
    assert len(api.deliveries(created["id"])) == 1


def test_a_test_message_goes_only_to_the_endpoint_tested(api: Api, receiver: Receiver) -> None:
    tested = api.create_endpoint(receiver.url + "/tested", event_types=["user.created"])
    api.create_endpoint(receiver.url + "/other")
    message = api(
        "webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{tested['id']}/test", expect=202
    )
    assert message["type"] == "webhook.test" and message["status"] == "pending"
    assert message["data"] == {
        "endpoint_id": tested["id"],
        "message": "This is a test message from Questline.",
    }
    assert api.advance(1)["webhooks_attempted"] == 1
    [request] = receiver.wait_for(lambda seen: len(seen) == 1)
    assert request.path.endswith("/tested")
    verify_both(request, tested["secret"])


def test_deleting_an_endpoint_drops_what_it_was_owed(api: Api, receiver: Receiver) -> None:
    endpoint = api.create_endpoint(receiver.url)
    api.send_event("u1", "login")
    api("webhookEndpointsDelete", "DELETE", f"/v1/webhook_endpoints/{endpoint['id']}", expect=204)
    assert api.advance(1)["webhooks_attempted"] == 0
    assert receiver.requests == []


def test_a_manual_retry_asked_while_an_attempt_is_on_the_wire_is_not_lost(
    api: Api, receiver: Receiver
) -> None:
    endpoint = api.create_endpoint(receiver.url)
    message = api(
        "webhookEndpointsTest", "POST", f"/v1/webhook_endpoints/{endpoint['id']}/test", expect=202
    )
    retry = f"/v1/webhook_endpoints/{endpoint['id']}/deliveries/{message['id']}/retry"
    receiver.fail_next(1, status=503)
    receiver.during = lambda: api("webhookEndpointsDeliveriesRetry", "POST", retry, expect=202)
    assert api.advance(1)["webhooks_attempted"] == 1  # fails; the retry was asked meanwhile
    # The schedule alone would wait 5 s; the manual retry makes it due at once.
    assert api.advance(1)["webhooks_attempted"] == 1
    assert [r.status for r in receiver.wait_for(lambda seen: len(seen) == 2)] == [503, 200]
