"""Tag ``stream``: ``GET /v1/stream``, the outbox as Server-Sent Events."""

from __future__ import annotations

from typing import get_args

from flask import Blueprint, Response, current_app, request
from questline import types as t

from ..webhooks.stream import frames, resume_seq
from .context import scope
from .parsing import USER_ID, query_str
from .problems import ValidationProblem, field_error

bp = Blueprint("stream", __name__)

# The message types a client may ask for: the spec's event types, without the "*" wildcard.
STREAM_TYPES = frozenset(get_args(t.WebhookEventType.__value__)) - {"*"}
# Seconds between keep-alive comments on a quiet stream; tests set the app config lower.
HEARTBEAT_CONFIG = "QUESTLINE_STREAM_HEARTBEAT_SECONDS"
DEFAULT_HEARTBEAT = 15.0


@bp.get("/v1/stream")
def stream() -> Response:
    user_id = query_str("user_id", USER_ID)
    types = _types(request.args.get("types"))
    current = scope()
    after = resume_seq(current, request.headers.get("Last-Event-ID") or None)
    heartbeat = float(current_app.config.get(HEARTBEAT_CONFIG, DEFAULT_HEARTBEAT))
    return Response(
        frames(current, after, user_id, types, heartbeat),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _types(raw: str | None) -> list[str] | None:
    if raw is None or raw.strip() == "":
        return None
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in STREAM_TYPES]
    if unknown:
        message = f"unknown event type {unknown[0]!r}; expected some of {sorted(STREAM_TYPES)}"
        raise ValidationProblem([field_error(["query", "types"], message)])
    return wanted
