"""Webhook endpoints: create, read, list, update, delete, validation, secrets and rotation."""

from __future__ import annotations

import base64

import pytest

from tests.server.webhooks.api import Api
from tests.server.webhooks.receiver import Receiver
from tests.server.webhooks.sig import rejected_by_both, verify_both

BASE = "/v1/webhook_endpoints"


def test_create_returns_a_32_byte_whsec_secret_once(api: Api) -> None:
    created = api.create_endpoint("https://example.com/hooks", description="orders")
    assert created["id"].startswith("whe_")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
    assert (created["event_types"], created["enabled"]) == (["*"], True)
    read = api("webhookEndpointsRetrieve", "GET", f"{BASE}/{created['id']}")
    assert read == {**created, "secret": None}
    listed = api("webhookEndpointsList", "GET", BASE)
    assert listed["data"] == [read] and listed["has_more"] is False


def test_the_url_is_kept_exactly_as_given(api: Api) -> None:
    created = api.create_endpoint("http://localhost:9000")
    assert created["url"] == "http://localhost:9000"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"url": "ftp://example.com/hooks"}, ["body", "url"]),
        ({"url": "not a url"}, ["body", "url"]),
        ({"url": "https://example.com", "event_types": ["user.nope"]}, ["body", "event_types", 0]),
        ({"url": "https://example.com", "event_types": []}, ["body", "event_types"]),
        ({"url": "https://example.com", "secret": "whsec_x"}, ["body", "secret"]),
        ({"event_types": ["*"]}, ["body", "url"]),
    ],
)
def test_invalid_endpoints_are_rejected_naming_the_field(
    api: Api, body: dict[str, object], loc: list[object]
) -> None:
    problem = api("webhookEndpointsCreate", "POST", BASE, json=body, expect=422)
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["loc"][: len(loc)] == loc


def test_event_types_are_canonical(api: Api) -> None:
    both = api.create_endpoint("https://a.example", event_types=["user.created", "*"])
    assert both["event_types"] == ["*"]
    twice = api.create_endpoint("https://b.example", event_types=["user.level.up"] * 2)
    assert twice["event_types"] == ["user.level.up"]


def test_patch_changes_only_the_given_fields(api: Api) -> None:
    created = api.create_endpoint("https://example.com/a", description="first")
    path = f"{BASE}/{created['id']}"
    body = {"url": "https://example.com/b", "event_types": ["user.level.up"]}
    updated = api("webhookEndpointsUpdate", "PATCH", path, json=body)
    assert (updated["url"], updated["event_types"]) == ("https://example.com/b", ["user.level.up"])
    assert (updated["description"], updated["enabled"], updated["secret"]) == ("first", True, None)
    bad = api("webhookEndpointsUpdate", "PATCH", path, json={"url": "mailto:x@y.z"}, expect=422)
    assert bad["errors"][0]["loc"] == ["body", "url"]


def test_unknown_endpoints_are_404_on_every_operation(api: Api) -> None:
    missing = f"{BASE}/whe_missing"
    api("webhookEndpointsRetrieve", "GET", missing, expect=404)
    api("webhookEndpointsUpdate", "PATCH", missing, json={"enabled": False}, expect=404)
    api("webhookEndpointsDelete", "DELETE", missing, expect=404)
    api("webhookEndpointsRotateSecret", "POST", f"{missing}/rotate_secret", expect=404)
    api("webhookEndpointsTest", "POST", f"{missing}/test", expect=404)
    api("webhookEndpointsDeliveriesList", "GET", f"{missing}/deliveries", expect=404)
    retry = f"{missing}/deliveries/msg_x/retry"
    api("webhookEndpointsDeliveriesRetry", "POST", retry, expect=404)


def test_another_projects_endpoint_is_not_found(api: Api) -> None:
    created = api.create_endpoint("https://example.com/hooks")
    other = api("sandboxProjectsCreate", "POST", "/v1/sandbox/projects", expect=201)
    stranger = Api(api.app, other["api_key"])
    stranger("webhookEndpointsRetrieve", "GET", f"{BASE}/{created['id']}", expect=404)
    assert stranger("webhookEndpointsList", "GET", BASE)["data"] == []


def test_endpoints_list_in_pages_oldest_first(api: Api) -> None:
    made = [api.create_endpoint(f"https://example.com/{n}")["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = api("webhookEndpointsList", "GET", BASE + query)
        seen += [e["id"] for e in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == made


def test_retry_to_a_disabled_endpoint_is_a_conflict(api: Api) -> None:
    created = api.create_endpoint("https://example.com/hooks")
    message = api("webhookEndpointsTest", "POST", f"{BASE}/{created['id']}/test", expect=202)
    api("webhookEndpointsUpdate", "PATCH", f"{BASE}/{created['id']}", json={"enabled": False})
    assert api.sandbox_messages()[0]["status"] == "failed"  # what it was owed is given up
    path = f"{BASE}/{created['id']}/deliveries/{message['id']}/retry"
    assert api("webhookEndpointsDeliveriesRetry", "POST", path, expect=409)["code"] == "conflict"
    api(
        "webhookEndpointsDeliveriesRetry",
        "POST",
        f"{BASE}/{created['id']}/deliveries/msg_nope/retry",
        expect=404,
    )
    # A test message would be failed at once, never sent: refused the same way.
    test = f"{BASE}/{created['id']}/test"
    assert api("webhookEndpointsTest", "POST", test, expect=409)["code"] == "conflict"
    assert len(api.sandbox_messages()) == 1  # nothing queued


def test_rotation_signs_with_both_secrets_for_24_hours_then_the_new_one_only(
    api: Api, receiver: Receiver
) -> None:
    created = api.create_endpoint(receiver.url)
    old = created["secret"]
    rotated = api("webhookEndpointsRotateSecret", "POST", f"{BASE}/{created['id']}/rotate_secret")
    new = rotated["secret"]
    assert new.startswith("whsec_") and new != old
    api("webhookEndpointsTest", "POST", f"{BASE}/{created['id']}/test", expect=202)
    api.advance(1)
    [during] = receiver.wait_for(lambda seen: len(seen) == 1)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    verify_both(during, [new, old])

    api.advance(24 * 3600)
    api("webhookEndpointsTest", "POST", f"{BASE}/{created['id']}/test", expect=202)
    api.advance(1)
    after = receiver.wait_for(lambda seen: len(seen) == 2)[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    verify_both(after, new)
    assert rejected_by_both(after, old)
