"""Tag ``stream``: ``GET /v1/stream``, the outbox as Server-Sent Events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import get_args

from flask import Blueprint, Response, current_app, request
from questline import types as t

from ..webhooks.stream import frames, resume_seq
from .context import scope
from .parsing import USER_ID, query_str
from .problems import ApiProblem, ValidationProblem, field_error

bp = Blueprint("stream", __name__)

# The message types a client may ask for: the spec's event types, without the "*" wildcard.
STREAM_TYPES = frozenset(get_args(t.WebhookEventType.__value__)) - {"*"}
# Seconds between keep-alive comments on a quiet stream; tests set the app config lower.
HEARTBEAT_CONFIG = "QUESTLINE_STREAM_HEARTBEAT_SECONDS"
DEFAULT_HEARTBEAT = 15.0
# app.extensions key of the server's stream slots (ServerConfig.max_streams).
STREAM_SLOTS = "questline.stream_slots"


@bp.get("/v1/stream")
def stream() -> Response:
    user_id = query_str("user_id", USER_ID)
    types = _types(request.args.get("types"))
    current = scope()
    after = resume_seq(current, request.headers.get("Last-Event-ID") or None)
    heartbeat = float(current_app.config.get(HEARTBEAT_CONFIG, DEFAULT_HEARTBEAT))
    slots: threading.BoundedSemaphore | None = current_app.extensions.get(STREAM_SLOTS)
    if slots is not None and not slots.acquire(blocking=False):
        raise ApiProblem(
            429,
            "every stream this server can hold is open; close one, or start the server "
            "with more --threads (each open stream holds one)",
            headers={"Retry-After": "1"},
        )
    body = frames(current, after, user_id, types, heartbeat)
    return Response(
        body if slots is None else _Holding(body, slots),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class _Holding:
    """A stream's frames, holding its slot until the server closes the response (the
    client went away or the server stops), whether or not a frame was ever read."""

    def __init__(self, frames: Iterator[str], slot: threading.BoundedSemaphore) -> None:
        self._frames = frames
        self._slot: threading.BoundedSemaphore | None = slot

    def __iter__(self) -> Iterator[str]:
        return self._frames

    def close(self) -> None:
        try:
            close = getattr(self._frames, "close", None)
            if close is not None:
                close()
        finally:
            slot, self._slot = self._slot, None
            if slot is not None:
                slot.release()


def _types(raw: str | None) -> list[str] | None:
    if raw is None or raw.strip() == "":
        return None
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in STREAM_TYPES]
    if unknown:
        message = f"unknown event type {unknown[0]!r}; expected some of {sorted(STREAM_TYPES)}"
        raise ValidationProblem([field_error(["query", "types"], message)])
    return wanted
