"""Webhook verification: Standard Webhooks signatures, typed events, each failure mode."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import questline
import standardwebhooks
from questline import WebhookVerificationError, webhooks
from questline._signing import generate_secret, sign_payload, signature_headers, signatures_match
from questline.types import UserLevelUpWebhookEvent, WebhookTestWebhookEvent

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = 1_741_944_413
LEVEL_UP = json.dumps(
    {
        "id": "msg_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX",
        "type": "user.level.up",
        "created_at": "2025-03-14T09:26:53Z",
        "project_id": "prj_1",
        "data": {
            "user_id": "u1",
            "level": 5,
            "previous_level": 4,
            "name": None,
            "xp": 1600,
            "event_id": None,
        },
    }
)


def signed_by_standardwebhooks(payload: str, secret: str = SECRET, ts: int = NOW) -> dict[str, str]:
    msg_id = "msg_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX"
    signature = standardwebhooks.Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(ts, tz=timezone.utc), payload
    )
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_standard_webhooks_spec_test_vector() -> None:
    assert (
        sign_payload("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}', SECRET)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_verifies_a_delivery_signed_by_the_standardwebhooks_package() -> None:
    headers = signed_by_standardwebhooks(LEVEL_UP)
    event = questline.webhooks.verify(LEVEL_UP.encode(), headers, SECRET, now=NOW)
    assert isinstance(event, UserLevelUpWebhookEvent)
    assert event.type == "user.level.up"
    assert event.data.level == 5 and event.data.user_id == "u1"


def test_standardwebhooks_package_verifies_our_signature() -> None:
    headers = webhooks.sign(LEVEL_UP, SECRET, msg_id="msg_1", timestamp=NOW)
    # The reference library checks the timestamp against the real clock, so sign "now".
    fresh = webhooks.sign(LEVEL_UP, SECRET, msg_id="msg_1")
    assert standardwebhooks.Webhook(SECRET).verify(LEVEL_UP, fresh)["type"] == "user.level.up"
    assert headers["webhook-timestamp"] == str(NOW)


def test_header_names_are_case_insensitive_and_str_payload_works() -> None:
    headers = {k.title(): v for k, v in signed_by_standardwebhooks(LEVEL_UP).items()}
    assert webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW).id.startswith("msg_")


def test_each_event_type_parses_to_its_own_class() -> None:
    body = json.dumps(
        {
            "id": "msg_2",
            "type": "webhook.test",
            "created_at": "2025-03-14T09:26:53Z",
            "project_id": "prj_1",
            "data": {"endpoint_id": "whe_1", "message": "hello"},
        }
    )
    event = webhooks.verify(body, signed_by_standardwebhooks(body), SECRET, now=NOW)
    assert isinstance(event, WebhookTestWebhookEvent)


def test_any_of_several_secrets_during_rotation() -> None:
    old, new = generate_secret(), generate_secret()
    headers = signature_headers("msg_1", NOW, LEVEL_UP, [old, new])
    assert len(headers["webhook-signature"].split()) == 2
    assert webhooks.verify(LEVEL_UP, headers, new, now=NOW).type == "user.level.up"
    assert (
        webhooks.verify(LEVEL_UP, headers, [generate_secret(), old], now=NOW).type
        == "user.level.up"
    )


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header(missing: str) -> None:
    headers = signed_by_standardwebhooks(LEVEL_UP)
    del headers[missing]
    with pytest.raises(WebhookVerificationError) as info:
        webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW)
    assert info.value.reason == "missing_header"
    assert missing in str(info.value)


def test_malformed_timestamp() -> None:
    headers = {**signed_by_standardwebhooks(LEVEL_UP), "webhook-timestamp": "yesterday"}
    with pytest.raises(WebhookVerificationError) as info:
        webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW)
    assert info.value.reason == "invalid_timestamp"


def test_timestamp_outside_tolerance() -> None:
    headers = signed_by_standardwebhooks(LEVEL_UP)
    with pytest.raises(WebhookVerificationError) as old:
        webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW + 301)
    assert old.value.reason == "timestamp_too_old"
    with pytest.raises(WebhookVerificationError) as new:
        webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW - 301)
    assert new.value.reason == "timestamp_too_new"
    assert webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW + 299).type == "user.level.up"
    assert webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW + 3000, tolerance=3600)


def test_wrong_secret() -> None:
    with pytest.raises(WebhookVerificationError) as info:
        webhooks.verify(LEVEL_UP, signed_by_standardwebhooks(LEVEL_UP), generate_secret(), now=NOW)
    assert info.value.reason == "no_matching_signature"


def test_tampered_body() -> None:
    headers = signed_by_standardwebhooks(LEVEL_UP)
    with pytest.raises(WebhookVerificationError) as info:
        webhooks.verify(LEVEL_UP.replace('"level": 5', '"level": 50'), headers, SECRET, now=NOW)
    assert info.value.reason == "no_matching_signature"


def test_signature_of_another_version_or_garbage_does_not_match() -> None:
    headers = signed_by_standardwebhooks(LEVEL_UP)
    sig = headers["webhook-signature"].split(",", 1)[1]
    for bad in (f"v2,{sig}", "v1,", "garbage", ""):
        with pytest.raises(WebhookVerificationError):
            webhooks.verify(LEVEL_UP, {**headers, "webhook-signature": bad}, SECRET, now=NOW)


def test_malformed_secret() -> None:
    with pytest.raises(WebhookVerificationError) as info:
        webhooks.verify(LEVEL_UP, signed_by_standardwebhooks(LEVEL_UP), "whsec_***", now=NOW)
    assert info.value.reason == "invalid_secret"


def test_signed_but_not_an_event() -> None:
    body = json.dumps({"id": "msg_1", "type": "no.such.type", "data": {}})
    with pytest.raises(WebhookVerificationError) as info:
        webhooks.verify(body, signed_by_standardwebhooks(body), SECRET, now=NOW)
    assert info.value.reason == "invalid_payload"


def test_signing_primitives_for_the_server() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    header = sign_payload("msg_1", NOW, b"{}", secret)
    assert signatures_match("msg_1", NOW, "{}", header, secret)
    assert not signatures_match("msg_2", NOW, "{}", header, secret)
    assert not signatures_match("msg_1", NOW + 1, "{}", header, secret)


def test_verification_needs_no_client_or_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUESTLINE_API_KEY", raising=False)
    headers = signed_by_standardwebhooks(LEVEL_UP)
    assert webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW).type == "user.level.up"


def test_headers_objects_of_web_frameworks_are_accepted() -> None:
    import httpx

    headers = httpx.Headers(signed_by_standardwebhooks(LEVEL_UP))
    assert webhooks.verify(LEVEL_UP, headers, SECRET, now=NOW).type == "user.level.up"
    as_pairs = list(signed_by_standardwebhooks(LEVEL_UP).items())

    class PairHeaders:
        def items(self) -> list[tuple[str, str]]:
            return as_pairs

    assert webhooks.verify(LEVEL_UP, PairHeaders(), SECRET, now=NOW).type == "user.level.up"
