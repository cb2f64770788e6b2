"""Standard Webhooks signing primitives, shared by the SDK and the reference server.

Standard library only, so the server can import it without the SDK's dependencies. A
signature is ``v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`` keyed by the
secret's decoded bytes (``whsec_<base64>``); during a rotation several secrets sign and the
header lists each signature, space-separated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
from collections.abc import Sequence

__all__ = [
    "SECRET_PREFIX",
    "decode_secret",
    "generate_secret",
    "sign_payload",
    "signature_headers",
    "signatures_match",
]

SECRET_PREFIX = "whsec_"


def generate_secret(num_bytes: int = 24) -> str:
    """A new endpoint secret: ``whsec_`` followed by base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(num_bytes)).decode()


def decode_secret(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_<base64>`` secret (the prefix is optional)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret is not base64 after its 'whsec_' prefix") from exc
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def sign_payload(
    msg_id: str, timestamp: int, body: bytes | str, secrets: str | Sequence[str]
) -> str:
    """The ``webhook-signature`` header value: ``v1,<sig>`` per secret, space-separated."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    if not keys:
        raise ValueError("at least one secret is needed to sign")
    payload = _as_bytes(body)
    return " ".join(f"v1,{_signature(decode_secret(s), msg_id, timestamp, payload)}" for s in keys)


def signature_headers(
    msg_id: str, timestamp: int, body: bytes | str, secrets: str | Sequence[str]
) -> dict[str, str]:
    """All three Standard Webhooks headers for one delivery attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_payload(msg_id, timestamp, body, secrets),
    }


def signatures_match(
    msg_id: str,
    timestamp: int,
    body: bytes | str,
    signature_header: str,
    secrets: str | Sequence[str],
) -> bool:
    """Whether any ``v1`` signature in the header was made with any of the secrets.

    Comparisons are constant-time. Raises ``ValueError`` for a malformed secret.
    """
    keys = [decode_secret(s) for s in ([secrets] if isinstance(secrets, str) else secrets)]
    payload = _as_bytes(body)
    offered = [
        sig.encode()
        for version, _, sig in (part.partition(",") for part in signature_header.split())
        if version == "v1" and sig
    ]
    matched = False
    for key in keys:
        expected = _signature(key, msg_id, timestamp, payload).encode()
        for candidate in offered:
            # No early exit: every comparison runs, so timing says nothing about which failed.
            matched |= hmac.compare_digest(expected, candidate)
    return matched
