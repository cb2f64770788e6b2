"""Checking a delivery the way receivers do: the independent ``standardwebhooks`` package
from PyPI, and the SDK's own ``questline.webhooks.verify``."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
import standardwebhooks
from questline import webhooks as sdk_webhooks

from tests.server.webhooks.receiver import Received
from tests.server.webhooks.spec_check import check_envelope


def verify_both(request: Received, secrets: str | Sequence[str]) -> dict[str, object]:
    """Raise unless both verifiers accept the delivery with (each of) ``secrets``."""
    envelope: dict[str, object] = json.loads(request.body)
    check_envelope(envelope)
    assert request.webhook_id == envelope["id"]
    for secret in [secrets] if isinstance(secrets, str) else secrets:
        standardwebhooks.Webhook(secret).verify(request.body, request.headers)
        assert sdk_webhooks.verify(request.body, request.headers, secret).id == envelope["id"]
    return envelope


def rejected_by_both(request: Received, secret: str) -> bool:
    try:
        standardwebhooks.Webhook(secret).verify(request.body, request.headers)
    except standardwebhooks.WebhookVerificationError:
        pass
    else:
        return False
    with pytest.raises(sdk_webhooks.WebhookVerificationError) as caught:
        sdk_webhooks.verify(request.body, request.headers, secret)
    return caught.value.reason == "no_matching_signature"
