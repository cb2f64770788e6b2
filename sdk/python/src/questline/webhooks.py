"""Verify (and, for receivers' own tests, sign) webhook deliveries. No client or API key needed.

    event = questline.webhooks.verify(request.body, request.headers, secret)
    if event.type == "user.badge.unlocked":
        ...

Deliveries follow Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` headers. ``verify`` checks the timestamp is within ``tolerance`` seconds
of now, that a signature matches one of the given secrets (pass both during a rotation), and
parses the body into the typed event for its ``type``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import pydantic

from ._exceptions import WebhookVerificationError
from ._signing import generate_secret, signature_headers, signatures_match
from .types import WebhookEvent

__all__ = [
    "HeadersLike",
    "WebhookVerificationError",
    "generate_secret",
    "parse_event",
    "sign",
    "verify",
]

DEFAULT_TOLERANCE = 300

_EVENT_ADAPTER: pydantic.TypeAdapter[WebhookEvent] = pydantic.TypeAdapter(WebhookEvent)


class HeadersLike(Protocol):
    """Anything with ``items()`` of (name, value): a dict, ``httpx.Headers``, Flask's headers."""

    def items(self) -> Iterable[tuple[str, str]]: ...


def _header(headers: HeadersLike, name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError("missing_header", f"missing the {name} header")


def verify(
    payload: bytes | str,
    headers: HeadersLike | Mapping[str, str],
    secret: str | Sequence[str],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Check a delivery's signature and return its typed event.

    ``payload`` must be the raw request body, byte for byte. ``now`` (Unix seconds) defaults
    to the current time. Raises :class:`WebhookVerificationError`, whose ``reason`` is one of
    ``missing_header``, ``invalid_timestamp``, ``timestamp_too_old``, ``timestamp_too_new``,
    ``invalid_secret``, ``no_matching_signature`` or ``invalid_payload``.
    """
    msg_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signature = _header(headers, "webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError(
            "invalid_timestamp", f"webhook-timestamp is not an integer: {raw_timestamp!r}"
        ) from None
    current = time.time() if now is None else now
    if timestamp < current - tolerance:
        raise WebhookVerificationError("timestamp_too_old", "the delivery's timestamp is too old")
    if timestamp > current + tolerance:
        raise WebhookVerificationError(
            "timestamp_too_new", "the delivery's timestamp is in the future"
        )
    try:
        ok = signatures_match(msg_id, timestamp, payload, signature, secret)
    except ValueError as exc:
        raise WebhookVerificationError("invalid_secret", str(exc)) from None
    if not ok:
        raise WebhookVerificationError(
            "no_matching_signature", "no signature matches the given secret(s)"
        )
    return parse_event(payload)


def parse_event(payload: bytes | str | Mapping[str, object]) -> WebhookEvent:
    """Parse an envelope (already verified) into its typed event class."""
    try:
        data = json.loads(payload) if isinstance(payload, (bytes, str)) else payload
        return _EVENT_ADAPTER.validate_python(data)
    except (ValueError, pydantic.ValidationError) as exc:
        raise WebhookVerificationError(
            "invalid_payload", f"the body is not a valid webhook event: {exc}"
        ) from None


def sign(
    payload: bytes | str,
    secret: str | Sequence[str],
    *,
    msg_id: str,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Headers that make ``payload`` verify against ``secret`` (for receivers' tests).

    ``timestamp`` defaults to now.
    """
    ts = int(time.time()) if timestamp is None else timestamp
    return signature_headers(msg_id, ts, payload, secret)
